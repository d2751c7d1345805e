import { createContext, useContext, type ReactNode } from "react";
import { NavLink, useNavigate } from "react-router";
import { useQuery } from "urql";
import { graphql } from "./gql";
import { acting, logout, setActing } from "./session";

const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      user { id email name }
      actingTenant { id name kind }
      roles
      permissions
    }
    tenants(first: 100) { edges { node { id name kind parentId status } } }
  }
`);

export type ViewerInfo = { permissions: readonly string[]; actingKind: string; actingName: string };
const ViewerContext = createContext<ViewerInfo>({ permissions: [], actingKind: "", actingName: "" });
export function useViewer() {
  return useContext(ViewerContext);
}

export function Layout({ children }: { children: ReactNode }) {
  const [{ data }] = useQuery({ query: ViewerQuery, requestPolicy: "cache-first" });
  const nav = useNavigate();
  const v = data?.viewer;
  const info: ViewerInfo = { permissions: v?.permissions ?? [], actingKind: v?.actingTenant.kind ?? "", actingName: v?.actingTenant.name ?? "" };
  const tenants = (data?.tenants.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  return (
    <ViewerContext.Provider value={info}>
      <header className="top">
        <a className="brand" href="/">Opsward</a>
        <nav aria-label="Main">
          <NavLink to="/" end>Overview</NavLink>
          <NavLink to="/monitors">Monitors</NavLink>
          <NavLink to="/incidents">Incidents</NavLink>
          <NavLink to="/alerts">Alerts</NavLink>
          <NavLink to="/cases">Cases</NavLink>
          <NavLink to="/status-pages">Status pages</NavLink>
          {info.permissions.includes("tenant:write") && <NavLink to="/admin/customers">Customers</NavLink>}
          {info.permissions.includes("members:write") && <NavLink to="/admin/team">Users</NavLink>}
          {info.permissions.includes("audit:read") && <NavLink to="/admin/audit">Audit</NavLink>}
          {info.permissions.includes("billing:read") && <NavLink to="/billing">Billing</NavLink>}
          {info.permissions.includes("compliance:read") && <NavLink to="/compliance">Compliance</NavLink>}
          <NavLink to="/assets">Assets</NavLink>
          <NavLink to="/maintenance">Maintenance</NavLink>
          <NavLink to="/channels">Channels</NavLink>
          <NavLink to="/escalations">Escalations</NavLink>
          <NavLink to="/reports">Reports</NavLink>
          <NavLink to="/rules">Rules</NavLink>
          <NavLink to="/indicators">Indicators</NavLink>
          <NavLink to="/playbooks">Playbooks</NavLink>
          <NavLink to="/events">Events</NavLink>
          {/* A full load: the explorer's page has a CSP of its own. */}
          <a href="/explorer">Explorer</a>
        </nav>
        {tenants.length > 1 && (
          <label className="switcher">
            <span>Tenant</span>
            <select
              aria-label="Acting tenant"
              value={acting() ?? ""}
              onChange={(e) => {
                setActing(e.target.value);
                nav("/");
              }}
            >
              {tenants.filter((t) => t.status !== "closed").map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <NavLink to="/account" className="user">{v?.user?.email ?? ""}</NavLink>
        <button
          type="button"
          onClick={() => {
            void logout().finally(() => nav("/login"));
          }}
        >
          Log out
        </button>
      </header>
      <main id="main">{children}</main>
    </ViewerContext.Provider>
  );
}
