import { useEffect, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { Field, fieldErrors, NotFound, QueryError } from "../ui";
import { KIND_FIELDS } from "./MonitorNew";

const EditQ = graphql(`
  query MonitorEdit($id: ID!) {
    node(id: $id) {
      ... on Monitor { id name kind settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }
    }
  }
`);

const Update = graphql(`
  mutation UpdateMonitor($id: ID!, $input: MonitorInput!) {
    updateMonitor(id: $id, input: $input) {
      monitor { id name settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }
      userErrors { field message code }
    }
  }
`);

type Form = { name: string; interval: string; timeout: string; failures: string; successes: string; sla: string; settings: Record<string, string> };

// MonitorEdit changes a monitor's settings and schedule. The kind and the
// asset are fixed after create; the stored settings this form does not
// show are sent back unchanged (an update replaces the settings whole).
export default function MonitorEdit() {
  const { id = "" } = useParams();
  const nav = useNavigate();
  const [{ data, error, fetching }] = useQuery({ query: EditQ, variables: { id }, requestPolicy: "network-only" });
  const [upd, update] = useMutation(Update);
  const [form, setForm] = useState<Form | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const m = data?.node && "kind" in data.node ? data.node : null;
  const stored = (m?.settings ?? {}) as Record<string, unknown>;
  useEffect(() => {
    if (!m || form) return;
    const s: Record<string, string> = {};
    for (const f of KIND_FIELDS[m.kind] ?? []) if (stored[f.key] != null) s[f.key] = String(stored[f.key]);
    setForm({
      name: m.name,
      interval: String(m.intervalSeconds),
      timeout: String(m.timeoutMs),
      failures: String(m.failuresBeforeDown),
      successes: String(m.successesBeforeRecovery),
      sla: m.slaTarget == null ? "" : String(m.slaTarget),
      settings: s,
    });
  }, [m, form]);
  if (fetching && !data) return <p className="loading">Loading…</p>;
  if (!m) return error && !error.graphQLErrors.some((e) => e.extensions?.code === "not_found") ? <QueryError error={error} /> : <NotFound />;
  if (!form) return <p className="loading">Loading…</p>;
  const fields = KIND_FIELDS[m.kind] ?? [];
  const set = (k: keyof Form, v: string) => setForm({ ...form, [k]: v });
  const num = (v: string) => (v.trim() === "" ? undefined : Number(v));

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!form || !m) return;
    const s: Record<string, unknown> = { ...stored };
    for (const f of fields) {
      const v = form.settings[f.key] ?? "";
      if (v === "") delete s[f.key];
      else s[f.key] = f.type === "number" ? Number(v) : v;
    }
    const r = await update({
      id,
      input: {
        name: form.name,
        settings: s,
        intervalSeconds: num(form.interval),
        timeoutMs: num(form.timeout),
        failuresBeforeDown: num(form.failures),
        successesBeforeRecovery: num(form.successes),
        slaTarget: form.sla.trim() === "" ? 0 : Number(form.sla),
      },
    });
    if (r.error) {
      setErrors({ "": r.error.message });
      return;
    }
    const p = r.data!.updateMonitor;
    setErrors(fieldErrors(p.userErrors));
    if (p.monitor && !p.userErrors.length) nav(`/monitors/${id}`);
  }

  return (
    <section>
      <h1>Edit {m.name}</h1>
      <p className="muted">A {m.kind} monitor; its kind and asset are fixed. <Link to={`/monitors/${id}`}>Back to the monitor</Link></p>
      <form onSubmit={submit} noValidate className="form">
        <Field id="name" label="Name" error={errors.name}>
          <input id="name" value={form.name} onChange={(e) => set("name", e.target.value)} />
        </Field>
        {fields.length > 0 && (
          <fieldset>
            <legend>{m.kind} settings</legend>
            {errors.settings && <p className="field-error" role="alert">{errors.settings}</p>}
            {fields.map((f) => (
              <Field key={f.key} id={`s-${f.key}`} label={f.label} error={errors[f.key]}>
                <input
                  id={`s-${f.key}`}
                  inputMode={f.type === "number" ? "numeric" : undefined}
                  value={form.settings[f.key] ?? ""}
                  onChange={(e) => setForm({ ...form, settings: { ...form.settings, [f.key]: e.target.value } })}
                />
              </Field>
            ))}
          </fieldset>
        )}
        <Field id="interval" label="Interval (seconds)" error={errors.intervalSeconds}>
          <input id="interval" inputMode="numeric" value={form.interval} onChange={(e) => set("interval", e.target.value)} />
        </Field>
        <Field id="timeout" label="Timeout (milliseconds)" error={errors.timeoutMs}>
          <input id="timeout" inputMode="numeric" value={form.timeout} onChange={(e) => set("timeout", e.target.value)} />
        </Field>
        <Field id="failures" label="Failed checks before down" error={errors.failuresBeforeDown}>
          <input id="failures" inputMode="numeric" value={form.failures} onChange={(e) => set("failures", e.target.value)} />
        </Field>
        <Field id="successes" label="Good checks before recovery" error={errors.successesBeforeRecovery}>
          <input id="successes" inputMode="numeric" value={form.successes} onChange={(e) => set("successes", e.target.value)} />
        </Field>
        <Field id="sla" label="Availability target (%)" error={errors.slaTarget}>
          <input id="sla" inputMode="decimal" value={form.sla} onChange={(e) => set("sla", e.target.value)} />
        </Field>
        {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
        <button type="submit" disabled={upd.fetching}>Save</button>
      </form>
    </section>
  );
}
