import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { useViewer } from "../../Layout";
import { PAGE, Pager, usePages } from "../../Pager";
import { Badge, can, Field, fieldErrors, QueryError } from "../../ui";

const List = graphql(`
  query NotificationChannels($first: Int, $after: Cursor) {
    notificationChannels(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name kind minSeverity states enabled } }
    }
  }
`);
const Create = graphql(`
  mutation CreateNotificationChannel($input: NotificationChannelInput!) {
    createNotificationChannel(input: $input) { notificationChannel { id } userErrors { field message code } }
  }
`);
const Delete = graphql(`
  mutation DeleteNotificationChannel($id: ID!) {
    deleteNotificationChannel(id: $id) { notificationChannel { id } userErrors { field message code } }
  }
`);
const Test = graphql(`
  mutation TestNotificationChannel($id: ID!) {
    testNotificationChannel(id: $id) { delivered userErrors { field message code } }
  }
`);

// The settings each kind takes (see NotificationChannelInput.config).
type Setting = { key: string; label: string; secret?: boolean; list?: boolean; number?: boolean };
const KINDS: Record<string, Setting[]> = {
  webhook: [
    { key: "url", label: "Webhook URL" },
    { key: "secret", label: "Signing secret (16 to 256 bytes)", secret: true },
  ],
  slack: [{ key: "webhook_url", label: "Slack incoming webhook URL", secret: true }],
  teams: [{ key: "webhook_url", label: "Teams webhook URL", secret: true }],
  pagerduty: [
    { key: "routing_key", label: "Routing key", secret: true },
    { key: "endpoint", label: "Events API endpoint (optional)" },
  ],
  email: [
    { key: "host", label: "SMTP relay" },
    { key: "port", label: "Port (optional)", number: true },
    { key: "security", label: "Security (starttls, tls or none)" },
    { key: "username", label: "Username (optional)" },
    { key: "password", label: "Password (optional)", secret: true },
    { key: "from", label: "From" },
    { key: "to", label: "To (comma separated)", list: true },
  ],
};

export default function Channels() {
  const v = useViewer();
  const write = can(v.permissions, "noc:write");
  const pages = usePages();
  const [{ data, error, fetching }, refetch] = useQuery({ query: List, variables: { first: PAGE, after: pages.after } });
  const [, create] = useMutation(Create);
  const [, remove] = useMutation(Delete);
  const [, test] = useMutation(Test);
  const [name, setName] = useState("");
  const [kind, setKind] = useState("webhook");
  const [minSeverity, setMinSeverity] = useState("low");
  const [config, setConfig] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState("");
  const rows = (data?.notificationChannels.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const again = () => refetch({ requestPolicy: "network-only" });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setNotice("");
    const cfg: Record<string, unknown> = {};
    for (const s of KINDS[kind]) {
      const raw = (config[s.key] ?? "").trim();
      if (!raw) continue;
      cfg[s.key] = s.list ? raw.split(",").map((x) => x.trim()).filter(Boolean) : s.number ? Number(raw) : raw;
    }
    const r = await create({ input: { name, kind, minSeverity, config: cfg } });
    if (r.error) return setErrors({ "": r.error.message });
    const errs = fieldErrors(r.data?.createNotificationChannel.userErrors);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setNotice(`Channel "${name}" created.`);
    setName("");
    setConfig({});
    again();
  }

  async function send(id: string, label: string) {
    setNotice(`Sending a test to ${label}…`);
    const r = await test({ id });
    const msg = r.error?.message ?? r.data?.testNotificationChannel.userErrors.map((u) => u.message).join("; ");
    setNotice(r.data?.testNotificationChannel.delivered ? `Test delivered to ${label}.` : `Test to ${label} failed: ${msg}`);
  }

  return (
    <section>
      <h1>Notification channels</h1>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {notice && <p role="status">{notice}</p>}
      <table className="grid" aria-label="Notification channels">
        <thead>
          <tr>
            <th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Least severity</th><th scope="col">States</th><th scope="col">Enabled</th>
            {write && <th scope="col"><span className="sr-only">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.id} data-testid="channel-row">
              <td>{c.name}</td>
              <td><Badge value={c.kind} /></td>
              <td>{c.minSeverity}</td>
              <td>{c.states?.length ? c.states.join(", ") : "all"}</td>
              <td>{c.enabled ? "yes" : "no"}</td>
              {write && (
                <td>
                  <button type="button" onClick={() => void send(c.id, c.name)}>Send test to {c.name}</button>{" "}
                  <button type="button" onClick={() => void remove({ id: c.id }).then(again)}>Delete {c.name}</button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {data && rows.length === 0 && <p>No channel.</p>}
      <Pager label="Channels" page={pages.page} total={data?.notificationChannels.totalCount} info={data?.notificationChannels.pageInfo} onPrev={pages.prev} onNext={() => pages.next(data?.notificationChannels.pageInfo)} />
      {write && (
        <form onSubmit={submit} noValidate className="form">
          <h2>New channel</h2>
          <Field id="ch-name" label="Name" error={errors.name}>
            <input id="ch-name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="ch-kind" label="Kind" error={errors.kind}>
            <select id="ch-kind" value={kind} onChange={(e) => { setKind(e.target.value); setErrors({}); }}>
              {Object.keys(KINDS).map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </Field>
          <Field id="ch-severity" label="Least severity notified" error={errors.minSeverity}>
            <select id="ch-severity" value={minSeverity} onChange={(e) => setMinSeverity(e.target.value)}>
              {["critical", "high", "medium", "low", "info"].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </Field>
          {KINDS[kind].map((s) => (
            <Field key={`${kind}-${s.key}`} id={`ch-${s.key}`} label={s.label} error={errors[s.key]}>
              <input
                id={`ch-${s.key}`}
                type={s.secret ? "password" : "text"}
                autoComplete="off"
                value={config[s.key] ?? ""}
                onChange={(e) => setConfig({ ...config, [s.key]: e.target.value })}
              />
            </Field>
          ))}
          {(errors[""] || errors.config || errors.input) && <p className="error" role="alert">{[errors[""], errors.config, errors.input].filter(Boolean).join("; ")}</p>}
          <button type="submit">Create channel</button>
        </form>
      )}
    </section>
  );
}
