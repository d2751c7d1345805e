import { useEffect, useMemo, useState } from "react";
import { type Client, type CombinedError, useClient, useMutation, useQuery } from "urql";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { graphql } from "../../gql";
import { useViewer } from "../../Layout";
import { Badge, QueryError, can, fieldErrors, when } from "../../ui";
import { money, saveBase64 } from "../../files";

const BillingQuery = graphql(`
  query BillingPage($tenantId: ID!) {
    billingAccount(tenantId: $tenantId) {
      currency interval periodStart periodEnd discountPercent taxPercent creditBalance
      version { id planId version baseFee components { meter model unitAmount per freeUnits } }
    }
    subscription(tenantId: $tenantId) { status inherited plan { id name maxMonitors minIntervalSeconds retentionDays eventsPerSecond maxConcurrency } }
    currentUsage(tenantId: $tenantId) { meter quantity amount }
    billingCollection(tenantId: $tenantId) { collection state subscriptionStatus }
  }
`);
const UsageHistoryQuery = graphql(`
  query BillingUsageHistory($tenantId: ID!, $from: Time!, $to: Time!, $after: Cursor) {
    usageHistory(tenantId: $tenantId, from: $from, to: $to, first: 100, after: $after) {
      edges { node { day meter quantity } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const InvoicesQuery = graphql(`
  query BillingInvoices($tenantId: ID!, $after: String) {
    invoices(tenantId: $tenantId, first: 10, after: $after) {
      nodes {
        id number status currency periodStart periodEnd subtotal discount tax credit total
        lines { kind description quantity freeUnits amount }
      }
      endCursor hasNextPage
    }
  }
`);
const ActingQuery = graphql(`
  query BillingActing { viewer { actingTenant { id kind name } } tenants(first: 100) { edges { node { id name kind } } } }
`);
const DocQuery = graphql(`
  query BillingInvoiceDocument($tenantId: ID!, $invoiceId: ID!) {
    invoiceDocument(tenantId: $tenantId, invoiceId: $invoiceId, format: "pdf") { filename contentType base64 }
  }
`);
const PortalQuery = graphql(`query BillingPortal($tenantId: ID!) { billingPortalUrl(tenantId: $tenantId) }`);
const RevenueQuery = graphql(`
  query BillingRevenue { revenue { tenantId currency recurring usage total } }
`);
const PriceBookQuery = graphql(`
  query BillingPriceBook($first: Int, $after: Cursor) {
    priceBook(first: $first, after: $after) {
      totalCount
      edges { node { id planId version currency interval baseFee minimumCommitment components { meter model unitAmount per freeUnits } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const PreviewQuery = graphql(`
  query BillingPreview($tenantId: ID!, $versionId: ID!) {
    previewPlanChange(tenantId: $tenantId, versionId: $versionId) { upgrade effectiveAt delta lines { description amount } }
  }
`);
const ChangeVersion = graphql(`
  mutation BillingChangeVersion($tenantId: ID!, $versionId: ID!) {
    changePriceVersion(tenantId: $tenantId, versionId: $versionId) { userErrors { field message code } }
  }
`);

const day = 24 * 3600 * 1000;

// A page of a Relay connection, as the queries above select it.
type Connection<N> = {
  edges?: ({ node?: N | null } | null)[] | null;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
};

// The pages a view reads whole (a chart, a choice): at most maxPages of
// them, following endCursor.
const maxPages = 20;

// useAllPages reads every page of a connection, one after the other.
// page asks for the page after a cursor and picks the connection out.
function useAllPages<N>(
  page: (client: Client, after: string | null) => Promise<{ conn?: Connection<N> | null; error?: CombinedError }>,
  deps: unknown[],
): { rows: N[] | null; error?: CombinedError } {
  const client = useClient();
  const [state, setState] = useState<{ rows: N[] | null; error?: CombinedError }>({ rows: null });
  useEffect(() => {
    let live = true;
    void (async () => {
      const rows: N[] = [];
      let after: string | null = null;
      for (let n = 0; n < maxPages; n++) {
        const r = await page(client, after);
        if (!live) return;
        if (!r.conn) {
          setState({ rows: null, error: r.error });
          return;
        }
        for (const e of r.conn.edges ?? []) if (e?.node) rows.push(e.node);
        if (!r.conn.pageInfo.hasNextPage || !r.conn.pageInfo.endCursor) break;
        after = r.conn.pageInfo.endCursor;
      }
      setState({ rows });
    })();
    return () => {
      live = false;
    };
  }, [client, ...deps]);
  return state;
}

// The whole price book, for choosing a version.
function usePriceBook() {
  return useAllPages(
    (client, after) =>
      client.query(PriceBookQuery, { first: 100, after }).toPromise().then((r) => ({ conn: r.data?.priceBook, error: r.error })),
    [],
  );
}

// Billing shows a customer's plan, usage against allowances, usage by day,
// invoices and, for the provider, the price book and revenue.
export default function Billing() {
  const [{ data: a, error }] = useQuery({ query: ActingQuery });
  const acting = a?.viewer.actingTenant;
  const customers = (a?.tenants.edges ?? []).flatMap((e) => (e?.node && e.node.kind === "customer" ? [e.node] : []));
  const [chosen, setChosen] = useState("");
  if (error) return <QueryError error={error} />;
  if (!acting) return <p className="loading">Loading…</p>;
  const provider = acting.kind === "provider";
  const tenantId = provider ? chosen || customers[0]?.id || "" : acting.id;
  return (
    <section>
      <h1>Billing</h1>
      {provider && (
        <>
          <Provider customers={customers} />
          <label htmlFor="billing-customer">Customer</label>{" "}
          <select id="billing-customer" value={tenantId} onChange={(e) => setChosen(e.target.value)}>
            {customers.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </>
      )}
      {tenantId ? <Customer key={tenantId} tenantId={tenantId} provider={provider} /> : <p>No customers.</p>}
    </section>
  );
}

function Customer({ tenantId, provider }: { tenantId: string; provider: boolean }) {
  const v = useViewer();
  const client = useClient();
  const range = useMemo(() => {
    const to = new Date(Math.ceil(Date.now() / day) * day);
    return { from: new Date(to.getTime() - 30 * day).toISOString(), to: to.toISOString() };
  }, []);
  const [{ data, fetching, error }, reload] = useQuery({ query: BillingQuery, variables: { tenantId } });
  const history = useAllPages(
    (client, after) =>
      client
        .query(UsageHistoryQuery, { tenantId, ...range, after })
        .toPromise()
        .then((r) => ({ conn: r.data?.usageHistory, error: r.error })),
    [tenantId, range.from, range.to],
  );
  const [portalErr, setPortalErr] = useState("");
  if (error) return <QueryError error={error} />;
  if (fetching && !data) return <p className="loading">Loading…</p>;
  if (!data) return null;
  const acct = data.billingAccount;
  const plan = data.subscription.plan;
  const allowance = new Map((acct.version?.components ?? []).map((c) => [c.meter, c.freeUnits]));
  const usage = history.rows ?? [];
  const meters = Array.from(new Set(usage.map((u) => u.meter)));
  const byDay = new Map<string, Record<string, number | string>>();
  for (const u of usage) {
    const k = u.day.slice(0, 10);
    const row = byDay.get(k) ?? { day: k };
    row[u.meter] = u.quantity;
    byDay.set(k, row);
  }
  const chart = Array.from(byDay.values()).sort((x, y) => String(x.day).localeCompare(String(y.day)));
  const colors = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626"];
  return (
    <>
      <h2>Plan</h2>
      <dl className="facts">
        <dt>Plan</dt><dd>{plan.name} <Badge value={data.subscription.status} />{data.subscription.inherited ? " (from the parent tenant)" : ""}</dd>
        <dt>Monitors</dt><dd>{plan.maxMonitors}</dd>
        <dt>Shortest check interval</dt><dd>{plan.minIntervalSeconds} s</dd>
        <dt>Retention</dt><dd>{plan.retentionDays} days</dd>
        <dt>Events per second</dt><dd>{plan.eventsPerSecond}</dd>
        <dt>Period</dt><dd>{when(acct.periodStart)} – {when(acct.periodEnd)} ({acct.interval})</dd>
        <dt>Price version</dt><dd>{acct.version ? `${acct.version.planId} v${acct.version.version}, base fee ${money(acct.version.baseFee, acct.currency)}` : "—"}</dd>
        <dt>Credit</dt><dd>{money(acct.creditBalance, acct.currency)}</dd>
      </dl>
      {data.billingCollection.collection === "stripe" && (
        <p>
          <button
            type="button"
            onClick={() =>
              void client.query(PortalQuery, { tenantId }, { requestPolicy: "network-only" }).toPromise().then((r) => {
                if (r.data?.billingPortalUrl) location.assign(r.data.billingPortalUrl);
                else setPortalErr(r.error?.message ?? "No billing portal.");
              })
            }
          >
            Manage payment methods
          </button>
          {portalErr && <span className="error" role="alert"> {portalErr}</span>}
        </p>
      )}
      {provider && can(v.permissions, "billing:write") && <ChangePlan tenantId={tenantId} current={acct.version?.id ?? ""} onDone={() => reload({ requestPolicy: "network-only" })} />}
      <h2>Usage this period</h2>
      {!data.currentUsage.length && <p>No usage yet.</p>}
      <ul className="usage">
        {data.currentUsage.map((u) => {
          const free = allowance.get(u.meter) ?? 0;
          const pct = free > 0 ? Math.min(100, Math.round((u.quantity / free) * 100)) : 100;
          return (
            <li key={u.meter}>
              <span id={`meter-${u.meter}`}>{u.meter}: {u.quantity.toLocaleString()}{free > 0 ? ` of ${free.toLocaleString()} included` : ""} · {money(u.amount, acct.currency)}</span>
              <progress aria-labelledby={`meter-${u.meter}`} max={100} value={pct} />
            </li>
          );
        })}
      </ul>
      <h2>Usage by day (30 days)</h2>
      <QueryError error={history.error} />
      {!history.rows && !history.error && <p className="loading">Loading…</p>}
      {history.rows && (chart.length ? (
        <figure aria-label="Usage by day">
          <ResponsiveContainer width="100%" height={240}>
            <BarChart data={chart}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="day" minTickGap={30} />
              <YAxis />
              <Tooltip />
              <Legend />
              {meters.map((m, i) => <Bar key={m} dataKey={m} stackId="u" fill={colors[i % colors.length]} />)}
            </BarChart>
          </ResponsiveContainer>
        </figure>
      ) : <p>No usage recorded in the last 30 days.</p>)}
      <Invoices tenantId={tenantId} />
    </>
  );
}

function Invoices({ tenantId }: { tenantId: string }) {
  const client = useClient();
  const [after, setAfter] = useState<string[]>([]);
  const [open, setOpen] = useState("");
  const [err, setErr] = useState("");
  const [{ data, fetching, error }] = useQuery({ query: InvoicesQuery, variables: { tenantId, after: after[after.length - 1] ?? null } });
  const rows = data?.invoices.nodes ?? [];
  const inv = rows.find((i) => i.id === open);
  return (
    <>
      <h2>Invoices</h2>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {data && (
        <table>
          <thead><tr><th scope="col">Number</th><th scope="col">Period</th><th scope="col">Status</th><th scope="col">Total</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {rows.map((i) => (
              <tr key={i.id}>
                <td>{i.number}</td>
                <td>{when(i.periodStart)} – {when(i.periodEnd)}</td>
                <td><Badge value={i.status} /></td>
                <td>{money(i.total, i.currency)}</td>
                <td>
                  <button type="button" aria-expanded={open === i.id} onClick={() => setOpen(open === i.id ? "" : i.id)}>Lines of invoice {i.number}</button>{" "}
                  <button
                    type="button"
                    onClick={() =>
                      void client.query(DocQuery, { tenantId, invoiceId: i.id }, { requestPolicy: "network-only" }).toPromise().then((r) => {
                        const d = r.data?.invoiceDocument;
                        if (d) saveBase64(d.base64, d.filename, d.contentType);
                        else setErr(r.error?.message ?? "The document cannot be made.");
                      })
                    }
                  >
                    PDF of invoice {i.number}
                  </button>
                </td>
              </tr>
            ))}
            {!rows.length && <tr><td colSpan={5}>No invoices yet.</td></tr>}
          </tbody>
        </table>
      )}
      {err && <p className="error" role="alert">{err}</p>}
      <nav aria-label="Invoice pages" className="pager">
        {after.length > 0 && <button type="button" onClick={() => setAfter(after.slice(0, -1))}>Newer invoices</button>}
        {data?.invoices.hasNextPage && <button type="button" onClick={() => setAfter([...after, data.invoices.endCursor ?? ""])}>Older invoices</button>}
      </nav>
      {inv && (
        <table aria-label={`Lines of invoice ${inv.number}`}>
          <thead><tr><th scope="col">Line</th><th scope="col">Quantity</th><th scope="col">Included</th><th scope="col">Amount</th></tr></thead>
          <tbody>
            {inv.lines.map((l, k) => (
              <tr key={k}><td>{l.description}</td><td>{l.quantity}</td><td>{l.freeUnits}</td><td>{money(l.amount, inv.currency)}</td></tr>
            ))}
            <tr><td colSpan={3}>Subtotal</td><td>{money(inv.subtotal, inv.currency)}</td></tr>
            <tr><td colSpan={3}>Discount</td><td>{money(-inv.discount, inv.currency)}</td></tr>
            <tr><td colSpan={3}>Tax</td><td>{money(inv.tax, inv.currency)}</td></tr>
            <tr><td colSpan={3}>Credit</td><td>{money(-inv.credit, inv.currency)}</td></tr>
            <tr><th scope="row" colSpan={3}>Total</th><td>{money(inv.total, inv.currency)}</td></tr>
          </tbody>
        </table>
      )}
    </>
  );
}

function ChangePlan({ tenantId, current, onDone }: { tenantId: string; current: string; onDone: () => void }) {
  const book = usePriceBook();
  const [to, setTo] = useState("");
  const [{ data: p, fetching, error }] = useQuery({ query: PreviewQuery, pause: !to || to === current, variables: { tenantId, versionId: to } });
  const [, change] = useMutation(ChangeVersion);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState("");
  const versions = book.rows ?? [];
  const pv = p?.previewPlanChange;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void change({ tenantId, versionId: to }).then((r) => {
          const errs = fieldErrors(r.data?.changePriceVersion.userErrors);
          if (r.error) errs[""] = r.error.message;
          setErrors(errs);
          if (r.data && !r.data.changePriceVersion.userErrors.length) {
            setMsg("Plan changed.");
            onDone();
          }
        });
      }}
    >
      <h2>Change plan</h2>
      <QueryError error={book.error} />
      <label htmlFor="plan-version">Price version</label>{" "}
      <select id="plan-version" value={to} onChange={(e) => setTo(e.target.value)}>
        <option value="">Choose…</option>
        {versions.map((v) => <option key={v.id} value={v.id} disabled={v.id === current}>{v.planId} v{v.version}{v.id === current ? " (current)" : ""}</option>)}
      </select>
      {errors.versionId && <p className="field-error" role="alert">{errors.versionId}</p>}
      {fetching && <p className="loading">Working out the cost…</p>}
      <QueryError error={error} />
      {pv && (
        <div role="status">
          <p>{pv.upgrade ? "An upgrade, at once" : "A downgrade"}, effective {when(pv.effectiveAt)}; difference this period: {money(pv.delta, versions.find((v) => v.id === to)?.currency ?? "usd")}.</p>
          <ul>{pv.lines.map((l, k) => <li key={k}>{l.description}: {money(l.amount, versions.find((v) => v.id === to)?.currency ?? "usd")}</li>)}</ul>
        </div>
      )}
      {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
      <button type="submit" disabled={!to || to === current}>Change plan</button>
      {msg && <p role="status">{msg}</p>}
    </form>
  );
}

function Provider({ customers }: { customers: { id: string; name: string }[] }) {
  const [{ data, fetching, error }] = useQuery({ query: RevenueQuery });
  const names = new Map(customers.map((c) => [c.id, c.name]));
  return (
    <>
      <h2>Revenue per customer</h2>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {data && (
        <table>
          <thead><tr><th scope="col">Customer</th><th scope="col">Recurring</th><th scope="col">Usage</th><th scope="col">Total</th></tr></thead>
          <tbody>
            {data.revenue.map((r) => (
              <tr key={r.tenantId + r.currency}><td>{names.get(r.tenantId) ?? r.tenantId}</td><td>{money(r.recurring, r.currency)}</td><td>{money(r.usage, r.currency)}</td><td>{money(r.total, r.currency)}</td></tr>
            ))}
            {!data.revenue.length && <tr><td colSpan={4}>No revenue yet.</td></tr>}
          </tbody>
        </table>
      )}
      <PriceBook />
    </>
  );
}

// The provider's price book, by plan then version, a page at a time.
function PriceBook() {
  const [after, setAfter] = useState<string[]>([]);
  const [{ data, fetching, error }] = useQuery({ query: PriceBookQuery, variables: { first: 20, after: after[after.length - 1] ?? null } });
  const book = data?.priceBook;
  const rows = (book?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  return (
    <>
      <h2>Price book</h2>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {book && (
        <table aria-label={`Price book, ${book.totalCount} versions`}>
          <thead><tr><th scope="col">Plan</th><th scope="col">Version</th><th scope="col">Base fee</th><th scope="col">Minimum</th><th scope="col">Meters</th></tr></thead>
          <tbody>
            {rows.map((v) => (
              <tr key={v.id}>
                <td>{v.planId}</td><td>{v.version}</td><td>{money(v.baseFee, v.currency)} / {v.interval}</td><td>{money(v.minimumCommitment, v.currency)}</td>
                <td>{v.components.map((c) => `${c.meter} (${c.model}, ${c.freeUnits} free)`).join("; ") || "—"}</td>
              </tr>
            ))}
            {!rows.length && <tr><td colSpan={5}>No price versions.</td></tr>}
          </tbody>
        </table>
      )}
      <nav aria-label="Price book pages" className="pager">
        {after.length > 0 && <button type="button" onClick={() => setAfter(after.slice(0, -1))}>Previous versions</button>}
        {book?.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter([...after, book.pageInfo.endCursor ?? ""])}>Next versions</button>}
      </nav>
    </>
  );
}
