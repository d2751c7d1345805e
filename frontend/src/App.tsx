import { lazy, Suspense, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { Provider } from "urql";
import { newClient, onSessionExpired } from "./client";
import { acting, current, refresh, subscribe } from "./session";
import { NotFound, OutageBanner } from "./ui";
import { Layout } from "./Layout";

// Every view is its own chunk: the first load carries the shell only.
const Login = lazy(() => import("./views/Login"));
const Invitation = lazy(() => import("./views/Invitation"));
const Account = lazy(() => import("./views/Account"));
const Overview = lazy(() => import("./views/Overview"));
const Monitors = lazy(() => import("./views/Monitors"));
const MonitorNew = lazy(() => import("./views/MonitorNew"));
const MonitorEdit = lazy(() => import("./views/MonitorEdit"));
const MonitorPage = lazy(() => import("./views/MonitorPage"));
const Incidents = lazy(() => import("./views/Incidents"));
const IncidentPage = lazy(() => import("./views/IncidentPage"));
const Alerts = lazy(() => import("./views/Alerts"));
const AlertPage = lazy(() => import("./views/AlertPage"));
const Cases = lazy(() => import("./views/Cases"));
const CasePage = lazy(() => import("./views/CasePage"));
const StatusPages = lazy(() => import("./views/StatusPages"));
const Explorer = lazy(() => import("./views/Explorer"));
const StatusPublic = lazy(() => import("./views/StatusPublic"));
const AdminTenants = lazy(() => import("./views/admin/Tenants"));
const AdminTeam = lazy(() => import("./views/admin/Team"));
const AdminAudit = lazy(() => import("./views/admin/Audit"));
const Billing = lazy(() => import("./views/billing/Billing"));
const Compliance = lazy(() => import("./views/compliance/Compliance"));
const Maintenance = lazy(() => import("./views/noc/Maintenance"));
const Channels = lazy(() => import("./views/noc/Channels"));
const Rules = lazy(() => import("./views/soc/Rules"));
const Indicators = lazy(() => import("./views/soc/Indicators"));
const Events = lazy(() => import("./views/soc/Events"));
const Reports = lazy(() => import("./views/noc/Reports"));
const Assets = lazy(() => import("./views/noc/Assets"));
const Escalations = lazy(() => import("./views/noc/Escalations"));
const Playbooks = lazy(() => import("./views/soc/Playbooks"));

function useSession() {
  return useSyncExternalStore(subscribe, () => `${current()?.accessToken ?? ""}|${acting() ?? ""}`);
}

// Protected resumes the session from its cookie on a fresh load, and sends
// a visitor without one to the login page, which brings them back here.
function Protected() {
  useSession();
  const loc = useLocation();
  const nav = useNavigate();
  const [tried, setTried] = useState(current() !== null);
  useEffect(() => {
    if (!tried) void refresh().finally(() => setTried(true));
  }, [tried]);
  useEffect(() => {
    onSessionExpired(() => nav(`/login?next=${encodeURIComponent(location.pathname + location.search)}`));
  }, [nav]);
  const tenant = acting();
  // One client per acting tenant: its cache and its socket belong to it.
  const client = useMemo(() => newClient(), [tenant]);
  if (!tried) return <p className="loading">Loading…</p>;
  if (!current()) return <Navigate to={`/login?next=${encodeURIComponent(loc.pathname + loc.search)}`} replace />;
  return (
    <Provider value={client}>
      <Layout key={tenant ?? ""}>
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <Routes>
            <Route path="/" element={<Overview />} />
            <Route path="/account" element={<Account />} />
            <Route path="/monitors" element={<Monitors />} />
            <Route path="/monitors/new" element={<MonitorNew />} />
            <Route path="/monitors/:id" element={<MonitorPage />} />
            <Route path="/monitors/:id/edit" element={<MonitorEdit />} />
            <Route path="/incidents" element={<Incidents />} />
            <Route path="/incidents/:id" element={<IncidentPage />} />
            <Route path="/alerts" element={<Alerts />} />
            <Route path="/alerts/:id" element={<AlertPage />} />
            <Route path="/cases" element={<Cases />} />
            <Route path="/cases/:id" element={<CasePage />} />
            <Route path="/status-pages" element={<StatusPages />} />
            <Route path="/explorer" element={<Explorer />} />
            <Route path="/admin/customers" element={<AdminTenants />} />
            <Route path="/admin/team" element={<AdminTeam />} />
            <Route path="/admin/audit" element={<AdminAudit />} />
            <Route path="/billing" element={<Billing />} />
            <Route path="/compliance" element={<Compliance />} />
            <Route path="/maintenance" element={<Maintenance />} />
            <Route path="/channels" element={<Channels />} />
            <Route path="/rules" element={<Rules />} />
            <Route path="/indicators" element={<Indicators />} />
            <Route path="/events" element={<Events />} />
            <Route path="/reports" element={<Reports />} />
            <Route path="/assets" element={<Assets />} />
            <Route path="/escalations" element={<Escalations />} />
            <Route path="/playbooks" element={<Playbooks />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </Layout>
    </Provider>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <OutageBanner />
      <Suspense fallback={<p className="loading">Loading…</p>}>
        <Routes>
          <Route path="/login" element={<Login />} />
          <Route path="/accept-invitation" element={<Invitation />} />
          <Route path="/status/:slug" element={<StatusPublic />} />
          <Route path="/*" element={<Protected />} />
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}
