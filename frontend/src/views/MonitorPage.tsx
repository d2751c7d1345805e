import { useMemo } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { graphql } from "../gql";
import { useViewer } from "../Layout";
import { Badge, can, NotFound, QueryError, when } from "../ui";
import { dayRanges, UptimeBars } from "../UptimeBars";
import { useCatchUp } from "../live";

const MonitorQ = graphql(`
  query MonitorPage($id: ID!, $from: Time!, $to: Time!) {
    node(id: $id) {
      ... on Monitor {
        id name kind status paused statusSince lastMessage intervalSeconds settings
        asset { id name }
        uptime(from: $from, to: $to) { uptimePercent p95Ms checks }
        results(from: $from, to: $to, first: 500) { nodes { checkedAt status latencyMs reason message } }
      }
    }
  }
`);

const Pause = graphql(`mutation PauseOne($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }`);
const Run = graphql(`mutation RunOne($id: ID!) { runMonitor(id: $id) { monitor { id } userErrors { field message code } } }`);
const Resume = graphql(`mutation ResumeOne($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }`);

// The 90 days' uptime in one request: one aliased field per day.
function uptimeQuery(days: { from: string; to: string }[]): string {
  const f = days.map((d, i) => `d${i}: uptime(from: "${d.from}", to: "${d.to}") { uptimePercent }`).join("\n");
  return `query MonitorDays($id: ID!) { node(id: $id) { ... on Monitor { id ${f} } } }`;
}

const MonitorPageState = graphql(`
  subscription MonitorPageState {
    monitorStateChanged { id status paused lastCheckedAt }
  }
`);

export default function MonitorPage() {
  const { id = "" } = useParams();
  const v = useViewer();
  const range = useMemo(() => {
    const to = new Date();
    return { from: new Date(to.getTime() - 24 * 3600_000).toISOString(), to: to.toISOString() };
  }, []);
  const [{ data, error, fetching }, refetch] = useQuery({ query: MonitorQ, variables: { id, ...range } });
  useCatchUp(refetch);
  // A change of this monitor's state reloads the page's figures.
  useSubscription({ query: MonitorPageState }, (_, d) => {
    if (d.monitorStateChanged.id === id) refetch({ requestPolicy: "network-only" });
    return d;
  });
  const days = useMemo(() => dayRanges(90), []);
  const [daysRes] = useQuery<{ node: Record<string, { uptimePercent: number | null }> | null }>({ query: useMemo(() => uptimeQuery(days), [days]), variables: { id } });
  const [, pause] = useMutation(Pause);
  const [, resume] = useMutation(Resume);
  const [ran, run] = useMutation(Run);
  if (fetching && !data) return <p className="loading">Loading…</p>;
  const m = data?.node && "name" in data.node ? data.node : null;
  if (!m) return error && !error.graphQLErrors.some((e) => e.extensions?.code === "not_found") ? <QueryError error={error} /> : <NotFound />;
  const results = m.results.nodes;
  const chart = [...results].reverse().map((r) => ({ t: new Date(r.checkedAt).toLocaleTimeString(), ms: Math.round(r.latencyMs) }));
  const dn = daysRes.data?.node;
  return (
    <section>
      <h1>{m.name}</h1>
      <p>
        <Badge value={m.paused ? "paused" : m.status} /> since {when(m.statusSince)} · {m.kind} on {m.asset.name} · every {m.intervalSeconds}s
      </p>
      {can(v.permissions, "noc:write") && (
        <p>
          {m.paused ? (
            <button type="button" onClick={() => void resume({ id })}>Resume</button>
          ) : (
            <button type="button" onClick={() => void pause({ id })}>Pause</button>
          )}{" "}
          <button type="button" onClick={() => void run({ id })}>Check now</button>{" "}
          <Link className="button" to={`/monitors/${id}/edit`}>Edit</Link>
          {ran.data && !ran.error && <span role="status"> Check queued.</span>}
        </p>
      )}
      <h2>Last 24 hours</h2>
      <p>
        Uptime {m.uptime.uptimePercent == null ? "—" : `${m.uptime.uptimePercent.toFixed(2)}%`} · p95 {m.uptime.p95Ms == null ? "—" : `${m.uptime.p95Ms.toFixed(0)} ms`} · {m.uptime.checks} checks
      </p>
      <div className="chart" role="img" aria-label="Response time in milliseconds over the last 24 hours">
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={chart}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" minTickGap={40} />
            <YAxis unit=" ms" width={70} />
            <Tooltip />
            <Line type="monotone" dataKey="ms" stroke="#1f6feb" dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <h2>90 days</h2>
      <UptimeBars label="Uptime" days={days.map((d, i) => ({ day: d.day, percent: dn?.[`d${i}`]?.uptimePercent ?? null }))} />
      <h2>Recent results</h2>
      <table className="grid">
        <thead>
          <tr><th scope="col">Checked</th><th scope="col">Status</th><th scope="col">Latency</th><th scope="col">Message</th></tr>
        </thead>
        <tbody>
          {results.slice(0, 50).map((r) => (
            <tr key={r.checkedAt}>
              <td>{when(r.checkedAt)}</td>
              <td><Badge value={r.status} /></td>
              <td>{r.latencyMs.toFixed(0)} ms</td>
              <td>{r.message || r.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
