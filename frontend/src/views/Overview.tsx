import { useMemo } from "react";
import { useQuery } from "urql";
import { Link } from "react-router";
import { graphql } from "../gql";
import { setActing } from "../session";
import { useViewer } from "../Layout";
import { QueryError } from "../ui";

const Customers = graphql(`
  query Customers {
    tenants(first: 100, orderBy: [{ field: NAME, direction: ASC }]) {
      totalCount
      edges { node { id name kind status } }
    }
  }
`);

// The counts of every row in one request: six aliased totals per tenant,
// each a page of none (first: 0) so that only the count is read and the
// cost stays small.
const COUNTS = {
  monitors: "monitors",
  down: "monitors",
  incidents: "incidents",
  critical: "alerts",
  high: "alerts",
  other: "alerts",
} as const;
function countsQuery(ids: string[]): string {
  const where: Record<keyof typeof COUNTS, string> = {
    monitors: "",
    down: ", status: down",
    incidents: ", statusNEQ: resolved",
    critical: ", status: new, severity: critical",
    high: ", status: new, severity: high",
    other: ", status: new, severityIn: [medium, low, info]",
  };
  const fields = ids.flatMap((id, i) =>
    (Object.keys(COUNTS) as (keyof typeof COUNTS)[]).map((k) => `${k}${i}: ${COUNTS[k]}(first: 0, where: { tenantId: "${id}"${where[k]} }) { totalCount }`),
  );
  return `query TenantCounts { ${fields.length ? fields.join("\n") : "__typename"} }`;
}

type Counts = Record<string, { totalCount: number } | undefined>;

function Row({ id, name, kind, status, i, counts }: { id: string; name: string; kind: string; status: string; i: number; counts?: Counts }) {
  const n = (k: string) => counts?.[`${k}${i}`]?.totalCount ?? "…";
  return (
    <tr>
      <th scope="row">
        {kind === "customer" ? (
          <button type="button" className="link" onClick={() => setActing(id)}>
            {name}
          </button>
        ) : (
          name
        )}
      </th>
      <td>{status}</td>
      <td>{n("monitors")}</td>
      <td className={counts?.[`down${i}`]?.totalCount ? "bad" : ""}>{n("down")}</td>
      <td>{n("incidents")}</td>
      <td>{n("critical")}</td>
      <td>{n("high")}</td>
      <td>{n("other")}</td>
    </tr>
  );
}

export default function Overview() {
  const v = useViewer();
  const [{ data, error }] = useQuery({ query: Customers });
  const rows = (data?.tenants.edges ?? []).flatMap((e) => (e?.node && /^[a-z]+_[a-z0-9]+$/.test(e.node.id) ? [e.node] : []));
  const query = useMemo(() => countsQuery(rows.map((r) => r.id)), [rows.map((r) => r.id).join(",")]);
  const [counts] = useQuery<Counts>({ query, pause: rows.length === 0 });
  return (
    <section>
      <h1>Overview: {v.actingName}</h1>
      <QueryError error={error} />
      <p>
        {data ? `${data.tenants.totalCount} tenants in reach.` : "Loading…"} <Link to="/monitors">Monitors</Link> ·{" "}
        <Link to="/alerts">Alert queue</Link>
      </p>
      <table className="grid" aria-label="Customers">
        <thead>
          <tr>
            <th scope="col">Tenant</th>
            <th scope="col">Status</th>
            <th scope="col">Monitors</th>
            <th scope="col">Down</th>
            <th scope="col">Open incidents</th>
            <th scope="col">Critical alerts</th>
            <th scope="col">High alerts</th>
            <th scope="col">Other alerts</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t, i) => (
            <Row key={t.id} {...t} i={i} counts={counts.data} />
          ))}
        </tbody>
      </table>
    </section>
  );
}
