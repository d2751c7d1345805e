import { useMemo, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { Client, fetchExchange } from "urql";
import { graphql } from "../gql";
import { Field, fieldErrors } from "../ui";

const Accept = graphql(`
  mutation AcceptInvitation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) {
      membership { id role tenant { name } }
      userErrors { field message code }
    }
  }
`);

// Accepting an invitation needs no session: the token in the link is the
// credential.
export default function Invitation() {
  const [params] = useSearchParams();
  const client = useMemo(() => new Client({ url: "/graphql", exchanges: [fetchExchange] }), []);
  // The mailed link carries the token in the fragment, which never reaches
  // a server or its logs.
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  const [token, setToken] = useState(fromHash ?? params.get("token") ?? "");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState("");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const r = await client.mutation(Accept, { input: { token, name: name || null, password } }).toPromise();
    if (r.error) {
      setErrors({ "": r.error.graphQLErrors.map((g) => g.message).join("; ") || "The API cannot be reached." });
      return;
    }
    const p = r.data!.acceptInvitation;
    if (p.userErrors.length) {
      setErrors(fieldErrors(p.userErrors));
      return;
    }
    setDone(p.membership?.tenant.name ?? "");
  }

  if (done)
    return (
      <main id="main" className="narrow">
        <h1>Welcome</h1>
        <p>You joined {done}. <a href="/login">Log in</a>.</p>
      </main>
    );
  return (
    <main id="main" className="narrow">
      <h1>Accept an invitation</h1>
      <form onSubmit={submit} noValidate>
        <Field id="token" label="Invitation token" error={errors.token}>
          <input id="token" value={token} onChange={(e) => setToken(e.target.value)} />
        </Field>
        <Field id="name" label="Your name" error={errors.name}>
          <input id="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="password" label="Password (new, or your existing account's)" error={errors.password}>
          <input id="password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
        <button type="submit">Accept</button>
      </form>
    </main>
  );
}
