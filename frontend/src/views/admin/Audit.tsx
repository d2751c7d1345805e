import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { QueryError, when } from "../../ui";

const AuditQuery = graphql(`
  query AdminAudit($tenantId: ID!, $after: Cursor, $action: String, $actorId: String) {
    auditLog(tenantId: $tenantId, first: 25, after: $after, action: $action, actorId: $actorId) {
      edges { node { id seq createdAt actorType actorId action targetId ip } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const ActingQuery = graphql(`
  query AuditActing { viewer { actingTenant { id } } }
`);

// Audit pages through the acting tenant's audit log, newest first,
// filtered by action and actor.
export default function Audit() {
  const [{ data: a }] = useQuery({ query: ActingQuery });
  const tenantId = a?.viewer.actingTenant.id ?? "";
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const [filter, setFilter] = useState({ action: "", actor: "" });
  const [after, setAfter] = useState<string[]>([]);
  const [{ data, fetching, error }] = useQuery({
    query: AuditQuery,
    pause: !tenantId,
    variables: { tenantId, after: after[after.length - 1] ?? null, action: filter.action || null, actorId: filter.actor || null },
  });
  const rows = (data?.auditLog.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  return (
    <section>
      <h1>Audit log</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setAfter([]);
          setFilter({ action, actor });
        }}
      >
        <label htmlFor="audit-action">Action</label>
        <input id="audit-action" value={action} onChange={(e) => setAction(e.target.value)} placeholder="apikey.create" />
        <label htmlFor="audit-actor">Actor ID</label>
        <input id="audit-actor" value={actor} onChange={(e) => setActor(e.target.value)} />
        <button type="submit">Filter</button>
      </form>
      <QueryError error={error} />
      {(fetching || !tenantId) && !data && <p className="loading">Loading…</p>}
      {data && (
        <table>
          <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">IP</th></tr></thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.id}>
                <td>{e.seq}</td>
                <td>{when(e.createdAt)}</td>
                <td>{e.action}</td>
                <td>{e.actorType} {e.actorId}</td>
                <td>{e.targetId}</td>
                <td>{e.ip}</td>
              </tr>
            ))}
            {!rows.length && <tr><td colSpan={6}>No entries.</td></tr>}
          </tbody>
        </table>
      )}
      <nav aria-label="Pages" className="pager">
        {after.length > 0 && <button type="button" onClick={() => setAfter(after.slice(0, -1))}>Newer</button>}
        {data?.auditLog.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter([...after, data.auditLog.pageInfo.endCursor ?? ""])}>Older</button>}
      </nav>
    </section>
  );
}
