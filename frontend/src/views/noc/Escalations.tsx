import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { useViewer } from "../../Layout";
import { PAGE, Pager, usePages } from "../../Pager";
import { can, Field, QueryError, type UserError } from "../../ui";

const List = graphql(`
  query EscalationPolicies($first: Int, $after: Cursor) {
    escalationPolicies(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name repeat repeatAfterSeconds levels { delaySeconds targets } } }
    }
    notificationChannels(first: 100) { edges { node { id name kind } } }
  }
`);
const Create = graphql(`
  mutation CreateEscalationPolicy($input: EscalationPolicyInput!) {
    createEscalationPolicy(input: $input) { escalationPolicy { id } userErrors { field message code } }
  }
`);
const Delete = graphql(`
  mutation DeleteEscalationPolicy($id: ID!) {
    deleteEscalationPolicy(id: $id) { escalationPolicy { id } userErrors { field message code } }
  }
`);

type Level = { delay: string; targets: string[] };

// byPath keys the API's errors by their path below input (levels.1.targets),
// so that each level's mistakes show at that level.
function byPath(errs: readonly UserError[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errs ?? []) {
    const k = (e.field[0] === "input" ? e.field.slice(1) : e.field).join(".");
    out[k] = out[k] ? `${out[k]}; ${e.message}` : e.message;
  }
  return out;
}

export default function Escalations() {
  const v = useViewer();
  const write = can(v.permissions, "noc:write");
  const pages = usePages();
  const [{ data, error, fetching }, refetch] = useQuery({ query: List, variables: { first: PAGE, after: pages.after } });
  const [, create] = useMutation(Create);
  const [, remove] = useMutation(Delete);
  const [name, setName] = useState("");
  const [repeat, setRepeat] = useState("0");
  const [levels, setLevels] = useState<Level[]>([{ delay: "0", targets: [] }]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState("");
  const rows = (data?.escalationPolicies.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const channels = (data?.notificationChannels.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const channelName = new Map(channels.map((c) => [c.id, c.name]));
  const again = () => refetch({ requestPolicy: "network-only" });
  const setLevel = (i: number, l: Level) => setLevels(levels.map((x, j) => (j === i ? l : x)));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setNotice("");
    const r = await create({
      input: { name, repeat: Number(repeat) || 0, levels: levels.map((l) => ({ delaySeconds: Number(l.delay), targets: l.targets })) },
    });
    if (r.error) return setErrors({ "": r.error.message });
    const errs = byPath(r.data?.createEscalationPolicy.userErrors);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setNotice(`Policy "${name}" created.`);
    setName("");
    setLevels([{ delay: "0", targets: [] }]);
    again();
  }

  return (
    <section>
      <h1>Escalation policies</h1>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {notice && <p role="status">{notice}</p>}
      <table className="grid" aria-label="Escalation policies">
        <thead>
          <tr>
            <th scope="col">Name</th><th scope="col">Levels</th><th scope="col">Repeats</th>
            {write && <th scope="col"><span className="sr-only">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.id} data-testid="escalation-row">
              <td>{p.name}</td>
              <td>
                <ol>
                  {p.levels.map((l, i) => (
                    <li key={i}>
                      after {l.delaySeconds} s: {l.targets.map((t) => channelName.get(t) ?? t).join(", ")}
                    </li>
                  ))}
                </ol>
              </td>
              <td>{p.repeat ? `${p.repeat} times, after ${p.repeatAfterSeconds} s` : "no"}</td>
              {write && (
                <td>
                  <button type="button" onClick={() => void remove({ id: p.id }).then(again)}>Delete {p.name}</button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {data && rows.length === 0 && <p>No escalation policy.</p>}
      <Pager label="Escalation policies" page={pages.page} total={data?.escalationPolicies.totalCount} info={data?.escalationPolicies.pageInfo} onPrev={pages.prev} onNext={() => pages.next(data?.escalationPolicies.pageInfo)} />
      {write && (
        <form onSubmit={submit} noValidate className="form">
          <h2>New policy</h2>
          <Field id="esc-name" label="Policy name" error={errors.name}>
            <input id="esc-name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          {levels.map((l, i) => (
            <fieldset key={i}>
              <legend>Level {i + 1}</legend>
              <Field id={`esc-delay-${i}`} label={`Level ${i + 1}: seconds after the round starts`} error={errors[`levels.${i}.delaySeconds`] ?? errors[`levels.${i}.delay`]}>
                <input id={`esc-delay-${i}`} inputMode="numeric" value={l.delay} onChange={(e) => setLevel(i, { ...l, delay: e.target.value })} />
              </Field>
              {errors[`levels.${i}.targets`] && <p className="field-error" role="alert">{errors[`levels.${i}.targets`]}</p>}
              {channels.map((c) => (
                <label key={c.id} className="check">
                  <input
                    type="checkbox"
                    checked={l.targets.includes(c.id)}
                    onChange={(e) => setLevel(i, { ...l, targets: e.target.checked ? [...l.targets, c.id] : l.targets.filter((t) => t !== c.id) })}
                  />{" "}
                  Level {i + 1}: notify {c.name}
                </label>
              ))}
              {levels.length > 1 && <button type="button" onClick={() => setLevels(levels.filter((_, j) => j !== i))}>Remove level {i + 1}</button>}
            </fieldset>
          ))}
          <button type="button" onClick={() => setLevels([...levels, { delay: "300", targets: [] }])}>Add a level</button>
          <Field id="esc-repeat" label="Repeat the levels (times)" error={errors.repeat}>
            <input id="esc-repeat" inputMode="numeric" value={repeat} onChange={(e) => setRepeat(e.target.value)} />
          </Field>
          {(errors[""] || errors.levels) && <p className="error" role="alert">{[errors[""], errors.levels].filter(Boolean).join("; ")}</p>}
          {Object.entries(errors).filter(([k]) => k && !["name", "repeat", "levels"].includes(k) && !k.startsWith("levels.")).map(([k, m]) => (
            <p key={k} className="error" role="alert">{k}: {m}</p>
          ))}
          <button type="submit">Create policy</button>
        </form>
      )}
    </section>
  );
}
