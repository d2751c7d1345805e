import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { useViewer } from "../../Layout";
import { PAGE, Pager, usePages } from "../../Pager";
import { Badge, can, Field, fieldErrors, QueryError, when } from "../../ui";

const Lists = graphql(`
  query IndicatorLists {
    indicatorLists(first: 100) { edges { node { id name kind description size edlPath } } }
  }
`);
const Items = graphql(`
  query Indicators($first: Int, $after: Cursor, $where: IndicatorWhereInput) {
    indicators(first: $first, after: $after, where: $where) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id kind value source confidence tlp validUntil description } }
    }
  }
`);
const Add = graphql(`
  mutation AddIndicator($input: IndicatorInput!) {
    addIndicator(input: $input) { indicator { id } userErrors { field message code } }
  }
`);
const Remove = graphql(`
  mutation DeleteIndicator($id: ID!) {
    deleteIndicator(id: $id) { indicator { id } userErrors { field message code } }
  }
`);
const NewList = graphql(`
  mutation CreateIndicatorList($input: IndicatorListInput!) {
    createIndicatorList(input: $input) { list { id } edlToken userErrors { field message code } }
  }
`);

export default function Indicators() {
  const v = useViewer();
  const write = can(v.permissions, "soc:write");
  const [{ data: ld, error: lerr }, refetchLists] = useQuery({ query: Lists });
  const lists = (ld?.indicatorLists.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const [chosen, setChosen] = useState("");
  const listId = chosen || lists[0]?.id || "";
  const pages = usePages();
  const [{ data, error, fetching }, refetch] = useQuery({
    query: Items,
    variables: { first: PAGE, after: pages.after, where: { listId } },
    pause: !listId,
  });
  const [, add] = useMutation(Add);
  const [, remove] = useMutation(Remove);
  const [, newList] = useMutation(NewList);
  const [value, setValue] = useState("");
  const [kind, setKind] = useState("");
  const [validUntil, setValidUntil] = useState("");
  const [description, setDescription] = useState("");
  const [listName, setListName] = useState("");
  const [listKind, setListKind] = useState("intel");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [listErrors, setListErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState("");
  const rows = (data?.indicators.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const list = lists.find((l) => l.id === listId);
  const again = () => {
    refetch({ requestPolicy: "network-only" });
    refetchLists({ requestPolicy: "network-only" });
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setNotice("");
    const until = validUntil ? new Date(validUntil) : null;
    const r = await add({
      input: { listId, value, kind: kind || undefined, description: description || undefined, validUntil: until && !Number.isNaN(until.getTime()) ? until.toISOString() : validUntil || undefined },
    });
    if (r.error) return setErrors({ "": r.error.message });
    const errs = fieldErrors(r.data?.addIndicator.userErrors);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setNotice(`Added ${value}.`);
    setValue("");
    setDescription("");
    again();
  }

  async function createList(e: FormEvent) {
    e.preventDefault();
    const r = await newList({ input: { name: listName, kind: listKind } });
    if (r.error) return setListErrors({ "": r.error.message });
    const errs = fieldErrors(r.data?.createIndicatorList.userErrors);
    setListErrors(errs);
    if (Object.keys(errs).length) return;
    const token = r.data?.createIndicatorList.edlToken;
    setNotice(`List "${listName}" created.${token ? ` Its EDL token, shown once: ${token}` : ""}`);
    setChosen(r.data?.createIndicatorList.list?.id ?? "");
    setListName("");
    pages.reset();
    refetchLists({ requestPolicy: "network-only" });
  }

  return (
    <section>
      <h1>Indicator lists</h1>
      <QueryError error={lerr} />
      {!ld && !lerr && <p className="loading">Loading…</p>}
      {notice && <p role="status">{notice}</p>}
      {ld && lists.length === 0 && <p>No indicator list yet.</p>}
      {lists.length > 0 && (
        <div className="toolbar">
          <label>
            List{" "}
            <select value={listId} onChange={(e) => { setChosen(e.target.value); pages.reset(); }}>
              {lists.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name} ({l.kind}, {l.size})
                </option>
              ))}
            </select>
          </label>
          {list?.edlPath && <span>EDL: <code>{list.edlPath}</code></span>}
        </div>
      )}
      <QueryError error={error} />
      {fetching && !data && listId && <p className="loading">Loading…</p>}
      {listId && (
        <table className="grid" aria-label="Indicators">
          <thead>
            <tr>
              <th scope="col">Value</th><th scope="col">Kind</th><th scope="col">TLP</th><th scope="col">Confidence</th><th scope="col">Source</th><th scope="col">Valid until</th>
              {write && <th scope="col"><span className="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => {
              const expired = !!i.validUntil && new Date(i.validUntil).getTime() <= Date.now();
              return (
                <tr key={i.id} data-testid="indicator-row">
                  <td><code>{i.value}</code>{i.description && <> — {i.description}</>}</td>
                  <td>{i.kind}</td>
                  <td><Badge value={i.tlp} /></td>
                  <td>{i.confidence}</td>
                  <td>{i.source}</td>
                  <td>{i.validUntil ? `${when(i.validUntil)}${expired ? " (expired)" : ""}` : "no expiry"}</td>
                  {write && (
                    <td>
                      <button type="button" onClick={() => void remove({ id: i.id }).then(again)}>Delete {i.value}</button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {data && listId && rows.length === 0 && <p>This list is empty.</p>}
      {listId && <Pager label="Indicators" page={pages.page} total={data?.indicators.totalCount} info={data?.indicators.pageInfo} onPrev={pages.prev} onNext={() => pages.next(data?.indicators.pageInfo)} />}
      {write && listId && (
        <form onSubmit={submit} noValidate className="form">
          <h2>Add an indicator{list ? ` to ${list.name}` : ""}</h2>
          <Field id="ind-value" label="Value" error={errors.value}>
            <input id="ind-value" value={value} onChange={(e) => setValue(e.target.value)} />
          </Field>
          <Field id="ind-kind" label="Kind" error={errors.kind}>
            <select id="ind-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
              <option value="">guess from the value</option>
              {["ipv4", "ipv6", "cidr", "domain", "url", "sha256", "sha1", "md5", "email"].map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </Field>
          <Field id="ind-until" label="Valid until (optional)" error={errors.validUntil}>
            <input id="ind-until" type="datetime-local" value={validUntil} onChange={(e) => setValidUntil(e.target.value)} />
          </Field>
          <Field id="ind-desc" label="Description (optional)" error={errors.description}>
            <input id="ind-desc" value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          {(errors[""] || errors.input || errors.listId) && <p className="error" role="alert">{[errors[""], errors.input, errors.listId].filter(Boolean).join("; ")}</p>}
          <button type="submit">Add indicator</button>
        </form>
      )}
      {write && (
        <form onSubmit={createList} noValidate className="form">
          <h2>New list</h2>
          <Field id="list-name" label="List name" error={listErrors.name}>
            <input id="list-name" value={listName} onChange={(e) => setListName(e.target.value)} />
          </Field>
          <Field id="list-kind" label="List kind" error={listErrors.kind}>
            <select id="list-kind" value={listKind} onChange={(e) => setListKind(e.target.value)}>
              <option value="intel">intel (matched at ingest)</option>
              <option value="blocklist">blocklist (served as an EDL)</option>
            </select>
          </Field>
          {listErrors[""] && <p className="error" role="alert">{listErrors[""]}</p>}
          <button type="submit">Create list</button>
        </form>
      )}
    </section>
  );
}
