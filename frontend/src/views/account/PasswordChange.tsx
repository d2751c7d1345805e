import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../gql";
import { Field, fieldErrors } from "../../ui";

const Change = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { ok userErrors { field message code } }
  }
`);

// PasswordChange sets a new password for the signed-in user; the API ends
// the user's other sessions.
export function PasswordChange() {
  const [{ fetching }, change] = useMutation(Change);
  const [cur, setCur] = useState("");
  const [next, setNext] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState("");
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setMsg("");
        void change({ currentPassword: cur, newPassword: next }).then((r) => {
          const errs = fieldErrors(r.data?.changePassword.userErrors);
          if (r.error) errs[""] = r.error.message;
          setErrors(errs);
          if (r.data?.changePassword.ok) {
            setCur("");
            setNext("");
            setMsg("Password changed. Your other sessions were logged out.");
          }
        });
      }}
    >
      <h2>Password</h2>
      <Field id="current-password" label="Current password" error={errors.currentPassword}>
        <input id="current-password" type="password" autoComplete="current-password" value={cur} onChange={(e) => setCur(e.target.value)} />
      </Field>
      <Field id="new-password" label="New password" error={errors.newPassword}>
        <input id="new-password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
      </Field>
      {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
      <button type="submit" disabled={fetching}>Change password</button>
      {msg && <p role="status">{msg}</p>}
    </form>
  );
}
