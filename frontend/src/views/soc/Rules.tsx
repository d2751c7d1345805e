import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { DetectionRuleWhereInput } from "../../gql/graphql";
import { useViewer } from "../../Layout";
import { PAGE, Pager, usePages } from "../../Pager";
import { Badge, can, Field, fieldErrors, QueryError } from "../../ui";

const List = graphql(`
  query DetectionRules($first: Int, $after: Cursor, $where: DetectionRuleWhereInput) {
    detectionRules(first: $first, after: $after, where: $where, orderBy: { field: TITLE, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id ruleId title level kind global enabledForMe yaml } }
    }
  }
`);
const SetEnabled = graphql(`
  mutation SetDetectionRuleEnabled($id: ID!, $enabled: Boolean!) {
    setDetectionRuleEnabled(id: $id, enabled: $enabled) { rule { id enabledForMe } userErrors { field message code } }
  }
`);
const Save = graphql(`
  mutation ImportDetectionRule($input: DetectionRuleInput!) {
    saveDetectionRule(input: $input) { rule { id title } userErrors { field message code } }
  }
`);
const TestRule = graphql(`
  mutation TestDetectionRule($rule: String!, $events: [JSON!]!) {
    testDetectionRule(rule: $rule, events: $events) { ruleId title error matches correlations }
  }
`);

export default function Rules() {
  const v = useViewer();
  const write = can(v.permissions, "soc:write");
  const pages = usePages();
  const [title, setTitle] = useState("");
  const where: DetectionRuleWhereInput = title ? { titleContainsFold: title } : {};
  const [{ data, error, fetching }, refetch] = useQuery({ query: List, variables: { first: PAGE, after: pages.after, where } });
  const [, setEnabled] = useMutation(SetEnabled);
  const [, save] = useMutation(Save);
  const [, runTest] = useMutation(TestRule);
  const [yaml, setYaml] = useState("");
  const [sample, setSample] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState("");
  const [result, setResult] = useState("");
  // The switch moves at once and stays; a refused change puts it back.
  const [pending, setPending] = useState<Record<string, boolean>>({});
  const rows = (data?.detectionRules.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));

  async function toggle(id: string, label: string, on: boolean) {
    setPending((p) => ({ ...p, [id]: on }));
    const r = await setEnabled({ id, enabled: on });
    const ue = r.data?.setDetectionRuleEnabled.userErrors ?? [];
    if (r.error || ue.length)
      setPending((p) => {
        const n = { ...p };
        delete n[id];
        return n;
      });
    setNotice(r.error ? r.error.message : ue.length ? ue.map((u) => u.message).join("; ") : `${label} ${on ? "enabled" : "disabled"} for ${v.actingName}.`);
    refetch({ requestPolicy: "network-only" });
  }

  async function importRule(e: FormEvent) {
    e.preventDefault();
    setNotice("");
    const r = await save({ input: { yaml } });
    if (r.error) return setErrors({ "": r.error.message });
    const errs = fieldErrors(r.data?.saveDetectionRule.userErrors);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setNotice(`Imported "${r.data?.saveDetectionRule.rule?.title}".`);
    refetch({ requestPolicy: "network-only" });
  }

  async function test() {
    setResult("");
    let events: unknown[];
    try {
      const parsed: unknown = JSON.parse(sample);
      events = Array.isArray(parsed) ? parsed : [parsed];
    } catch (err) {
      return setErrors({ ...errors, sample: `The sample event is not JSON: ${(err as Error).message}` });
    }
    setErrors({ ...errors, sample: "" });
    const r = await runTest({ rule: yaml, events });
    const t = r.data?.testDetectionRule;
    if (r.error) return setResult(r.error.message);
    if (!t) return;
    if (t.error) return setErrors({ ...errors, yaml: t.error });
    setResult(t.matches.length ? `The rule matches event${t.matches.length > 1 ? "s" : ""} ${t.matches.map((i) => i + 1).join(", ")} of ${events.length}.` : `The rule matches none of the ${events.length} events.`);
  }

  return (
    <section>
      <h1>Rule library</h1>
      <div className="toolbar">
        <label>
          Title contains{" "}
          <input value={title} onChange={(e) => { setTitle(e.target.value); pages.reset(); }} />
        </label>
        <span>{data ? `${data.detectionRules.totalCount} rules` : "…"}</span>
      </div>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {notice && <p role="status">{notice}</p>}
      <table className="grid" aria-label="Detection rules">
        <thead>
          <tr>
            <th scope="col">Rule</th><th scope="col">Level</th><th scope="col">Kind</th><th scope="col">Library</th><th scope="col">Runs here</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="rule-row">
              <td>
                <details>
                  <summary>{r.title}</summary>
                  <pre>{r.yaml}</pre>
                </details>
              </td>
              <td><Badge value={r.level} /></td>
              <td>{r.kind}</td>
              <td>{r.global ? "global" : "own"}</td>
              <td>
                <label className="check">
                  <input type="checkbox" disabled={!write} checked={pending[r.id] ?? r.enabledForMe} onChange={(e) => void toggle(r.id, r.title, e.target.checked)} /> Enabled
                  <span className="sr-only"> {r.title}</span>
                </label>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && rows.length === 0 && <p>No rule.</p>}
      <Pager label="Rules" page={pages.page} total={data?.detectionRules.totalCount} info={data?.detectionRules.pageInfo} onPrev={pages.prev} onNext={() => pages.next(data?.detectionRules.pageInfo)} />
      <form onSubmit={importRule} noValidate className="form">
        <h2>Import or test a Sigma rule</h2>
        <Field id="rule-yaml" label="Sigma rule (YAML)" error={errors.yaml}>
          <textarea id="rule-yaml" rows={10} value={yaml} onChange={(e) => setYaml(e.target.value)} />
        </Field>
        <Field id="rule-sample" label="Sample event (a JSON object, or an array of them)" error={errors.sample}>
          <textarea id="rule-sample" rows={4} value={sample} onChange={(e) => setSample(e.target.value)} />
        </Field>
        {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
        {result && <p role="status" data-testid="rule-test-result">{result}</p>}
        <button type="button" onClick={() => void test()}>Test against the sample</button>{" "}
        {write && <button type="submit">Import rule</button>}
      </form>
    </section>
  );
}
