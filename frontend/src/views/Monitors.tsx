import { useCallback, useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { useClient, useSubscription } from "urql";
import { useVirtualizer } from "@tanstack/react-virtual";
import { graphql } from "../gql";
import type { MonitorKind, MonitorStatus, MonitorWhereInput } from "../gql/graphql";
import { useViewer } from "../Layout";
import { Badge, can } from "../ui";
import { useCatchUp } from "../live";

const Page = graphql(`
  query MonitorsPage($first: Int!, $after: Cursor, $where: MonitorWhereInput) {
    monitors(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name kind status paused lastCheckedAt lastLatencyUs tenantId } }
    }
  }
`);

const StateChanged = graphql(`
  subscription MonitorStateChanged {
    monitorStateChanged { id status paused lastCheckedAt lastLatencyUs }
  }
`);

const Pause = graphql(`mutation PauseMonitor($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }`);
const Resume = graphql(`mutation ResumeMonitor($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }`);
const Delete = graphql(`mutation DeleteMonitor($id: ID!) { deleteMonitor(id: $id) { userErrors { field message code } } }`);

type Row = { id: string; name: string; kind: string; status: string; paused: boolean; lastCheckedAt?: string | null; lastLatencyUs: number };

const PAGE = 100;
const KINDS: MonitorKind[] = ["http", "tcp", "ping", "dns", "tls", "heartbeat", "server_health", "snmp"];
const STATUSES: MonitorStatus[] = ["up", "degraded", "down", "paused", "maintenance", "unknown"];

export default function Monitors() {
  const client = useClient();
  const v = useViewer();
  const write = can(v.permissions, "noc:write");
  const [name, setName] = useState("");
  const [status, setStatus] = useState("");
  const [kind, setKind] = useState("");
  const [rows, setRows] = useState<Row[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState("");
  const generation = useRef(0);

  const where = useCallback((): MonitorWhereInput => {
    const w: MonitorWhereInput = {};
    if (name) w.nameContainsFold = name;
    if (status) w.status = status as MonitorStatus;
    if (kind) w.kind = kind as MonitorKind;
    return w;
  }, [name, status, kind]);

  const load = useCallback(
    async (after: string | null) => {
      const gen = generation.current;
      setLoading(true);
      const r = await client.query(Page, { first: PAGE, after, where: where() }, { requestPolicy: "network-only" }).toPromise();
      if (gen !== generation.current) return; // the filters changed meanwhile
      setLoading(false);
      const c = r.data?.monitors;
      if (!c) return;
      const page = (c.edges ?? []).flatMap((e) => (e?.node ? [e.node as Row] : []));
      setRows((old) => (after ? [...old, ...page] : page));
      setTotal(c.totalCount);
      setCursor(c.pageInfo.endCursor ?? null);
      setMore(c.pageInfo.hasNextPage);
    },
    [client, where],
  );

  // New filters: start over from the first page (after a short pause while typing).
  useEffect(() => {
    generation.current++;
    setSelected(new Set());
    const t = window.setTimeout(() => void load(null), name ? 200 : 0);
    return () => window.clearTimeout(t);
  }, [load, name]);

  useCatchUp(() => void load(null));
  useSubscription({ query: StateChanged }, (_, d) => {
    const m = d.monitorStateChanged;
    setRows((old) => old.map((r) => (r.id === m.id ? { ...r, ...m } : r)));
    return d;
  });

  const parent = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: rows.length, getScrollElement: () => parent.current, estimateSize: () => 36, overscan: 10 });
  const items = virt.getVirtualItems();
  const last = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    if (more && !loading && last >= rows.length - 20) void load(cursor);
  }, [last, more, loading, rows.length, cursor, load]);

  async function bulk(action: "pause" | "resume" | "delete") {
    const ids = [...selected];
    if (action === "delete" && !window.confirm(`Delete ${ids.length} monitors?`)) return;
    const doc = action === "pause" ? Pause : action === "resume" ? Resume : Delete;
    let failed = 0;
    // A few at a time: the API takes each change on its own.
    for (let i = 0; i < ids.length; i += 8) {
      const res = await Promise.all(ids.slice(i, i + 8).map((id) => client.mutation(doc, { id }).toPromise()));
      failed += res.filter((r) => r.error).length;
    }
    setNotice(`${action}: ${ids.length - failed} done${failed ? `, ${failed} failed` : ""}.`);
    setSelected(new Set());
    generation.current++;
    void load(null);
  }

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  return (
    <section>
      <h1>Monitors</h1>
      <div className="toolbar">
        <label>
          Name <input type="search" value={name} onChange={(e) => setName(e.target.value)} aria-label="Filter by name" />
        </label>
        <label>
          Status{" "}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Kind{" "}
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">any</option>
            {KINDS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <span data-testid="monitor-total">{total === null ? "…" : `${total} monitors`}</span>
        {write && <Link to="/monitors/new" className="button">New monitor</Link>}
      </div>
      {write && (
        <div className="toolbar" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          <button type="button" disabled={!selected.size} onClick={() => void bulk("pause")}>Pause</button>
          <button type="button" disabled={!selected.size} onClick={() => void bulk("resume")}>Resume</button>
          <button type="button" disabled={!selected.size} className="danger" onClick={() => void bulk("delete")}>Delete</button>
          {notice && <span role="status">{notice}</span>}
        </div>
      )}
      <div ref={parent} className="vlist" data-testid="monitor-list" tabIndex={0} aria-label="Monitor list" role="region">
        <ul style={{ height: virt.getTotalSize() }}>
          {items.map((it) => {
            const r = rows[it.index];
            return (
              <li key={r.id} className="vrow" style={{ transform: `translateY(${it.start}px)` }}>
                {write && <input type="checkbox" aria-label={`Select ${r.name}`} checked={selected.has(r.id)} onChange={() => toggle(r.id)} />}
                <Link to={`/monitors/${r.id}`}>{r.name}</Link>
                <span className="muted">{r.kind}</span>
                <Badge value={r.paused ? "paused" : r.status} />
                <span className="muted">{r.lastCheckedAt ? `${(r.lastLatencyUs / 1000).toFixed(0)} ms` : ""}</span>
              </li>
            );
          })}
        </ul>
      </div>
      {!loading && rows.length === 0 && <p>No monitor matches.</p>}
    </section>
  );
}
