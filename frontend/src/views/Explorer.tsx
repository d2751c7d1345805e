import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import { useMemo } from "react";
import { GraphiQL } from "graphiql";
import { buildASTSchema, parse } from "graphql";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { apiFetch, newSocket } from "../client";

// The schema the binary was built with (graph/schema/*.graphqls): the
// API's depth limit refuses GraphiQL's own introspection query, which nests
// deeper than any real operation needs.
const sdl = Object.values(import.meta.glob("../../../graph/schema/*.graphqls", { query: "?raw", import: "default", eager: true }) as Record<string, string>).join("\n");

// The GraphQL explorer, from the binary's own files (no CDN), signed in
// with the portal's session: requests carry its access token and acting
// tenant, subscriptions go over the same socket protocol as the portal's.
export default function Explorer() {
  const schema = useMemo(() => buildASTSchema(parse(sdl), { assumeValidSDL: true }), []);
  const fetcher = useMemo(() => createGraphiQLFetcher({ url: "/graphql", fetch: apiFetch as typeof fetch, wsClient: newSocket() }), []);
  return (
    <div className="explorer">
      <h1 className="sr-only">GraphQL explorer</h1>
      <GraphiQL fetcher={fetcher} schema={schema} defaultQuery={"# The API as you: try\n{ viewer { roles actingTenant { name } } }\n"} />
    </div>
  );
}
