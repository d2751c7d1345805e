import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { useViewer } from "../Layout";
import { can, Field, fieldErrors, QueryError } from "../ui";

const Pages = graphql(`
  query StatusPages {
    statusPages(first: 100) { edges { node { id slug title monitorIds } } }
    monitors(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name tenantId } } }
    viewer { actingTenant { id } }
  }
`);
const Publish = graphql(`
  mutation PublishStatusPage($input: StatusPageInput!) {
    publishStatusPage(input: $input) { statusPage { id slug } userErrors { field message code } }
  }
`);
const Unpublish = graphql(`
  mutation UnpublishStatusPage($id: ID!) {
    unpublishStatusPage(id: $id) { statusPage { id } userErrors { field message code } }
  }
`);

export default function StatusPages() {
  const v = useViewer();
  const [{ data, error }, refetch] = useQuery({ query: Pages });
  const [, publish] = useMutation(Publish);
  const [, unpublish] = useMutation(Unpublish);
  const [slug, setSlug] = useState("");
  const [title, setTitle] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const write = can(v.permissions, "noc:write");
  const pages = (data?.statusPages.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const own = data?.viewer.actingTenant.id;
  const monitors = (data?.monitors.edges ?? []).flatMap((e) => (e?.node && e.node.tenantId === own ? [e.node] : []));

  async function submit(e: FormEvent) {
    e.preventDefault();
    const r = await publish({ input: { slug, title, monitorIds: chosen } });
    if (r.error) return setErrors({ "": r.error.message });
    const errs = fieldErrors(r.data?.publishStatusPage.userErrors);
    setErrors(errs);
    if (!Object.keys(errs).length) refetch({ requestPolicy: "network-only" });
  }

  return (
    <section>
      <h1>Status pages</h1>
      <QueryError error={error} />
      <ul>
        {pages.map((p) => (
          <li key={p.id}>
            <a href={`/status/${p.slug}`}>{p.title}</a> <code>/status/{p.slug}</code> · {p.monitorIds?.length ?? 0} monitors{" "}
            {write && (
              <button type="button" onClick={() => void unpublish({ id: p.id }).then(() => refetch({ requestPolicy: "network-only" }))}>
                Unpublish {p.slug}
              </button>
            )}
          </li>
        ))}
      </ul>
      {pages.length === 0 && <p>No status page yet.</p>}
      {write && (
        <form onSubmit={submit} noValidate className="form">
          <h2>Publish a page</h2>
          <Field id="slug" label="Address: /status/…" error={errors.slug}>
            <input id="slug" value={slug} onChange={(e) => setSlug(e.target.value)} />
          </Field>
          <Field id="title" label="Title" error={errors.title}>
            <input id="title" value={title} onChange={(e) => setTitle(e.target.value)} />
          </Field>
          <fieldset>
            <legend>Monitors shown</legend>
            {errors.monitorIds && <p className="field-error" role="alert">{errors.monitorIds}</p>}
            {monitors.map((m) => (
              <label key={m.id} className="check">
                <input
                  type="checkbox"
                  checked={chosen.includes(m.id)}
                  onChange={(e) => setChosen(e.target.checked ? [...chosen, m.id] : chosen.filter((x) => x !== m.id))}
                />{" "}
                {m.name}
              </label>
            ))}
          </fieldset>
          {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
          <button type="submit">Publish</button>
        </form>
      )}
    </section>
  );
}
