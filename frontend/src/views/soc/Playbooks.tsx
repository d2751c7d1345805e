import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { PAGE, Pager, usePages } from "../../Pager";
import { Badge, QueryError, when } from "../../ui";

const Books = graphql(`
  query Playbooks {
    playbooks(first: 100) { edges { node { id name enabled trigger steps } } }
  }
`);
const Runs = graphql(`
  query PlaybookRuns($first: Int, $after: Cursor, $where: PlaybookRunWhereInput) {
    playbookRuns(first: $first, after: $after, where: $where) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id playbookId alertId status step createdAt finishedAt log } }
    }
  }
`);

export default function Playbooks() {
  const [{ data, error, fetching }] = useQuery({ query: Books });
  const books = (data?.playbooks.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const [chosen, setChosen] = useState("");
  const pages = usePages();
  const [runs] = useQuery({ query: Runs, variables: { first: PAGE, after: pages.after, where: chosen ? { playbookId: chosen } : {} } });
  const names = new Map(books.map((b) => [b.id, b.name]));
  const rows = (runs.data?.playbookRuns.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));

  return (
    <section>
      <h1>Playbooks</h1>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      <table className="grid" aria-label="Playbooks">
        <thead>
          <tr><th scope="col">Playbook</th><th scope="col">Enabled</th><th scope="col">Steps</th></tr>
        </thead>
        <tbody>
          {books.map((b) => (
            <tr key={b.id} data-testid="playbook-row">
              <td>
                <details>
                  <summary>{b.name}</summary>
                  <pre>{JSON.stringify({ trigger: b.trigger, steps: b.steps }, null, 2)}</pre>
                </details>
              </td>
              <td>{b.enabled ? "yes" : "no"}</td>
              <td>{Array.isArray(b.steps) ? b.steps.length : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && books.length === 0 && <p>No playbook.</p>}
      <h2>Runs</h2>
      <div className="toolbar">
        <label>
          Playbook{" "}
          <select value={chosen} onChange={(e) => { setChosen(e.target.value); pages.reset(); }}>
            <option value="">any</option>
            {books.map((b) => (
              <option key={b.id} value={b.id}>{b.name}</option>
            ))}
          </select>
        </label>
      </div>
      <QueryError error={runs.error} />
      {runs.fetching && !runs.data && <p className="loading">Loading…</p>}
      <table className="grid" aria-label="Playbook runs">
        <thead>
          <tr><th scope="col">Playbook</th><th scope="col">Alert</th><th scope="col">Status</th><th scope="col">Step</th><th scope="col">Started</th><th scope="col">Finished</th></tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="run-row">
              <td>
                <details>
                  <summary>{names.get(r.playbookId) ?? r.playbookId}</summary>
                  <pre>{JSON.stringify(r.log, null, 2)}</pre>
                </details>
              </td>
              <td><Link to={`/alerts/${r.alertId}`}>{r.alertId}</Link></td>
              <td><Badge value={r.status} /></td>
              <td>{r.step}</td>
              <td>{when(r.createdAt)}</td>
              <td>{when(r.finishedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.data && rows.length === 0 && <p>No run.</p>}
      <Pager label="Runs" page={pages.page} total={runs.data?.playbookRuns.totalCount} info={runs.data?.playbookRuns.pageInfo} onPrev={pages.prev} onNext={() => pages.next(runs.data?.playbookRuns.pageInfo)} />
    </section>
  );
}
