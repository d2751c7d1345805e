import { useState } from "react";
import { useQuery } from "urql";
import { Link } from "react-router";
import { graphql } from "../gql";
import type { CustomerOverviewQuery } from "../gql/graphql";
import { setActing } from "../session";
import { useViewer } from "../Layout";
import { QueryError } from "../ui";

// Every row in one request: the server computes the figures of the whole
// page in grouped queries (see customerOverview in graph/schema).
const CustomerOverview = graphql(`
  query CustomerOverview($after: Cursor) {
    customerOverview(first: 100, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          tenant { id name status }
          monitors
          monitorsDown
          openIncidents
          slasAtRisk
          openAlerts { critical high medium low info }
          planUsage { planName monitorsUsed monitorsAllowed eventsToday eventBytesToday eventBytesAllowedPerDay }
        }
      }
    }
  }
`);

type Row = CustomerOverviewQuery["customerOverview"]["edges"][number]["node"];
type Plan = NonNullable<Row["planUsage"]>;

const units = ["B", "KB", "MB", "GB", "TB"];
function bytes(n: number): string {
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

// PlanCell says what the plan allows and how much of it is used; it is
// marked when monitors reach 90% of the limit or today's events their
// daily allowance.
function PlanCell({ p }: { p: Row["planUsage"] }) {
  if (!p) return <td>—</td>;
  const full = p.monitorsUsed >= 0.9 * p.monitorsAllowed || (p.eventBytesAllowedPerDay != null && (p.eventBytesToday ?? 0) >= p.eventBytesAllowedPerDay);
  return (
    <td className={full ? "bad" : ""} data-testid="plan-usage">
      {p.planName}: {p.monitorsUsed} / {p.monitorsAllowed} monitors
      {p.eventsToday != null && <>; {events(p)}</>}
    </td>
  );
}

function events(p: Plan): string {
  const used = `${p.eventsToday} events today (${bytes(p.eventBytesToday ?? 0)}`;
  return p.eventBytesAllowedPerDay != null ? `${used} of ${bytes(p.eventBytesAllowedPerDay)} a day)` : `${used})`;
}

function CustomerRow({ r }: { r: Row }) {
  const other = r.openAlerts.medium + r.openAlerts.low + r.openAlerts.info;
  return (
    <tr>
      <th scope="row">
        <button type="button" className="link" onClick={() => setActing(r.tenant.id)}>
          {r.tenant.name}
        </button>
      </th>
      <td>{r.tenant.status}</td>
      <td>{r.monitors}</td>
      <td className={r.monitorsDown ? "bad" : ""}>{r.monitorsDown}</td>
      <td>{r.openIncidents}</td>
      <td>{r.openAlerts.critical}</td>
      <td>{r.openAlerts.high}</td>
      <td>{other}</td>
      <td className={r.slasAtRisk ? "bad" : ""} data-testid="slas-at-risk">
        {r.slasAtRisk}
      </td>
      <PlanCell p={r.planUsage} />
    </tr>
  );
}

export default function Overview() {
  const v = useViewer();
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const after = pages[pages.length - 1];
  const [{ data, error, fetching }] = useQuery({ query: CustomerOverview, variables: { after } });
  const conn = data?.customerOverview;
  const rows = conn?.edges.map((e) => e.node) ?? [];
  return (
    <section>
      <h1>Overview: {v.actingName}</h1>
      <QueryError error={error} />
      <p>
        {conn ? `${conn.totalCount} customers in reach.` : "Loading…"} <Link to="/monitors">Monitors</Link> ·{" "}
        <Link to="/alerts">Alert queue</Link>
      </p>
      <table className="grid" aria-label="Customers" aria-busy={fetching}>
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
            <th scope="col">SLAs at risk</th>
            <th scope="col">Plan usage</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <CustomerRow key={r.tenant.id} r={r} />
          ))}
        </tbody>
      </table>
      <p className="hint">
        Counts include each customer's organizations. Open alerts are new or acknowledged. An SLA is at risk when its uptime
        this month (UTC) is below its target plus a fifth of the margin to 100%: more than 80% of its error budget is spent.
      </p>
      {(pages.length > 1 || conn?.pageInfo.hasNextPage) && (
        <p>
          {pages.length > 1 && (
            <button type="button" onClick={() => setPages(pages.slice(0, -1))}>
              Previous customers
            </button>
          )}{" "}
          {conn?.pageInfo.hasNextPage && (
            <button type="button" onClick={() => setPages([...pages, conn.pageInfo.endCursor ?? null])}>
              Next customers
            </button>
          )}
        </p>
      )}
    </section>
  );
}
