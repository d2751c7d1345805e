import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { Role } from "../../gql/graphql";
import { Field, QueryError, can, fieldErrors, when } from "../../ui";
import { useViewer } from "../../Layout";

const TeamQuery = graphql(`
  query AdminTeam($tenantId: ID!, $after: Cursor) {
    memberships(tenantId: $tenantId, first: 25, after: $after) {
      edges { node { id role user { id email name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const KeysQuery = graphql(`
  query AdminKeys($tenantId: ID!) {
    apiKeys(tenantId: $tenantId, first: 100) {
      edges { node { id name prefix scopes createdAt lastUsedAt revokedAt expiresAt } }
    }
  }
`);
const InvitationsQuery = graphql(`
  query AdminInvitations($tenantId: ID!) {
    invitations(tenantId: $tenantId, pending: true, first: 100) {
      totalCount
      edges { node { id email role createdAt expiresAt } }
    }
  }
`);
const RevokeInvitation = graphql(`
  mutation AdminRevokeInvitation($id: ID!) {
    revokeInvitation(id: $id) { invitation { id revokedAt } userErrors { field message code } }
  }
`);
const ActingQuery = graphql(`
  query AdminActing { viewer { actingTenant { id name } } }
`);
const Invite = graphql(`
  mutation AdminInvite($input: InviteUserInput!) {
    inviteUser(input: $input) { token mailed invitation { id email } userErrors { field message code } }
  }
`);
const SetRole = graphql(`
  mutation AdminSetRole($id: ID!, $role: Role!) {
    updateMembership(id: $id, role: $role) { membership { id role } userErrors { field message code } }
  }
`);
const Remove = graphql(`
  mutation AdminRemoveMember($id: ID!) {
    removeMembership(id: $id) { membership { id } userErrors { field message code } }
  }
`);
const CreateKey = graphql(`
  mutation AdminCreateKey($input: CreateAPIKeyInput!) {
    createAPIKey(input: $input) { secret apiKey { id name } userErrors { field message code } }
  }
`);
const RevokeKey = graphql(`
  mutation AdminRevokeKey($id: ID!) {
    revokeAPIKey(id: $id) { apiKey { id revokedAt } userErrors { field message code } }
  }
`);

const roles: Role[] = ["owner", "admin", "analyst", "viewer", "billing"] as Role[];
const scopes = ["noc:read", "noc:write", "soc:read", "soc:write", "events:ingest", "billing:read", "admin"];

// Team shows the acting tenant's members with their roles, invites people,
// and manages API keys.
export default function Team() {
  const v = useViewer();
  const [{ data: a }] = useQuery({ query: ActingQuery });
  const tenantId = a?.viewer.actingTenant.id ?? "";
  const [invited, setInvited] = useState(0);
  return (
    <section>
      <h1>Users and API keys</h1>
      {tenantId ? <Members tenantId={tenantId} write={can(v.permissions, "members:write")} onInvited={() => setInvited((n) => n + 1)} /> : <p className="loading">Loading…</p>}
      {tenantId && can(v.permissions, "members:write") && <Invitations key={invited} tenantId={tenantId} />}
      {tenantId && can(v.permissions, "apikeys:write") && <Keys tenantId={tenantId} />}
    </section>
  );
}

function Members({ tenantId, write, onInvited }: { tenantId: string; write: boolean; onInvited: () => void }) {
  const [after, setAfter] = useState<string[]>([]);
  const [{ data, fetching, error }, reload] = useQuery({ query: TeamQuery, variables: { tenantId, after: after[after.length - 1] ?? null } });
  const [, invite] = useMutation(Invite);
  const [, setRole] = useMutation(SetRole);
  const [, remove] = useMutation(Remove);
  const [email, setEmail] = useState("");
  const [role, setInviteRole] = useState<Role>("viewer" as Role);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [token, setToken] = useState("");
  const [msg, setMsg] = useState("");
  const rows = (data?.memberships.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  return (
    <>
      <h2>Members</h2>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {data && (
        <table>
          <thead><tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Role</th>{write && <th scope="col">Actions</th>}</tr></thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.id}>
                <td>{m.user.email}</td>
                <td>{m.user.name}</td>
                <td>
                  {write ? (
                    <select
                      aria-label={`Role of ${m.user.email}`}
                      value={m.role}
                      onChange={(e) => void setRole({ id: m.id, role: e.target.value as Role }).then((r) => setMsg(r.data?.updateMembership.userErrors[0]?.message ?? r.error?.message ?? `Role of ${m.user.email} changed.`))}
                    >
                      {roles.map((r) => <option key={r} value={r}>{r}</option>)}
                    </select>
                  ) : m.role}
                </td>
                {write && (
                  <td>
                    <button type="button" onClick={() => void remove({ id: m.id }).then((r) => { setMsg(r.data?.removeMembership.userErrors[0]?.message ?? r.error?.message ?? `${m.user.email} removed.`); reload({ requestPolicy: "network-only" }); })}>
                      Remove {m.user.email}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav aria-label="Member pages" className="pager">
        {after.length > 0 && <button type="button" onClick={() => setAfter(after.slice(0, -1))}>Previous page</button>}
        {data?.memberships.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter([...after, data.memberships.pageInfo.endCursor ?? ""])}>Next page</button>}
      </nav>
      {msg && <p role="status">{msg}</p>}
      {write && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void invite({ input: { tenantId, email, role } }).then((r) => {
              const errs = fieldErrors(r.data?.inviteUser.userErrors);
              if (r.error) errs[""] = r.error.message;
              setErrors(errs);
              const p = r.data?.inviteUser;
              if (p?.invitation) {
                setToken(p.mailed ? "" : p.token ?? "");
                setMsg(p.mailed ? `Invitation mailed to ${email}.` : `Invitation for ${email} created.`);
                setEmail("");
                onInvited();
              }
            });
          }}
        >
          <h2>Invite someone</h2>
          <Field id="invite-email" label="Email" error={errors.email}>
            <input id="invite-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </Field>
          <Field id="invite-role" label="Role" error={errors.role}>
            <select id="invite-role" value={role} onChange={(e) => setInviteRole(e.target.value as Role)}>
              {roles.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </Field>
          {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
          <button type="submit">Invite</button>
          {token && (
            <p>
              No mail is configured: give the invitee this link, shown once:{" "}
              <code data-testid="invitation-link">{`${location.origin}/accept-invitation#token=${encodeURIComponent(token)}`}</code>
            </p>
          )}
        </form>
      )}
    </>
  );
}

