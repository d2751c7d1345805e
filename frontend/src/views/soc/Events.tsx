import { useState, type FormEvent } from "react";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { Field, QueryError, when } from "../../ui";

const Search = graphql(`
  query SearchEvents($from: Time!, $to: Time!, $text: String, $first: Int, $after: String) {
    securityEvents(from: $from, to: $to, text: $text, first: $first, after: $after) {
      endCursor
      hasNextPage
      nodes { id timestamp dataset category action outcome severity hostName userName sourceIp destinationIp message }
    }
  }
`);

const RANGES: Record<string, number> = { "last hour": 3600, "last 24 hours": 86400, "last 7 days": 7 * 86400, "last 31 days": 31 * 86400 };
const PER_PAGE = 50;

type Query = { from: string; to: string; text?: string };

export default function Events() {
  const [text, setText] = useState("");
  const [range, setRange] = useState("last 24 hours");
  const [query, setQuery] = useState<Query | null>(null);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  const [{ data, error, fetching }] = useQuery({
    query: Search,
    variables: { ...(query ?? { from: "", to: "" }), first: PER_PAGE, after },
    pause: !query,
  });
  const rows = data?.securityEvents.nodes ?? [];

  function submit(e: FormEvent) {
    e.preventDefault();
    const to = new Date();
    const from = new Date(to.getTime() - RANGES[range] * 1000);
    setCursors([null]);
    setQuery({ from: from.toISOString(), to: to.toISOString(), text: text.trim() || undefined });
  }

  return (
    <section>
      <h1>Event search</h1>
      <form onSubmit={submit} className="toolbar" role="search">
        <Field id="ev-text" label="Text">
          <input id="ev-text" type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </Field>
        <Field id="ev-range" label="Time range">
          <select id="ev-range" value={range} onChange={(e) => setRange(e.target.value)}>
            {Object.keys(RANGES).map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </Field>
        <button type="submit">Search</button>
      </form>
      <QueryError error={error} />
      {fetching && <p className="loading">Searching…</p>}
      {query && data && (
        <>
          <p role="status" data-testid="event-count">
            {rows.length} event{rows.length === 1 ? "" : "s"} on page {cursors.length}
            {data.securityEvents.hasNextPage ? ", more follow" : ""}.
          </p>
          <table className="grid" aria-label="Events">
            <thead>
              <tr>
                <th scope="col">Time</th><th scope="col">Dataset</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Host</th><th scope="col">User</th><th scope="col">Source</th><th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((ev) => (
                <tr key={ev.id} data-testid="event-row">
                  <td>{when(ev.timestamp)}</td>
                  <td>{ev.dataset}</td>
                  <td>{ev.action}</td>
                  <td>{ev.outcome}</td>
                  <td>{ev.hostName}</td>
                  <td>{ev.userName}</td>
                  <td>{ev.sourceIp}</td>
                  <td>{ev.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="toolbar" aria-label="Event pages">
            <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>Previous page</button>
            <span>Page {cursors.length}</span>
            <button
              type="button"
              disabled={!data.securityEvents.hasNextPage}
              onClick={() => setCursors((c) => [...c, data.securityEvents.endCursor ?? null])}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
