import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { AssetWhereInput } from "../../gql/graphql";
import { useViewer } from "../../Layout";
import { PAGE, Pager, usePages } from "../../Pager";
import { Badge, can, Field, fieldErrors, QueryError } from "../../ui";

const List = graphql(`
  query Assets($first: Int, $after: Cursor, $where: AssetWhereInput) {
    assets(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name kind address criticality site tags } }
    }
  }
`);
const Create = graphql(`
  mutation CreateAssetView($input: AssetInput!) {
    createAsset(input: $input) { asset { id name } userErrors { field message code } }
  }
`);

const KINDS = ["host", "network_device", "website", "cloud_resource", "application", "database"];

export default function Assets() {
  const v = useViewer();
  const write = can(v.permissions, "noc:write");
  const pages = usePages();
  const [filter, setFilter] = useState("");
  const where: AssetWhereInput = filter ? { nameContainsFold: filter } : {};
  const [{ data, error, fetching }, refetch] = useQuery({ query: List, variables: { first: PAGE, after: pages.after, where } });
  const [, create] = useMutation(Create);
  const [name, setName] = useState("");
  const [kind, setKind] = useState("host");
  const [address, setAddress] = useState("");
  const [criticality, setCriticality] = useState("medium");
  const [site, setSite] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState("");
  const rows = (data?.assets.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setNotice("");
    const r = await create({ input: { name, kind, address: address || undefined, criticality, site: site || undefined } });
    if (r.error) return setErrors({ "": r.error.message });
    const errs = fieldErrors(r.data?.createAsset.userErrors);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setNotice(`Asset "${name}" created.`);
    setName("");
    setAddress("");
    refetch({ requestPolicy: "network-only" });
  }

  return (
    <section>
      <h1>Assets</h1>
      <div className="toolbar">
        <label>
          Filter assets by name{" "}
          <input value={filter} onChange={(e) => { setFilter(e.target.value); pages.reset(); }} />
        </label>
        <span>{data ? `${data.assets.totalCount} assets` : "…"}</span>
      </div>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {notice && <p role="status">{notice}</p>}
      <table className="grid" aria-label="Assets">
        <thead>
          <tr>
            <th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Address</th><th scope="col">Criticality</th><th scope="col">Site</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={a.id} data-testid="asset-row">
              <td>{a.name}</td>
              <td>{a.kind.replaceAll("_", " ")}</td>
              <td>{a.address}</td>
              <td><Badge value={a.criticality} /></td>
              <td>{a.site}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && rows.length === 0 && <p>No asset.</p>}
      <Pager label="Assets" page={pages.page} total={data?.assets.totalCount} info={data?.assets.pageInfo} onPrev={pages.prev} onNext={() => pages.next(data?.assets.pageInfo)} />
      {write && (
        <form onSubmit={submit} noValidate className="form">
          <h2>New asset</h2>
          <Field id="as-name" label="Asset name" error={errors.name}>
            <input id="as-name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="as-kind" label="Kind" error={errors.kind}>
            <select id="as-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
              {KINDS.map((k) => (
                <option key={k} value={k}>{k.replaceAll("_", " ")}</option>
              ))}
            </select>
          </Field>
          <Field id="as-address" label="Address" error={errors.address}>
            <input id="as-address" value={address} onChange={(e) => setAddress(e.target.value)} />
          </Field>
          <Field id="as-crit" label="Criticality" error={errors.criticality}>
            <select id="as-crit" value={criticality} onChange={(e) => setCriticality(e.target.value)}>
              {["critical", "high", "medium", "low"].map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </Field>
          <Field id="as-site" label="Site" error={errors.site}>
            <input id="as-site" value={site} onChange={(e) => setSite(e.target.value)} />
          </Field>
          {(errors[""] || errors.input) && <p className="error" role="alert">{[errors[""], errors.input].filter(Boolean).join("; ")}</p>}
          <button type="submit">Create asset</button>
        </form>
      )}
    </section>
  );
}
