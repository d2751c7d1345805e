import { useState } from "react";
import { Link } from "react-router";
import { useClient, useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { AlertSeverity, AlertStatus, AlertWhereInput } from "../gql/graphql";
import { useViewer } from "../Layout";
import { Pager, usePages } from "../Pager";
import { Badge, can, fieldErrors, QueryError, when } from "../ui";
import { useCatchUp } from "../live";

const List = graphql(`
  query Alerts($where: AlertWhereInput, $after: Cursor) {
    alerts(first: 100, after: $after, where: $where, orderBy: { field: LAST_SEEN, direction: DESC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id title severity status count lastSeen tenantId caseId } }
    }
  }
`);
export const AlertUpdated = graphql(`
  subscription AlertUpdated {
    alertUpdated { id title severity status count lastSeen tenantId caseId }
  }
`);
const Views = graphql(`
  query AlertViews { savedViews(list: "alerts") { id name filters } }
`);
const SaveView = graphql(`
  mutation SaveAlertView($input: CreateSavedViewInput!) {
    createSavedView(input: $input) { savedView { id name filters } userErrors { field message code } }
  }
`);
const DeleteView = graphql(`
  mutation DeleteAlertView($id: ID!) { deleteSavedView(id: $id) { savedView { id } userErrors { field message code } } }
`);
const Ack = graphql(`mutation AckAlert($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }`);
const Close = graphql(`mutation CloseAlert($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }`);

type Row = { id: string; title: string; severity: string; status: string; count: number; lastSeen: string };
const SEVERITIES: AlertSeverity[] = ["critical", "high", "medium", "low", "info"];

export default function Alerts() {
  const client = useClient();
  const v = useViewer();
  const write = can(v.permissions, "soc:write");
  const [status, setStatus] = useState("open");
  const [severity, setSeverity] = useState("");
  const [classification, setClassification] = useState("closed_true_positive");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState("");
  const where: AlertWhereInput = {};
  if (status === "open") where.statusIn = ["new", "acknowledged"];
  else if (status) where.status = status as AlertStatus;
  if (severity) where.severity = severity as AlertSeverity;
  const pages = usePages();
  const [{ data, error }, refetch] = useQuery({ query: List, variables: { where, after: pages.after } });
  useCatchUp(refetch);
  const [live] = useSubscription({ query: AlertUpdated }, (acc: Row[] = [], d) => [d.alertUpdated, ...acc.filter((r) => r.id !== d.alertUpdated.id)]);
  const matches = (r: Row) =>
    (status === "" || (status === "open" ? r.status === "new" || r.status === "acknowledged" : r.status === status)) && (!severity || r.severity === severity);
  const liveById = new Map((live.data ?? []).map((r) => [r.id, r]));
  const base = (data?.alerts.edges ?? []).flatMap((e) => (e?.node ? [e.node as Row] : []));
  const seen = new Set(base.map((r) => r.id));
  // New alerts join the first page; later pages only take their changes.
  const rows = [...(pages.page === 1 ? (live.data ?? []).filter((r) => !seen.has(r.id)) : []), ...base.map((r) => liveById.get(r.id) ?? r)].filter(matches);

  async function bulk(action: "ack" | "close") {
    const ids = [...selected];
    let failed = 0;
    for (let i = 0; i < ids.length; i += 8) {
      const res = await Promise.all(
        ids.slice(i, i + 8).map((id) => (action === "ack" ? client.mutation(Ack, { id }) : client.mutation(Close, { id, status: classification })).toPromise()),
      );
      failed += res.filter((r) => r.error).length;
    }
    setNotice(`${ids.length - failed} ${action === "ack" ? "acknowledged" : "closed"}${failed ? `, ${failed} failed` : ""}.`);
    setSelected(new Set());
    refetch({ requestPolicy: "network-only" });
  }

  return (
    <section>
      <h1>Alert queue</h1>
      <div className="toolbar">
        <label>
          Status{" "}
          <select value={status} onChange={(e) => { setStatus(e.target.value); pages.reset(); }}>
            <option value="open">open</option>
            <option value="new">new</option>
            <option value="acknowledged">acknowledged</option>
            <option value="closed_true_positive">closed true positive</option>
            <option value="closed_false_positive">closed false positive</option>
            <option value="closed_benign">closed benign</option>
            <option value="">any</option>
          </select>
        </label>
        <label>
          Severity{" "}
          <select value={severity} onChange={(e) => { setSeverity(e.target.value); pages.reset(); }}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <span>{data ? `${data.alerts.totalCount} alerts` : "…"}</span>
      </div>
      <SavedViews
        status={status}
        severity={severity}
        apply={(f) => {
          setStatus(f.status ?? "");
          setSeverity(f.severity ?? "");
          pages.reset();
        }}
      />
      {write && (
        <div className="toolbar" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          <button type="button" disabled={!selected.size} onClick={() => void bulk("ack")}>Acknowledge</button>
          <label>
            Classification{" "}
            <select value={classification} onChange={(e) => setClassification(e.target.value)}>
              <option value="closed_true_positive">true positive</option>
              <option value="closed_false_positive">false positive</option>
              <option value="closed_benign">benign</option>
            </select>
          </label>
          <button type="button" disabled={!selected.size} onClick={() => void bulk("close")}>Close</button>
          {notice && <span role="status">{notice}</span>}
        </div>
      )}
      <QueryError error={error} />
      <table className="grid" aria-label="Alerts">
        <thead>
          <tr>
            {write && <th scope="col"><span className="sr-only">Select</span></th>}
            <th scope="col">Alert</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Count</th><th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="alert-row">
              {write && (
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select ${r.title}`}
                    checked={selected.has(r.id)}
                    onChange={() =>
                      setSelected((s) => {
                        const n = new Set(s);
                        if (n.has(r.id)) n.delete(r.id);
                        else n.add(r.id);
                        return n;
                      })
                    }
                  />
                </td>
              )}
              <td><Link to={`/alerts/${r.id}`}>{r.title}</Link></td>
              <td><Badge value={r.severity} /></td>
              <td><Badge value={r.status} /></td>
              <td>{r.count}</td>
              <td>{when(r.lastSeen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p>No alert.</p>}
      {data && (data.alerts.pageInfo.hasNextPage || pages.page > 1) && (
        <Pager label="Alerts" page={pages.page} info={data.alerts.pageInfo} onPrev={pages.prev} onNext={() => pages.next(data.alerts.pageInfo)} />
      )}
    </section>
  );
}

type Filters = { status?: string; severity?: string };

// SavedViews keeps the signed-in user's named filters of the queue, in the
// acting tenant: pick one to apply it, save the current filters under a
// name, delete the one picked.
function SavedViews({ status, severity, apply }: { status: string; severity: string; apply: (f: Filters) => void }) {
  const [{ data, error }, reload] = useQuery({ query: Views, requestPolicy: "cache-and-network" });
  const [, save] = useMutation(SaveView);
  const [, del] = useMutation(DeleteView);
  const [picked, setPicked] = useState("");
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState("");
  const views = data?.savedViews ?? [];
  const current = views.find((v) => v.id === picked);
  return (
    <form
      className="toolbar"
      aria-label="Saved views"
      onSubmit={(e) => {
        e.preventDefault();
        const filters: Filters = { status, severity };
        void save({ input: { list: "alerts", name, filters } }).then((r) => {
          const errs = fieldErrors(r.data?.createSavedView.userErrors);
          if (r.error) errs[""] = r.error.message;
          setErrors(errs);
          const v = r.data?.createSavedView.savedView;
          if (v) {
            setMsg(`View ${v.name} saved.`);
            setName("");
            setPicked(v.id);
            reload({ requestPolicy: "network-only" });
          }
        });
      }}
    >
      <QueryError error={error} />
      <label>
        Saved view{" "}
        <select
          value={picked}
          onChange={(e) => {
            setPicked(e.target.value);
            const v = views.find((x) => x.id === e.target.value);
            if (v) {
              apply(v.filters as Filters);
              setMsg("");
            }
          }}
        >
          <option value="">none</option>
          {views.map((v) => (
            <option key={v.id} value={v.id}>{v.name}</option>
          ))}
        </select>
      </label>
      {current && (
        <button
          type="button"
          className="danger"
          onClick={() =>
            void del({ id: current.id }).then((r) => {
              setMsg(r.data?.deleteSavedView.userErrors[0]?.message ?? r.error?.message ?? `View ${current.name} deleted.`);
              setPicked("");
              reload({ requestPolicy: "network-only" });
            })
          }
        >
          Delete view {current.name}
        </button>
      )}
      <label htmlFor="view-name">New view name</label>
      <input id="view-name" value={name} onChange={(e) => setName(e.target.value)} aria-describedby={errors.name ? "view-name-error" : undefined} />
      <button type="submit">Save view</button>
      {errors.name && <span className="field-error" id="view-name-error" role="alert">{errors.name}</span>}
      {(errors.filters || errors[""]) && <span className="error" role="alert">{errors.filters ?? errors[""]}</span>}
      {msg && <span role="status">{msg}</span>}
    </form>
  );
}
