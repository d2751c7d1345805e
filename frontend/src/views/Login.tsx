import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { APIError, login } from "../session";
import { Field } from "../ui";

// safeNext keeps a return path on this site.
function safeNext(v: string | null): string {
  return v && v.startsWith("/") && !v.startsWith("//") ? v : "/";
}

export default function Login() {
  const [params] = useSearchParams();
  const nav = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [needCode, setNeedCode] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await login(email, password, code);
      nav(safeNext(params.get("next")), { replace: true });
    } catch (err) {
      if (err instanceof APIError) {
        if (err.field === "totpCode") setNeedCode(true);
        setErrors({ [err.field === "totpCode" && !code ? "" : (err.field ?? "")]: err.field === "totpCode" && !code ? "Enter the one-time code from your authenticator app." : err.message });
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="narrow">
      <h1>Log in to Opsward</h1>
      {params.get("next") && <p>Your session ended: log in again to go back.</p>}
      <form onSubmit={submit} noValidate>
        <Field id="email" label="Email" error={errors.email}>
          <input id="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </Field>
        <Field id="password" label="Password" error={errors.password}>
          <input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        {needCode && (
          <Field id="totp" label="One-time code" error={errors.totpCode}>
            <input id="totp" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} />
          </Field>
        )}
        {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
        <button type="submit" disabled={busy}>Log in</button>
      </form>
      <p><a href="/explorer">GraphQL explorer</a></p>
    </main>
  );
}
