import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { Field, fieldErrors } from "../ui";

const Assets = graphql(`
  query AssetsForMonitor {
    assets(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name } } }
  }
`);

const Create = graphql(`
  mutation CreateMonitor($input: MonitorInput!) {
    createMonitor(input: $input) {
      monitor { id }
      heartbeatUrl
      userErrors { field message code }
    }
  }
`);

// The settings each probe kind asks for in this form (the API takes more;
// the explorer reaches all of them).
export type SettingField = { key: string; label: string; type?: "number" };
export const KIND_FIELDS: Record<string, SettingField[]> = {
  http: [{ key: "url", label: "URL" }, { key: "body_contains", label: "Body contains" }],
  tcp: [{ key: "host", label: "Host" }, { key: "port", label: "Port", type: "number" }],
  ping: [{ key: "host", label: "Host" }],
  dns: [{ key: "name", label: "Name to resolve" }, { key: "record_type", label: "Record type" }, { key: "resolver", label: "Resolver (host:port)" }],
  tls: [{ key: "host", label: "Host" }, { key: "port", label: "Port", type: "number" }],
  heartbeat: [],
};

export default function MonitorNew() {
  const nav = useNavigate();
  const [{ data }] = useQuery({ query: Assets });
  const [, create] = useMutation(Create);
  const [assetId, setAssetId] = useState("");
  const [name, setName] = useState("");
  const [kind, setKind] = useState("http");
  const [interval, setInterval] = useState("60");
  const [failures, setFailures] = useState("3");
  const [settings, setSettings] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [heartbeat, setHeartbeat] = useState("");
  const assets = (data?.assets.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));

  async function submit(e: FormEvent) {
    e.preventDefault();
    const s: Record<string, unknown> = {};
    for (const f of KIND_FIELDS[kind]) {
      const v = settings[f.key];
      if (v) s[f.key] = f.type === "number" ? Number(v) : v;
    }
    const r = await create({ input: { assetId: assetId || assets[0]?.id, name, kind, settings: s, intervalSeconds: Number(interval) || undefined, failuresBeforeDown: Number(failures) || undefined } });
    if (r.error) {
      setErrors({ "": r.error.message });
      return;
    }
    const p = r.data!.createMonitor;
    setErrors(fieldErrors(p.userErrors));
    if (p.monitor && p.heartbeatUrl) setHeartbeat(p.heartbeatUrl);
    else if (p.monitor) nav(`/monitors/${p.monitor.id}`);
  }

  if (heartbeat)
    return (
      <section>
        <h1>Monitor created</h1>
        <p>Send a request to this address on schedule (shown once): <code>{heartbeat}</code></p>
      </section>
    );
  return (
    <section>
      <h1>New monitor</h1>
      <form onSubmit={submit} noValidate className="form">
        <Field id="assetId" label="Asset" error={errors.assetId}>
          <select id="assetId" value={assetId} onChange={(e) => setAssetId(e.target.value)}>
            {assets.map((a) => (
              <option key={a.id} value={a.id}>{a.name}</option>
            ))}
          </select>
        </Field>
        <Field id="name" label="Name" error={errors.name}>
          <input id="name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="kind" label="Probe" error={errors.kind}>
          <select id="kind" value={kind} onChange={(e) => { setKind(e.target.value); setSettings({}); }}>
            {Object.keys(KIND_FIELDS).map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </Field>
        <fieldset>
          <legend>{kind} settings</legend>
          {errors.settings && <p className="field-error" role="alert">{errors.settings}</p>}
          {KIND_FIELDS[kind].map((f) => (
            <Field key={f.key} id={`s-${f.key}`} label={f.label} error={errors[f.key]}>
              <input id={`s-${f.key}`} inputMode={f.type === "number" ? "numeric" : undefined} value={settings[f.key] ?? ""} onChange={(e) => setSettings({ ...settings, [f.key]: e.target.value })} />
            </Field>
          ))}
        </fieldset>
        <Field id="interval" label="Interval (seconds)" error={errors.intervalSeconds ?? errors.interval}>
          <input id="interval" inputMode="numeric" value={interval} onChange={(e) => setInterval(e.target.value)} />
        </Field>
        <Field id="failures" label="Failed checks before down" error={errors.failuresBeforeDown}>
          <input id="failures" inputMode="numeric" value={failures} onChange={(e) => setFailures(e.target.value)} />
        </Field>
        {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
        <button type="submit">Create</button>
      </form>
    </section>
  );
}
