import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { Badge, Field, QueryError, can, fieldErrors } from "../../ui";
import { useViewer } from "../../Layout";

const TenantsQuery = graphql(`
  query AdminTenants($after: Cursor) {
    viewer { actingTenant { id kind } }
    tenants(first: 25, after: $after) {
      edges { node { id name slug kind status parentId contactEmail } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const Create = graphql(`
  mutation AdminCreateTenant($input: CreateTenantInput!) {
    createTenant(input: $input) { tenant { id name } userErrors { field message code } }
  }
`);
const Suspend = graphql(`
  mutation AdminSuspendTenant($id: ID!) {
    suspendTenant(id: $id) { tenant { id status } userErrors { field message code } }
  }
`);
const Resume = graphql(`
  mutation AdminReactivateTenant($id: ID!) {
    reactivateTenant(id: $id) { tenant { id status } userErrors { field message code } }
  }
`);

// Tenants lists the customers in reach, creates one below the acting
// tenant and suspends or resumes them.
export default function Tenants() {
  const v = useViewer();
  const [after, setAfter] = useState<string[]>([]);
  const [{ data, fetching, error }, reload] = useQuery({ query: TenantsQuery, variables: { after: after[after.length - 1] ?? null } });
  const [, create] = useMutation(Create);
  const [, suspend] = useMutation(Suspend);
  const [, resume] = useMutation(Resume);
  const [form, setForm] = useState({ slug: "", name: "", contactEmail: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState("");
  const write = can(v.permissions, "tenant:write");
  const acting = data?.viewer.actingTenant;
  const rows = (data?.tenants.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])).filter((t) => t.id !== acting?.id);

  return (
    <section>
      <h1>Customers</h1>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {data && (
        <table>
          <caption className="muted">Tenants below {v.actingName}</caption>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Slug</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Contact</th>{write && <th scope="col">Actions</th>}</tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.slug}</td>
                <td>{t.kind}</td>
                <td><Badge value={t.status} /></td>
                <td>{t.contactEmail || "—"}</td>
                {write && (
                  <td>
                    {t.status === "active" && (
                      <button type="button" onClick={() => void suspend({ id: t.id }).then((r) => setMsg(r.data?.suspendTenant.userErrors[0]?.message ?? r.error?.message ?? `${t.name} suspended.`))}>
                        Suspend {t.name}
                      </button>
                    )}
                    {t.status === "suspended" && (
                      <button type="button" onClick={() => void resume({ id: t.id }).then((r) => setMsg(r.data?.reactivateTenant.userErrors[0]?.message ?? r.error?.message ?? `${t.name} resumed.`))}>
                        Resume {t.name}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
            {!rows.length && <tr><td colSpan={6}>No tenants below this one.</td></tr>}
          </tbody>
        </table>
      )}
      <nav aria-label="Pages" className="pager">
        {after.length > 0 && <button type="button" onClick={() => setAfter(after.slice(0, -1))}>Previous page</button>}
        {data?.tenants.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter([...after, data.tenants.pageInfo.endCursor ?? ""])}>Next page</button>}
      </nav>
      {msg && <p role="status">{msg}</p>}
      {write && acting && acting.kind !== "organization" && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void create({ input: { parentId: acting.id, slug: form.slug, name: form.name, contactEmail: form.contactEmail || undefined } }).then((r) => {
              const errs = fieldErrors(r.data?.createTenant.userErrors);
              if (r.error) errs[""] = r.error.message;
              setErrors(errs);
              if (r.data?.createTenant.tenant) {
                setMsg(`${r.data.createTenant.tenant.name} created.`);
                setForm({ slug: "", name: "", contactEmail: "" });
                reload({ requestPolicy: "network-only" });
              }
            });
          }}
        >
          <h2>New {acting.kind === "provider" ? "customer" : "organization"}</h2>
          <Field id="tenant-name" label="Name" error={errors.name}>
            <input id="tenant-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </Field>
          <Field id="tenant-slug" label="Slug" error={errors.slug}>
            <input id="tenant-slug" value={form.slug} onChange={(e) => setForm({ ...form, slug: e.target.value })} />
          </Field>
          <Field id="tenant-contact" label="Contact email" error={errors.contactEmail}>
            <input id="tenant-contact" type="email" value={form.contactEmail} onChange={(e) => setForm({ ...form, contactEmail: e.target.value })} />
          </Field>
          {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
          <button type="submit">Create</button>
        </form>
      )}
    </section>
  );
}
