// The session: the access token lives in this module's memory only; the
// refresh token is an HttpOnly cookie the server sets, which no script
// reads. Nothing is written to localStorage or sessionStorage.

export type Session = { accessToken: string; expiresAt: number; tenantId: string };

let session: Session | null = null;
let actingTenant: string | null = null;
const listeners = new Set<() => void>();
let refreshing: Promise<boolean> | null = null;
let timer: number | undefined;

function emit() {
  listeners.forEach((l) => l());
}

export function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function current(): Session | null {
  return session;
}

export function acting(): string | null {
  return actingTenant ?? session?.tenantId ?? null;
}

export function setActing(tenantId: string) {
  actingTenant = tenantId;
  emit();
}

function csrfToken(): string {
  const m = document.cookie.match(/(?:^|;\s*)opsward_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export class APIError extends Error {
  code: string;
  field?: string;
  status: number;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  let res: Response;
  try {
    res = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  } catch {
    setOutage(true);
    throw new APIError(0, "unavailable", "The API cannot be reached.");
  }
  setOutage(res.status >= 502);
  const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = data.error ?? {};
    throw new APIError(res.status, e.code ?? "internal", e.message ?? res.statusText, e.field);
  }
  return data;
}

function accept(t: { accessToken: string; expiresAt: string; tenantId: string }) {
  session = { accessToken: t.accessToken, expiresAt: Date.parse(t.expiresAt), tenantId: t.tenantId };
  if (!actingTenant) actingTenant = t.tenantId;
  window.clearTimeout(timer);
  // Refresh a minute before the access token expires.
  const wait = Math.max(5_000, session.expiresAt - Date.now() - 60_000);
  timer = window.setTimeout(() => void refresh(), wait);
  emit();
}

export async function login(email: string, password: string, totpCode: string) {
  const t = await post("/auth/login", { email, password, totpCode }, { "X-Opsward-Session": "cookie" });
  actingTenant = null;
  accept(t);
}

// refresh trades the cookie for a new access token; false when there is no
// session to resume (the user must log in).
export function refresh(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      const csrf = csrfToken();
      if (!csrf) {
        drop();
        return false;
      }
      try {
        accept(await post("/auth/refresh", {}, { "X-CSRF-Token": csrf }));
        return true;
      } catch (e) {
        if (e instanceof APIError && e.status > 0 && e.status < 500) drop();
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

function drop() {
  session = null;
  window.clearTimeout(timer);
  emit();
}

export async function logout() {
  const token = session?.accessToken;
  try {
    await post("/auth/logout", {}, { "X-CSRF-Token": csrfToken(), ...(token ? { Authorization: `Bearer ${token}` } : {}) });
  } finally {
    actingTenant = null;
    drop();
  }
}

// The API outage banner's state.
let outage = false;
const outageListeners = new Set<() => void>();
export function setOutage(v: boolean) {
  if (v !== outage) {
    outage = v;
    outageListeners.forEach((l) => l());
  }
}
export function isOutage() {
  return outage;
}
export function subscribeOutage(fn: () => void): () => void {
  outageListeners.add(fn);
  return () => outageListeners.delete(fn);
}
