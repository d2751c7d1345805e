import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "urql";
import { createClient as createWS } from "graphql-ws";
import { acting, current, refresh, setOutage } from "./session";

// sessionExpired is called when the API refuses the session and no refresh
// brings it back: the app sends the user to the login page and back.
let sessionExpired: () => void = () => {};
export function onSessionExpired(fn: () => void) {
  sessionExpired = fn;
}

function headers(): Record<string, string> {
  const h: Record<string, string> = {};
  const s = current();
  if (s) h.Authorization = `Bearer ${s.accessToken}`;
  const t = acting();
  if (t) h["X-Opsward-Tenant"] = t;
  return h;
}

function unauthenticated(body: { errors?: { extensions?: { code?: string } }[] }): boolean {
  return !!body.errors?.some((e) => e.extensions?.code === "unauthorized" || e.extensions?.code === "unauthenticated");
}

// apiFetch adds the credentials, refreshes an expired access token once and
// retries, and raises the outage banner when the API cannot be reached.
export async function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const send = () => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers() } });
  let res: Response;
  try {
    res = await send();
  } catch (e) {
    setOutage(true);
    throw e;
  }
  setOutage(res.status >= 502);
  const expired = async (r: Response) => r.status === 401 || (r.ok && unauthenticated(await r.clone().json().catch(() => ({}))));
  if (await expired(res)) {
    if (await refresh()) {
      res = await send();
      if (!(await expired(res))) return res;
    }
    sessionExpired();
  }
  return res;
}

// Pages that show live data are told each time the socket (re)connects: an
// update sent while it was down, or before it first opened, never reaches
// their subscription, so they read their data again (see useCatchUp).
const connected = new Set<() => void>();
export function onLiveConnected(fn: () => void): () => void {
  connected.add(fn);
  return () => {
    connected.delete(fn);
  };
}

// newSocket opens (lazily) the graphql-transport-ws socket, signed in with
// the session and acting tenant of the moment it connects.
export function newSocket() {
  return createWS({
    url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
    connectionParams: () => {
      const h = headers();
      return { Authorization: h.Authorization ?? "", "X-Opsward-Tenant": h["X-Opsward-Tenant"] ?? "" };
    },
    retryAttempts: Infinity,
    shouldRetry: () => true,
    lazy: true,
    on: {
      connected: () => {
        for (const fn of connected) fn();
      },
    },
  });
}

export function newClient(): Client {
  const ws = newSocket();
  return new Client({
    url: "/graphql",
    fetch: apiFetch,
    // POST always: a query in the URL would end up in logs and caches.
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
