import { useState } from "react";
import { useParams } from "react-router";
import { useClient, useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import { useViewer } from "../Layout";
import { Badge, can, Field, fieldErrors, NotFound, QueryError, when } from "../ui";
import { CaseUpdated } from "./Cases";
import { useCatchUp } from "../live";
import { Assignee, complaint } from "../Assignee";

const CaseQ = graphql(`
  query CasePage($id: ID!) {
    node(id: $id) {
      ... on SecurityCase {
        id title description severity status openedAt assigneeId
        timeline(first: 100) { edges { node { id at kind actorId message } } }
        tasks { id title done assigneeId }
        evidence { id name contentType size sha256 addedBy createdAt }
      }
    }
    viewer { user { id email } }
  }
`);
const Assign = graphql(`mutation AssignCase($id: ID!, $assigneeId: ID) { assignCase(id: $id, assigneeId: $assigneeId) { case { id assigneeId } userErrors { field message code } } }`);
const AddTask = graphql(`mutation AddCaseTask($caseId: ID!, $title: String!) { addCaseTask(caseId: $caseId, title: $title) { task { id } userErrors { field message code } } }`);
const SetTaskDone = graphql(`mutation SetCaseTaskDone($id: ID!, $done: Boolean!) { setCaseTaskDone(id: $id, done: $done) { task { id done } userErrors { field message code } } }`);
const AddNote = graphql(`mutation AddCaseNote($id: ID!, $text: String!) { addCaseNote(id: $id, text: $text) { case { id } userErrors { field message code } } }`);
const AddEvidence = graphql(`
  mutation AddEvidence($caseId: ID!, $name: String!, $contentType: String, $contentBase64: String!) {
    addEvidence(caseId: $caseId, name: $name, contentType: $contentType, contentBase64: $contentBase64) {
      evidence { id } userErrors { field message code }
    }
  }
`);
const EvidenceContent = graphql(`query EvidenceContent($id: ID!) { evidenceContent(id: $id) { evidence { name contentType } contentBase64 } }`);

function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export default function CasePage() {
  const { id = "" } = useParams();
  const v = useViewer();
  const client = useClient();
  const [{ data, error, fetching }, refetch] = useQuery({ query: CaseQ, variables: { id } });
  useCatchUp(refetch);
  useSubscription({ query: CaseUpdated }, (_, d) => {
    if (d.caseUpdated.id === id) refetch({ requestPolicy: "network-only" });
    return d;
  });
  const [, addNote] = useMutation(AddNote);
  const [, addEvidence] = useMutation(AddEvidence);
  const [, assign] = useMutation(Assign);
  const [, addTask] = useMutation(AddTask);
  const [, setTaskDone] = useMutation(SetTaskDone);
  const [task, setTask] = useState("");
  const [taskError, setTaskError] = useState("");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  if (fetching && !data) return <p className="loading">Loading…</p>;
  const c = data?.node && "evidence" in data.node ? data.node : null;
  if (!c) return error && !error.graphQLErrors.some((e) => e.extensions?.code === "not_found") ? <QueryError error={error} /> : <NotFound />;
  const write = can(v.permissions, "soc:write");
  const after = () => refetch({ requestPolicy: "network-only" });

  async function upload(f: File) {
    const r = await addEvidence({ caseId: id, name: f.name, contentType: f.type || null, contentBase64: toBase64(await f.arrayBuffer()) });
    setErrors(r.error ? { "": r.error.message } : fieldErrors(r.data?.addEvidence.userErrors));
    after();
  }
  async function download(evId: string) {
    const r = await client.query(EvidenceContent, { id: evId }, { requestPolicy: "network-only" }).toPromise();
    const ec = r.data?.evidenceContent;
    if (!ec) return;
    const bin = atob(ec.contentBase64);
    const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: ec.evidence.contentType || "application/octet-stream" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = ec.evidence.name;
    a.click();
    URL.revokeObjectURL(url);
    after(); // reading adds a custody entry
  }

  return (
    <section>
      <h1>{c.title}</h1>
      <p>
        <Badge value={c.severity} /> <Badge value={c.status} /> · opened {when(c.openedAt)}
        {" · "}
        <Assignee
          assigneeId={c.assigneeId}
          viewer={data?.viewer.user}
          write={write}
          assign={(assigneeId) => assign({ id, assigneeId }).then((r) => (after(), complaint(r, r.data?.assignCase.userErrors)))}
        />
      </p>
      <p>{c.description}</p>
      <h2>Evidence</h2>
      <table className="grid" aria-label="Evidence">
        <thead>
          <tr><th scope="col">File</th><th scope="col">Size</th><th scope="col">SHA-256</th><th scope="col">Added</th></tr>
        </thead>
        <tbody>
          {(c.evidence ?? []).map((e) => (
            <tr key={e.id}>
              <td>{write ? <button type="button" className="link" onClick={() => void download(e.id)}>{e.name}</button> : e.name}</td>
              <td>{e.size} B</td>
              <td><code>{e.sha256.slice(0, 16)}…</code></td>
              <td>{when(e.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {write && (
        <Field id="evidence" label="Upload evidence" error={errors.contentBase64 ?? errors.name}>
          <input id="evidence" type="file" onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])} />
        </Field>
      )}
      {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
      <h2>Tasks</h2>
      <ul className="tasks">
        {(c.tasks ?? []).map((t) => (
          <li key={t.id}>
            <label>
              <input
                type="checkbox"
                checked={t.done}
                disabled={!write}
                onChange={(e) =>
                  void setTaskDone({ id: t.id, done: e.target.checked }).then((r) => {
                    setTaskError(complaint(r, r.data?.setCaseTaskDone.userErrors));
                    after();
                  })
                }
              />{" "}
              {t.title}
            </label>
          </li>
        ))}
      </ul>
      {write && (
        <form
          onSubmit={(ev) => {
            ev.preventDefault();
            void addTask({ caseId: id, title: task }).then((r) => {
              const msg = complaint(r, r.data?.addCaseTask.userErrors);
              setTaskError(msg);
              if (!msg) setTask("");
              after();
            });
          }}
        >
          <Field id="task" label="New task" error={taskError}>
            <input id="task" value={task} onChange={(e) => setTask(e.target.value)} aria-describedby={taskError ? "task-error" : undefined} />
          </Field>
          <button type="submit">Add task</button>
        </form>
      )}
      <h2>Timeline</h2>
      <ol className="timeline">
        {(c.timeline.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])).map((e) => (
          <li key={e.id}>
            <time dateTime={e.at}>{when(e.at)}</time> <strong>{e.kind.replaceAll("_", " ")}</strong> {e.message} <span className="muted">{e.actorId}</span>
          </li>
        ))}
      </ol>
      {write && (
        <form
          onSubmit={(ev) => {
            ev.preventDefault();
            void addNote({ id, text: note }).then((r) => {
              const errs = fieldErrors(r.data?.addCaseNote.userErrors);
              setErrors(errs);
              if (!Object.keys(errs).length) setNote("");
              after();
            });
          }}
        >
          <Field id="note" label="Note" error={errors.text}>
            <textarea id="note" value={note} onChange={(e) => setNote(e.target.value)} />
          </Field>
          <button type="submit">Add note</button>
        </form>
      )}
    </section>
  );
}
