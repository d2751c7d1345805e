import { useState } from "react";

// Assignee shows who an incident, alert or case is assigned to and, for a
// user who may write, buttons to take it or let it go. assign sends the
// change and answers the API's complaint ("" when it took).
export function Assignee(props: {
  assigneeId?: string | null;
  viewer?: { id: string; email: string } | null;
  write: boolean;
  assign: (assigneeId: string | null) => Promise<string>;
}) {
  const { assigneeId, write } = props;
  const me = props.viewer?.id;
  const email = props.viewer?.email;
  const [error, setError] = useState("");
  const set = (id: string | null) => void props.assign(id).then(setError);
  return (
    <>
      <span data-testid="assignee">{assigneeId ? (assigneeId === me ? `assigned to you (${email})` : `assigned to ${assigneeId}`) : "unassigned"}</span>
      {write && me && (
        <>
          {" "}
          {assigneeId !== me && (
            <button type="button" onClick={() => set(me)}>
              Assign to me
            </button>
          )}{" "}
          {assigneeId && (
            <button type="button" onClick={() => set(null)}>
              Unassign
            </button>
          )}
          {error && (
            <span className="error" role="alert">
              {" "}
              {error}
            </span>
          )}
        </>
      )}
    </>
  );
}

// complaint is what a mutation's answer says went wrong: the transport's
// error, or its user errors joined ("" when none).
export function complaint(r: { error?: { message: string } }, userErrors?: { message: string }[] | null): string {
  return r.error?.message ?? (userErrors ?? []).map((u) => u.message).join("; ");
}
