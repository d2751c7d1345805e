import { useSyncExternalStore, type ReactNode } from "react";
import type { CombinedError } from "urql";
import { isOutage, subscribeOutage } from "./session";

export type UserError = { field: string[]; message: string; code: string };

// fieldErrors indexes the API's userErrors by the last segment of their
// field path, so that each shows beside its field; the rest go under "".
export function fieldErrors(errs: readonly UserError[] | undefined | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errs ?? []) {
    const k = e.field.length ? e.field[e.field.length - 1] : "";
    out[k] = out[k] ? `${out[k]}; ${e.message}` : e.message;
  }
  return out;
}

export function Field(props: { id: string; label: string; error?: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.error && (
        <p className="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

export function QueryError({ error }: { error?: CombinedError }) {
  if (!error) return null;
  const notFound = error.graphQLErrors.some((e) => e.extensions?.code === "not_found");
  return (
    <p className="error" role="alert">
      {notFound ? "Not found." : error.networkError ? "The API cannot be reached." : error.graphQLErrors.map((e) => e.message).join("; ")}
    </p>
  );
}

export function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>Nothing here, or nothing you may see.</p>
    </section>
  );
}

export function OutageBanner() {
  const down = useSyncExternalStore(subscribeOutage, isOutage);
  if (!down) return null;
  return (
    <div className="banner" role="alert">
      The Opsward API cannot be reached. What you see may be out of date; the portal retries on its own.
    </div>
  );
}

export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${value}`}>{value.replaceAll("_", " ")}</span>;
}

export function when(t?: string | null): string {
  return t ? new Date(t).toLocaleString() : "—";
}

export function can(perms: readonly string[] | undefined, p: string): boolean {
  return !!perms?.includes(p);
}
