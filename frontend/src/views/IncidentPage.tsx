import { useState } from "react";
import { useParams } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import { useViewer } from "../Layout";
import { Badge, can, Field, fieldErrors, NotFound, QueryError, when } from "../ui";
import { IncidentUpdated } from "./Incidents";
import { useCatchUp } from "../live";
import { Assignee, complaint } from "../Assignee";

const IncidentQ = graphql(`
  query IncidentPage($id: ID!) {
    node(id: $id) {
      ... on Incident {
        id title severity status openedAt ackedAt resolvedAt assigneeId
        monitor { id name }
        timeline(first: 100) { edges { node { id at kind actorId message } } }
      }
    }
    viewer { user { id email } }
  }
`);
const Ack = graphql(`mutation AckIncident($id: ID!) { acknowledgeIncident(id: $id) { incident { id status ackedAt } userErrors { field message code } } }`);
const Resolve = graphql(`mutation ResolveIncident($id: ID!) { resolveIncident(id: $id) { incident { id status resolvedAt } userErrors { field message code } } }`);
const Assign = graphql(`mutation AssignIncident($id: ID!, $assigneeId: ID) { assignIncident(id: $id, assigneeId: $assigneeId) { incident { id assigneeId } userErrors { field message code } } }`);
const Comment = graphql(`mutation CommentIncident($id: ID!, $text: String!) { commentOnIncident(id: $id, text: $text) { incident { id } userErrors { field message code } } }`);

export default function IncidentPage() {
  const { id = "" } = useParams();
  const v = useViewer();
  const [{ data, error, fetching }, refetch] = useQuery({ query: IncidentQ, variables: { id } });
  useCatchUp(refetch);
  const [, ack] = useMutation(Ack);
  const [, resolve] = useMutation(Resolve);
  const [, comment] = useMutation(Comment);
  const [, assign] = useMutation(Assign);
  const [text, setText] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  useSubscription({ query: IncidentUpdated }, (_, d) => {
    if (d.incidentUpdated.id === id) refetch({ requestPolicy: "network-only" });
    return d;
  });
  if (fetching && !data) return <p className="loading">Loading…</p>;
  const inc = data?.node && "title" in data.node && "openedAt" in data.node ? data.node : null;
  if (!inc) return error && !error.graphQLErrors.some((e) => e.extensions?.code === "not_found") ? <QueryError error={error} /> : <NotFound />;
  const write = can(v.permissions, "noc:write");
  const after = () => refetch({ requestPolicy: "network-only" });
  return (
    <section>
      <h1>{inc.title}</h1>
      <p>
        <Badge value={inc.severity} /> <Badge value={inc.status} /> · opened {when(inc.openedAt)}
        {inc.monitor && <> · monitor <a href={`/monitors/${inc.monitor.id}`}>{inc.monitor.name}</a></>}
        {" · "}
        <Assignee
          assigneeId={inc.assigneeId}
          viewer={data?.viewer.user}
          write={write}
          assign={(assigneeId) => assign({ id, assigneeId }).then((r) => (after(), complaint(r, r.data?.assignIncident.userErrors)))}
        />
      </p>
      {write && inc.status !== "resolved" && (
        <p>
          {inc.status === "triggered" && <button type="button" onClick={() => void ack({ id }).then(after)}>Acknowledge</button>}{" "}
          <button type="button" onClick={() => void resolve({ id }).then(after)}>Resolve</button>
        </p>
      )}
      <h2>Timeline</h2>
      <ol className="timeline">
        {(inc.timeline.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])).map((e) => (
          <li key={e.id}>
            <time dateTime={e.at}>{when(e.at)}</time> <strong>{e.kind.replaceAll("_", " ")}</strong> {e.message} <span className="muted">{e.actorId}</span>
          </li>
        ))}
      </ol>
      {write && (
        <form
          onSubmit={(ev) => {
            ev.preventDefault();
            void comment({ id, text }).then((r) => {
              const errs = fieldErrors(r.data?.commentOnIncident.userErrors);
              setErrors(errs);
              if (!r.error && !Object.keys(errs).length) setText("");
              after();
            });
          }}
        >
          <Field id="comment" label="Comment" error={errors.text}>
            <textarea id="comment" value={text} onChange={(e) => setText(e.target.value)} />
          </Field>
          <button type="submit">Add comment</button>
        </form>
      )}
    </section>
  );
}
