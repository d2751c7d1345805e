import { useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import { useViewer } from "../Layout";
import { Badge, can, NotFound, QueryError, when } from "../ui";
import { AlertUpdated } from "./Alerts";
import { useCatchUp } from "../live";
import { Assignee, complaint } from "../Assignee";

const AlertQ = graphql(`
  query AlertPage($id: ID!) {
    node(id: $id) {
      ... on Alert {
        id title description severity status count firstSeen lastSeen ruleId tags eventIds caseId tenantId assigneeId
      }
    }
    viewer { user { id email } }
  }
`);
const Assign = graphql(`mutation AssignAlert($id: ID!, $assigneeId: ID) { assignAlert(id: $id, assigneeId: $assigneeId) { alert { id assigneeId } userErrors { field message code } } }`);
const Ack = graphql(`mutation AckOne($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }`);
const Close = graphql(`mutation CloseOne($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }`);
const OpenCase = graphql(`
  mutation OpenCase($input: CreateCaseInput!) {
    createCase(input: $input) { case { id } userErrors { field message code } }
  }
`);

export default function AlertPage() {
  const { id = "" } = useParams();
  const nav = useNavigate();
  const v = useViewer();
  const [{ data, error, fetching }, refetch] = useQuery({ query: AlertQ, variables: { id } });
  useCatchUp(refetch);
  useSubscription({ query: AlertUpdated }, (_, d) => {
    if (d.alertUpdated.id === id) refetch({ requestPolicy: "network-only" });
    return d;
  });
  const [, ack] = useMutation(Ack);
  const [, close] = useMutation(Close);
  const [opened, openCase] = useMutation(OpenCase);
  const [, assign] = useMutation(Assign);
  if (fetching && !data) return <p className="loading">Loading…</p>;
  const a = data?.node && "ruleId" in data.node ? data.node : null;
  if (!a) return error && !error.graphQLErrors.some((e) => e.extensions?.code === "not_found") ? <QueryError error={error} /> : <NotFound />;
  const write = can(v.permissions, "soc:write");
  const after = () => refetch({ requestPolicy: "network-only" });
  return (
    <section>
      <h1>{a.title}</h1>
      <p>
        <Badge value={a.severity} /> <Badge value={a.status} /> · seen {a.count} times, first {when(a.firstSeen)}, last {when(a.lastSeen)}
        {" · "}
        <Assignee
          assigneeId={a.assigneeId}
          viewer={data?.viewer.user}
          write={write}
          assign={(assigneeId) => assign({ id, assigneeId }).then((r) => (after(), complaint(r, r.data?.assignAlert.userErrors)))}
        />
      </p>
      <p>{a.description}</p>
      <p className="muted">Rule {a.ruleId} {a.tags?.length ? `· ${a.tags.join(", ")}` : ""}</p>
      {write && (
        <p>
          {a.status === "new" && <button type="button" onClick={() => void ack({ id }).then(after)}>Acknowledge</button>}{" "}
          {!a.status.startsWith("closed") && (
            <>
              <button type="button" onClick={() => void close({ id, status: "closed_true_positive" }).then(after)}>Close as true positive</button>{" "}
              <button type="button" onClick={() => void close({ id, status: "closed_false_positive" }).then(after)}>Close as false positive</button>{" "}
            </>
          )}
          {a.caseId ? (
            <a href={`/cases/${a.caseId}`}>Its case</a>
          ) : (
            <button
              type="button"
              onClick={() =>
                void openCase({ input: { tenantId: a.tenantId, title: a.title, severity: a.severity, alertIds: [id] } }).then((r) => {
                  const c = r.data?.createCase.case;
                  if (c) nav(`/cases/${c.id}`);
                })
              }
            >
              Open a case
            </button>
          )}
        </p>
      )}
      {opened.data?.createCase.userErrors.map((e) => <p className="error" key={e.message}>{e.message}</p>)}
      <h2>Events</h2>
      <ul>
        {(a.eventIds ?? []).map((e) => (
          <li key={e}><code>{e}</code></li>
        ))}
      </ul>
    </section>
  );
}
