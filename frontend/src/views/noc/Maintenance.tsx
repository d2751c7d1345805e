import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { useViewer } from "../../Layout";
import { PAGE, Pager, usePages } from "../../Pager";
import { can, Field, fieldErrors, QueryError, when } from "../../ui";

const List = graphql(`
  query MaintenanceWindows($first: Int, $after: Cursor) {
    maintenanceWindows(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name startsAt endsAt recurrence timezone startTime durationSeconds assetIds monitorIds } }
    }
  }
`);
const Create = graphql(`
  mutation CreateMaintenanceWindow($input: MaintenanceWindowInput!) {
    createMaintenanceWindow(input: $input) { maintenanceWindow { id } userErrors { field message code } }
  }
`);
const Update = graphql(`
  mutation EndMaintenanceWindow($id: ID!, $input: MaintenanceWindowInput!) {
    updateMaintenanceWindow(id: $id, input: $input) { maintenanceWindow { id endsAt } userErrors { field message code } }
  }
`);

// local turns an <input type="datetime-local"> value into an RFC 3339 time.
function local(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

function state(w: { startsAt?: string | null; endsAt?: string | null; recurrence: string }): string {
  if (w.recurrence !== "none") return "recurring";
  const now = Date.now();
  if (w.endsAt && new Date(w.endsAt).getTime() <= now) return "ended";
  if (w.startsAt && new Date(w.startsAt).getTime() > now) return "scheduled";
  return "active";
}

export default function Maintenance() {
  const v = useViewer();
  const write = can(v.permissions, "noc:write");
  const pages = usePages();
  const [{ data, error, fetching }, refetch] = useQuery({ query: List, variables: { first: PAGE, after: pages.after } });
  const [, create] = useMutation(Create);
  const [, update] = useMutation(Update);
  const [name, setName] = useState("");
  const [startsAt, setStartsAt] = useState("");
  const [endsAt, setEndsAt] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState("");
  const rows = (data?.maintenanceWindows.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const again = () => refetch({ requestPolicy: "network-only" });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setNotice("");
    const r = await create({ input: { name, startsAt: local(startsAt), endsAt: local(endsAt), recurrence: "none" } });
    if (r.error) return setErrors({ "": r.error.message });
    const errs = fieldErrors(r.data?.createMaintenanceWindow.userErrors);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setNotice(`Window "${name}" created.`);
    setName("");
    again();
  }

  async function end(w: (typeof rows)[number]) {
    const r = await update({ id: w.id, input: { name: w.name, startsAt: w.startsAt, endsAt: new Date().toISOString(), recurrence: "none" } });
    const errs = fieldErrors(r.data?.updateMaintenanceWindow.userErrors);
    setNotice(r.error ? r.error.message : Object.keys(errs).length ? Object.values(errs).join("; ") : `Window "${w.name}" ended.`);
    again();
  }

  return (
    <section>
      <h1>Maintenance windows</h1>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {notice && <p role="status">{notice}</p>}
      <table className="grid" aria-label="Maintenance windows">
        <thead>
          <tr>
            <th scope="col">Name</th><th scope="col">State</th><th scope="col">Starts</th><th scope="col">Ends</th><th scope="col">Covers</th>
            {write && <th scope="col"><span className="sr-only">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => (
            <tr key={w.id} data-testid="maintenance-row">
              <td>{w.name}</td>
              <td>{state(w)}</td>
              <td>{w.recurrence === "none" ? when(w.startsAt) : `${w.recurrence} at ${w.startTime} (${w.timezone})`}</td>
              <td>{w.recurrence === "none" ? when(w.endsAt) : `${Math.round(w.durationSeconds / 60)} min`}</td>
              <td>{(w.assetIds?.length ?? 0) + (w.monitorIds?.length ?? 0) || "every monitor"}</td>
              {write && (
                <td>
                  {state(w) === "active" && (
                    <button type="button" onClick={() => void end(w)}>
                      End {w.name}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {data && rows.length === 0 && <p>No maintenance window.</p>}
      <Pager label="Maintenance windows" page={pages.page} total={data?.maintenanceWindows.totalCount} info={data?.maintenanceWindows.pageInfo} onPrev={pages.prev} onNext={() => pages.next(data?.maintenanceWindows.pageInfo)} />
      {write && (
        <form onSubmit={submit} noValidate className="form">
          <h2>New window</h2>
          <p>Checks keep running during a window; no incident is opened for the monitors it covers. It covers every monitor of the tenant.</p>
          <Field id="mw-name" label="Name" error={errors.name}>
            <input id="mw-name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="mw-starts" label="Starts" error={errors.startsAt}>
            <input id="mw-starts" type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />
          </Field>
          <Field id="mw-ends" label="Ends" error={errors.endsAt}>
            <input id="mw-ends" type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} />
          </Field>
          {(errors[""] || errors.input) && <p className="error" role="alert">{[errors[""], errors.input].filter(Boolean).join("; ")}</p>}
          <button type="submit">Create window</button>
        </form>
      )}
    </section>
  );
}
