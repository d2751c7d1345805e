import { useState } from "react";
import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { IncidentStatus } from "../gql/graphql";
import { Badge, QueryError, when } from "../ui";
import { useCatchUp } from "../live";

const List = graphql(`
  query Incidents($where: IncidentWhereInput) {
    incidents(first: 100, where: $where, orderBy: { field: OPENED_AT, direction: DESC }) {
      totalCount
      edges { node { id title severity status openedAt ackedAt resolvedAt tenantId } }
    }
  }
`);

export const IncidentUpdated = graphql(`
  subscription IncidentUpdated {
    incidentUpdated { id title severity status openedAt ackedAt resolvedAt tenantId }
  }
`);

type Row = { id: string; title: string; severity: string; status: string; openedAt: string; ackedAt?: string | null; resolvedAt?: string | null };

export default function Incidents() {
  const [status, setStatus] = useState<string>("open");
  const where = status === "open" ? { statusNEQ: "resolved" as IncidentStatus } : status ? { status: status as IncidentStatus } : {};
  const [{ data, error }, refetch] = useQuery({ query: List, variables: { where } });
  useCatchUp(refetch);
  // Live: an incident that changes (or opens) comes in through the
  // subscription; a new one is put on top.
  const [live] = useSubscription({ query: IncidentUpdated }, (acc: Row[] = [], d) => [d.incidentUpdated, ...acc.filter((r) => r.id !== d.incidentUpdated.id)]);
  const base = (data?.incidents.edges ?? []).flatMap((e) => (e?.node ? [e.node as Row] : []));
  const liveRows = (live.data ?? []).filter((r) => status === "" || (status === "open" ? r.status !== "resolved" : r.status === status));
  const ids = new Set(liveRows.map((r) => r.id));
  const rows = [...liveRows.filter((r) => !base.some((b) => b.id === r.id)), ...base.map((b) => (ids.has(b.id) ? liveRows.find((r) => r.id === b.id)! : b))].filter(
    (r) => status === "" || (status === "open" ? r.status !== "resolved" : r.status === status),
  );
  return (
    <section>
      <h1>Incidents</h1>
      <div className="toolbar">
        <label>
          Status{" "}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="open">open</option>
            <option value="triggered">triggered</option>
            <option value="acknowledged">acknowledged</option>
            <option value="resolved">resolved</option>
            <option value="">any</option>
          </select>
        </label>
        <button type="button" onClick={() => refetch({ requestPolicy: "network-only" })}>Reload</button>
      </div>
      <QueryError error={error} />
      <table className="grid" aria-label="Incidents">
        <thead>
          <tr><th scope="col">Incident</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Opened</th></tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="incident-row">
              <td><Link to={`/incidents/${r.id}`}>{r.title}</Link></td>
              <td><Badge value={r.severity} /></td>
              <td><Badge value={r.status} /></td>
              <td>{when(r.openedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p>No incident.</p>}
    </section>
  );
}
