import { useMemo, useState, type FormEvent } from "react";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { PAGE, Pager, usePages } from "../../Pager";
import { Field, QueryError } from "../../ui";

const Report = graphql(`
  query UptimeReport($from: Time!, $to: Time!, $first: Int, $after: Cursor) {
    monitors(first: $first, after: $after, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          name
          tenantId
          uptime(from: $from, to: $to) { uptimePercent checks up down degraded downtimeSeconds p95Ms slaTarget slaBreached slaAllowedDowntimeSeconds }
        }
      }
    }
    tenants(first: 100) { edges { node { id name } } }
  }
`);

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

// The figures as shown; the CSV is made from exactly these strings.
const pct = (v?: number | null) => (v === null || v === undefined ? "—" : v.toFixed(3));
const secs = (v?: number | null) => (v === null || v === undefined ? "—" : v.toFixed(0));
const COLUMNS = ["Tenant", "Monitor", "Uptime %", "Checks", "Up", "Degraded", "Down", "Downtime (s)", "p95 (ms)", "SLA target %", "SLA allowed downtime (s)", "SLA"];

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export default function Reports() {
  const today = new Date();
  const [fromDay, setFromDay] = useState(day(new Date(today.getTime() - 30 * 86400_000)));
  const [toDay, setToDay] = useState(day(new Date(today.getTime() + 86400_000)));
  const [range, setRange] = useState({ from: `${fromDay}T00:00:00Z`, to: `${toDay}T00:00:00Z` });
  const [rangeError, setRangeError] = useState("");
  const pages = usePages();
  const [{ data, error, fetching }] = useQuery({ query: Report, variables: { ...range, first: PAGE, after: pages.after } });
  const names = new Map((data?.tenants.edges ?? []).flatMap((e) => (e?.node ? [[e.node.id, e.node.name] as const] : [])));
  const rows = useMemo(
    () =>
      (data?.monitors.edges ?? []).flatMap((e) => {
        const m = e?.node;
        if (!m) return [];
        const u = m.uptime;
        return [
          [
            names.get(m.tenantId) ?? m.tenantId,
            m.name,
            pct(u.uptimePercent),
            String(u.checks),
            String(u.up),
            String(u.degraded),
            String(u.down),
            secs(u.downtimeSeconds),
            secs(u.p95Ms),
            pct(u.slaTarget),
            secs(u.slaAllowedDowntimeSeconds),
            u.slaBreached === null || u.slaBreached === undefined ? "no target" : u.slaBreached ? "breached" : "met",
          ],
        ];
      }),
    [data, names],
  );
  const csv = [COLUMNS, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
  const href = useMemo(() => URL.createObjectURL(new Blob([csv], { type: "text/csv" })), [csv]);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!fromDay || !toDay || toDay <= fromDay) return setRangeError("The end must be after the start.");
    setRangeError("");
    pages.reset();
    setRange({ from: `${fromDay}T00:00:00Z`, to: `${toDay}T00:00:00Z` });
  }

  return (
    <section>
      <h1>Uptime and SLA report</h1>
      <form onSubmit={submit} noValidate className="toolbar">
        <Field id="rep-from" label="From (UTC day)">
          <input id="rep-from" type="date" value={fromDay} onChange={(e) => setFromDay(e.target.value)} />
        </Field>
        <Field id="rep-to" label="To (UTC day, not included)" error={rangeError}>
          <input id="rep-to" type="date" value={toDay} onChange={(e) => setToDay(e.target.value)} />
        </Field>
        <button type="submit">Show</button>
      </form>
      <QueryError error={error} />
      {fetching && <p className="loading">Loading…</p>}
      {data && (
        <p>
          {data.monitors.totalCount} monitors, {range.from.slice(0, 10)} to {range.to.slice(0, 10)}.{" "}
          <a href={href} download={`uptime-${range.from.slice(0, 10)}-${range.to.slice(0, 10)}-page${pages.page}.csv`}>
            Download this page as CSV
          </a>
        </p>
      )}
      <table className="grid" aria-label="Uptime report">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c} scope="col">{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i} data-testid="report-row">
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {data && rows.length === 0 && <p>No monitor.</p>}
      <Pager label="Report" page={pages.page} total={data?.monitors.totalCount} info={data?.monitors.pageInfo} onPrev={pages.prev} onNext={() => pages.next(data?.monitors.pageInfo)} />
    </section>
  );
}