// Invitations lists those still open (not accepted, revoked or expired);
// revoking one stops its link at once.
function Invitations({ tenantId }: { tenantId: string }) {
  const [{ data, fetching, error }, reload] = useQuery({ query: InvitationsQuery, variables: { tenantId }, requestPolicy: "cache-and-network" });
  const [, revoke] = useMutation(RevokeInvitation);
  const [msg, setMsg] = useState("");
  const rows = (data?.invitations.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  return (
    <>
      <h2>Pending invitations</h2>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {data && (
        <table aria-label="Pending invitations">
          <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Sent</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {rows.map((i) => (
              <tr key={i.id}>
                <td>{i.email}</td>
                <td>{i.role}</td>
                <td>{when(i.createdAt)}</td>
                <td>{when(i.expiresAt)}</td>
                <td>
                  <button
                    type="button"
                    className="danger"
                    onClick={() =>
                      void revoke({ id: i.id }).then((r) => {
                        setMsg(r.data?.revokeInvitation.userErrors[0]?.message ?? r.error?.message ?? `Invitation for ${i.email} revoked.`);
                        reload({ requestPolicy: "network-only" });
                      })
                    }
                  >
                    Revoke invitation for {i.email}
                  </button>
                </td>
              </tr>
            ))}
            {!rows.length && <tr><td colSpan={5}>No pending invitations.</td></tr>}
          </tbody>
        </table>
      )}
      {msg && <p role="status">{msg}</p>}
    </>
  );
}

function Keys({ tenantId }: { tenantId: string }) {
  const [{ data, fetching, error }, reload] = useQuery({ query: KeysQuery, variables: { tenantId } });
  const [, createKey] = useMutation(CreateKey);
  const [, revokeKey] = useMutation(RevokeKey);
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<string[]>(["noc:read"]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [secret, setSecret] = useState("");
  const [msg, setMsg] = useState("");
  const rows = (data?.apiKeys.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  return (
    <>
      <h2>API keys</h2>
      <QueryError error={error} />
      {fetching && !data && <p className="loading">Loading…</p>}
      {data && (
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Last used</th><th scope="col">State</th></tr></thead>
          <tbody>
            {rows.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td><code>{k.prefix}</code></td>
                <td>{k.scopes.join(", ")}</td>
                <td>{when(k.lastUsedAt)}</td>
                <td>
                  {k.revokedAt ? `revoked ${when(k.revokedAt)}` : (
                    <button type="button" onClick={() => void revokeKey({ id: k.id }).then((r) => { setMsg(r.data?.revokeAPIKey.userErrors[0]?.message ?? r.error?.message ?? `${k.name} revoked.`); reload({ requestPolicy: "network-only" }); })}>
                      Revoke {k.name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {!rows.length && <tr><td colSpan={5}>No API keys.</td></tr>}
          </tbody>
        </table>
      )}
      {msg && <p role="status">{msg}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void createKey({ input: { tenantId, name, scopes: chosen } }).then((r) => {
            const errs = fieldErrors(r.data?.createAPIKey.userErrors);
            if (r.error) errs[""] = r.error.message;
            setErrors(errs);
            if (r.data?.createAPIKey.secret) {
              setSecret(r.data.createAPIKey.secret);
              setName("");
              reload({ requestPolicy: "network-only" });
            }
          });
        }}
      >
        <h3>New API key</h3>
        <Field id="key-name" label="Key name" error={errors.name}>
          <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <fieldset>
          <legend>Scopes</legend>
          {scopes.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={chosen.includes(s)} onChange={(e) => setChosen(e.target.checked ? [...chosen, s] : chosen.filter((x) => x !== s))} /> {s}
            </label>
          ))}
          {errors.scopes && <p className="field-error" role="alert">{errors.scopes}</p>}
        </fieldset>
        {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
        <button type="submit">Create key</button>
      </form>
      {secret && (
        <p>
          The key, shown this once: <code data-testid="api-key-secret">{secret}</code>
        </p>
      )}
    </>
  );
}
