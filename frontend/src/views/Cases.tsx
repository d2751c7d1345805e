import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import { Badge, QueryError, when } from "../ui";
import { useCatchUp } from "../live";

const List = graphql(`
  query Cases {
    cases(first: 100, orderBy: { field: OPENED_AT, direction: DESC }) {
      totalCount
      edges { node { id title severity status openedAt } }
    }
  }
`);
export const CaseUpdated = graphql(`subscription CaseUpdated { caseUpdated { id title severity status openedAt } }`);

export default function Cases() {
  const [{ data, error }, refetch] = useQuery({ query: List });
  useCatchUp(refetch);
  useSubscription({ query: CaseUpdated }, (_, d) => {
    refetch({ requestPolicy: "network-only" });
    return d;
  });
  const rows = (data?.cases.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  return (
    <section>
      <h1>Cases</h1>
      <QueryError error={error} />
      <table className="grid" aria-label="Cases">
        <thead>
          <tr><th scope="col">Case</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Opened</th></tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td><Link to={`/cases/${r.id}`}>{r.title}</Link></td>
              <td><Badge value={r.severity} /></td>
              <td><Badge value={r.status} /></td>
              <td>{when(r.openedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p>No case.</p>}
    </section>
  );
}
