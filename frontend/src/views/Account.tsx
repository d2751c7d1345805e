import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { Field, fieldErrors } from "../ui";
import { PasswordChange } from "./account/PasswordChange";

const Enroll = graphql(`
  mutation EnrollTOTP {
    enrollTOTP { secret uri userErrors { field message code } }
  }
`);
const Confirm = graphql(`
  mutation ConfirmTOTP($code: String!) {
    confirmTOTP(code: $code) { ok userErrors { field message code } }
  }
`);
const Disable = graphql(`
  mutation DisableTOTP($code: String!) {
    disableTOTP(code: $code) { ok userErrors { field message code } }
  }
`);

export default function Account() {
  const [enrolled, enroll] = useMutation(Enroll);
  const [, confirm] = useMutation(Confirm);
  const [, disable] = useMutation(Disable);
  const [code, setCode] = useState("");
  const [off, setOff] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState("");
  const secret = enrolled.data?.enrollTOTP.secret;

  return (
    <section>
      <h1>Account</h1>
      <PasswordChange />
      <h2>Two-factor authentication</h2>
      {!secret && (
        <button type="button" onClick={() => void enroll({}).then((r) => setErrors(fieldErrors(r.data?.enrollTOTP.userErrors)))}>
          Set up an authenticator app
        </button>
      )}
      {secret && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void confirm({ code }).then((r) => {
              setErrors(fieldErrors(r.data?.confirmTOTP.userErrors));
              if (r.data?.confirmTOTP.ok) setMsg("Two-factor authentication is on.");
            });
          }}
        >
          <p>Add this secret to your authenticator app, then enter the code it shows.</p>
          <p><code data-testid="totp-secret">{secret}</code></p>
          <p className="muted"><code>{enrolled.data?.enrollTOTP.uri}</code></p>
          <Field id="code" label="Code" error={errors.code}>
            <input id="code" inputMode="numeric" value={code} onChange={(e) => setCode(e.target.value)} />
          </Field>
          <button type="submit">Turn on</button>
        </form>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void disable({ code: off }).then((r) => {
            setErrors(fieldErrors(r.data?.disableTOTP.userErrors));
            if (r.data?.disableTOTP.ok) setMsg("Two-factor authentication is off.");
          });
        }}
      >
        <Field id="off" label="Code, to turn two-factor authentication off" error={errors.code && !secret ? errors.code : undefined}>
          <input id="off" inputMode="numeric" value={off} onChange={(e) => setOff(e.target.value)} />
        </Field>
        <button type="submit">Turn off</button>
      </form>
      {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
      {msg && <p role="status">{msg}</p>}
    </section>
  );
}
