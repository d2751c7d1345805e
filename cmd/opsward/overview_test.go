package main

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/asset"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/tenants"
)

// overviewFixture is the demonstration data plus a third customer, an
// organization under acme, and known monitors, results, incidents, alerts,
// plans and usage in each.
type overviewFixture struct {
	s     *authServer
	owner string // the provider owner's bearer
	plans map[string]string
	// customers are the customer tenants, by id.
	customers map[string]*ent.Tenant
	acme      tenants.DemoTenant
	globex    tenants.DemoTenant
}

const overviewQuery = `query($first: Int, $after: Cursor) { customerOverview(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { tenant { id name }
    monitors monitorsDown openIncidents slasAtRisk
    openAlerts { critical high medium low info }
    planUsage { planId planName monitorsUsed monitorsAllowed eventsToday eventBytesToday eventBytesAllowedPerDay } } } } }`

func seedOverview(t *testing.T) *overviewFixture {
	t.Helper()
	s := startAuthServer(t)
	m := s.m
	ctx := context.Background()
	pctx := tenants.Privileged(ctx, "test: overview data")
	f := &overviewFixture{s: s, plans: map[string]string{}, customers: map[string]*ent.Tenant{}}
	f.acme, f.globex = s.demo.Customers[0], s.demo.Customers[1]
	prov, err := m.Client.Tenant.Get(pctx, s.demo.Provider.ID)
	if err != nil {
		t.Fatal(err)
	}
	staff := tenants.NewContext(ctx, &tenants.Actor{Kind: tenants.ActorUser, ID: "usr_overviewtest",
		TenantID: prov.ID, TenantPath: prov.Path, Roles: []opsward.Role{opsward.RoleOwner}, Provider: true})
	initech, err := m.Tenants.CreateTenant(staff, tenants.TenantInput{ParentID: prov.ID, Slug: "initech", Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	org, err := m.Tenants.CreateTenant(staff, tenants.TenantInput{ParentID: f.acme.ID, Kind: tenant.KindOrganization, Slug: "acme-eu", Name: "Acme EU"})
	if err != nil {
		t.Fatal(err)
	}
	for id, plan := range map[string]string{f.acme.ID: billing.PlanProfessional, initech.ID: billing.PlanEnterprise} {
		if _, err := m.Billing.ChangePlan(pctx, id, plan); err != nil {
			t.Fatal(err)
		}
		f.plans[id] = plan
	}
	cs, err := m.Client.Tenant.Query().Where(tenant.KindEQ(tenant.KindCustomer)).All(pctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		f.customers[c.ID] = c
	}

	// Monitors: statuses, SLA targets and a month's results shaped so that
	// some SLAs are breached, some within the margin, some safe.
	now := time.Now().UTC()
	from := noc.SLAPeriodStart(now)
	w, err := m.Results.NewWriter(results.WriterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	type spec struct {
		tenantID string
		status   monitor.Status
		sla      float64 // 0: none
		down     int     // down results out of n (-1: no results)
		n        int     // results; 0 means 100
	}
	specs := []spec{
		{f.acme.ID, monitor.StatusUp, 99.9, 0, 0},          // safe
		{f.acme.ID, monitor.StatusDown, 99, 5, 0},          // 94.9%: breached
		{f.acme.ID, monitor.StatusUp, 0, 30, 0},            // no SLA: never at risk
		{org.ID, monitor.StatusDown, 95, 5, 0},             // 94.9%: breached; counts for acme
		{org.ID, monitor.StatusUp, 90, 1, 0},               // safe
		{f.globex.ID, monitor.StatusUp, 99, 9, 1000},       // 99.1%: met, but within the margin (under 99.2%)
		{f.globex.ID, monitor.StatusPaused, 99.5, 0, 0},    // safe
		{f.globex.ID, monitor.StatusDegraded, 99.9, 0, 0},  // degraded counts as up
		{initech.ID, monitor.StatusDown, 0, 0, 0},          // down, no SLA
		{initech.ID, monitor.StatusUnknown, 99.9, -1, 0},   // no results at all: not at risk
		{initech.ID, monitor.StatusUp, 97.5, 2, 0},         // 97.98%: met, but under the margin's 98%
		{initech.ID, monitor.StatusMaintenance, 100, 0, 0}, // 100% target, never down
	}
	assets := map[string]string{}
	for i, sp := range specs {
		if assets[sp.tenantID] == "" {
			a, err := m.Client.Asset.Create().SetTenantID(sp.tenantID).SetName("site").SetKind(asset.KindWebsite).Save(pctx)
			if err != nil {
				t.Fatal(err)
			}
			assets[sp.tenantID] = a.ID
		}
		mc := m.Client.Monitor.Create().SetTenantID(sp.tenantID).SetAssetID(assets[sp.tenantID]).SetName(fmt.Sprintf("check %02d", i)).
			SetKind(monitor.KindTCP).SetSettings("{}").SetIntervalSeconds(60).SetTimeoutMs(1000).SetPaused(true).SetStatus(sp.status)
		if sp.sla > 0 {
			mc.SetSLATarget(sp.sla)
		}
		mo, err := mc.Save(pctx)
		if err != nil {
			t.Fatal(err)
		}
		if sp.down < 0 {
			continue
		}
		// n results spread over the period so far, the down ones first;
		// the last in maintenance, which the uptime leaves out.
		n := cmp.Or(sp.n, 100)
		step := now.Sub(from) / time.Duration(n+2)
		for k := range n {
			st := probe.StatusUp
			switch {
			case k < sp.down:
				st = probe.StatusDown
			case sp.status == monitor.StatusDegraded && k%2 == 0:
				st = probe.StatusDegraded
			}
			r := results.Result{TenantID: sp.tenantID, MonitorID: mo.ID, CheckedAt: from.Add(time.Duration(k+1) * step).Truncate(time.Microsecond),
				Status: st, Latency: 20 * time.Millisecond, InMaintenance: k == n-1 && sp.down > 0}
			if err := w.Write(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Roll up what is complete, as the upkeep does: the figures then read
	// rollups for the whole hours and days and raw results for the rest.
	if err := m.Results.Rollup(pctx, from, now.Truncate(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// Incidents and alerts in every state.
	inc := []struct {
		tenantID string
		status   incident.Status
	}{{f.acme.ID, incident.StatusTriggered}, {f.acme.ID, incident.StatusResolved}, {org.ID, incident.StatusAcknowledged},
		{f.globex.ID, incident.StatusResolved}, {initech.ID, incident.StatusTriggered}, {initech.ID, incident.StatusTriggered}}
	for _, in := range inc {
		if err := m.Client.Incident.Create().SetTenantID(in.tenantID).SetTitle("outage").SetSeverity(incident.SeverityHigh).
			SetStatus(in.status).SetOpenedAt(now.Add(-time.Hour)).Exec(pctx); err != nil {
			t.Fatal(err)
		}
	}
	al := []struct {
		tenantID string
		sev      alert.Severity
		status   alert.Status
	}{{f.acme.ID, alert.SeverityCritical, alert.StatusNew}, {f.acme.ID, alert.SeverityCritical, alert.StatusAcknowledged},
		{f.acme.ID, alert.SeverityHigh, alert.StatusClosedBenign}, {org.ID, alert.SeverityLow, alert.StatusNew},
		{f.globex.ID, alert.SeverityMedium, alert.StatusNew}, {f.globex.ID, alert.SeverityInfo, alert.StatusNew},
		{f.globex.ID, alert.SeverityHigh, alert.StatusClosedTruePositive}, {initech.ID, alert.SeverityHigh, alert.StatusNew}}
	for i, a := range al {
		if err := m.Client.Alert.Create().SetTenantID(a.tenantID).SetSource(alert.SourceManual).SetTitle("alert").
			SetSeverity(a.sev).SetStatus(a.status).SetDedupKey(fmt.Sprintf("ov-%d", i)).SetFirstSeen(now).SetLastSeen(now).Exec(pctx); err != nil {
			t.Fatal(err)
		}
	}

	// Security events metered today, and one yesterday that does not count.
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var usage []billing.UsageEvent
	for i, u := range []struct {
		tenantID string
		n, bytes int64
		at       time.Time
	}{{f.acme.ID, 40, 4000, day}, {org.ID, 2, 300, now}, {f.globex.ID, 7, 700, now}, {f.globex.ID, 1000, 1e6, day.Add(-time.Minute)}} {
		usage = append(usage,
			billing.UsageEvent{TenantID: u.tenantID, Meter: billing.MeterSecurityEvents, Key: fmt.Sprintf("ov-e-%d", i), Quantity: u.n, At: u.at},
			billing.UsageEvent{TenantID: u.tenantID, Meter: billing.MeterSecurityBytes, Key: fmt.Sprintf("ov-b-%d", i), Quantity: u.bytes, At: u.at})
	}
	if _, err := m.Ledger.Usage().Record(pctx, usage); err != nil {
		t.Fatal(err)
	}
	owner := s.login(t, s.user(t, s.demo.Provider, "owner"), "")
	f.owner = "Bearer " + owner.AccessToken
	return f
}

// overviewRow is one row as the test expects or reads it.
type overviewRow struct {
	Name                                        string
	Monitors, Down, Incidents, AtRisk           int
	Critical, High, Medium, Low, Info           int
	PlanID                                      string
	MonitorsAllowed                             int
	EventsToday, BytesToday, BytesAllowedPerDay int64
}

// recompute works every figure out from the raw rows, on the privileged
// path, without the services' code.
func (f *overviewFixture) recompute(t *testing.T) map[string]overviewRow {
	t.Helper()
	m := f.s.m
	ctx := tenants.Privileged(context.Background(), "test: overview recomputation")
	ts, err := m.Client.Tenant.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A tenant belongs to the customer whose path prefixes its own.
	custOf := map[string]string{}
	for _, tn := range ts {
		for id, c := range f.customers {
			if strings.HasPrefix(tn.Path, c.Path) {
				custOf[tn.ID] = id
			}
		}
	}
	out := map[string]overviewRow{}
	for id, c := range f.customers {
		p, _ := billing.PlanByID(billing.DefaultPlan)
		if f.plans[id] != "" {
			p, _ = billing.PlanByID(f.plans[id])
		}
		out[id] = overviewRow{Name: c.Name, PlanID: p.ID, MonitorsAllowed: p.MaxMonitors, BytesAllowedPerDay: p.BytesPerDay}
	}
	edit := func(tenantID string, fn func(*overviewRow)) {
		c, ok := custOf[tenantID]
		if !ok {
			return
		}
		r := out[c]
		fn(&r)
		out[c] = r
	}
	mons, err := m.Client.Monitor.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	from := noc.SLAPeriodStart(now)
	type counts struct{ good, judged int64 }
	byMon := map[string]*counts{}
	rows, err := m.DB.QueryContext(ctx, m.DB.Q(`SELECT monitor_id, status, in_maintenance FROM check_results WHERE checked_at >= ? AND checked_at < ?`),
		m.DB.Time(from), m.DB.Time(now))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, st string
		var maint bool
		if err := rows.Scan(&id, &st, &maint); err != nil {
			t.Fatal(err)
		}
		c := byMon[id]
		if c == nil {
			c = &counts{}
			byMon[id] = c
		}
		if maint || (st != "up" && st != "degraded" && st != "down") {
			continue
		}
		c.judged++
		if st != "down" {
			c.good++
		}
	}
	rows.Close()
	for _, mo := range mons {
		edit(mo.TenantID, func(r *overviewRow) {
			r.Monitors++
			if mo.Status == monitor.StatusDown {
				r.Down++
			}
			if c := byMon[mo.ID]; mo.SLATarget != nil && c != nil && c.judged > 0 {
				target := *mo.SLATarget
				if 100*float64(c.good)/float64(c.judged) < target+0.2*(100-target)-1e-6 {
					r.AtRisk++
				}
			}
		})
	}
	incs, err := m.Client.Incident.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range incs {
		if in.Status != incident.StatusResolved {
			edit(in.TenantID, func(r *overviewRow) { r.Incidents++ })
		}
	}
	als, err := m.Client.Alert.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range als {
		if a.Status != alert.StatusNew && a.Status != alert.StatusAcknowledged {
			continue
		}
		edit(a.TenantID, func(r *overviewRow) {
			switch a.Severity {
			case alert.SeverityCritical:
				r.Critical++
			case alert.SeverityHigh:
				r.High++
			case alert.SeverityMedium:
				r.Medium++
			case alert.SeverityLow:
				r.Low++
			default:
				r.Info++
			}
		})
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	urows, err := m.DB.QueryContext(ctx, m.DB.Q(`SELECT tenant_id, meter, quantity FROM usage_events WHERE occurred_at >= ? AND occurred_at < ?`),
		m.DB.Time(day), m.DB.Time(day.AddDate(0, 0, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for urows.Next() {
		var id, meter string
		var q int64
		if err := urows.Scan(&id, &meter, &q); err != nil {
			t.Fatal(err)
		}
		edit(id, func(r *overviewRow) {
			switch billing.Meter(meter) {
			case billing.MeterSecurityEvents:
				r.EventsToday += q
			case billing.MeterSecurityBytes:
				r.BytesToday += q
			}
		})
	}
	urows.Close()
	return out
}

// read pages through customerOverview as auth (first rows a page) and
// returns the rows by tenant id.
func (f *overviewFixture) read(t *testing.T, auth, tenantID string, first int) (map[string]overviewRow, int) {
	t.Helper()
	out := map[string]overviewRow{}
	total := -1
	after := any(nil)
	for page := 0; ; page++ {
		h := map[string]string{"Authorization": auth}
		if tenantID != "" {
			h["X-Opsward-Tenant"] = tenantID
		}
		status, body := call(t, http.MethodPost, f.s.base+"/graphql",
			map[string]any{"query": overviewQuery, "variables": map[string]any{"first": first, "after": after}}, h)
		if status != http.StatusOK || body["errors"] != nil {
			t.Fatalf("customerOverview: %d %v", status, body["errors"])
		}
		conn := body["data"].(map[string]any)["customerOverview"].(map[string]any)
		total = int(conn["totalCount"].(float64))
		for _, e := range conn["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			tn := n["tenant"].(map[string]any)
			num := func(m map[string]any, k string) int64 { v, _ := m[k].(float64); return int64(v) }
			a := n["openAlerts"].(map[string]any)
			r := overviewRow{Name: tn["name"].(string), Monitors: int(num(n, "monitors")), Down: int(num(n, "monitorsDown")),
				Incidents: int(num(n, "openIncidents")), AtRisk: int(num(n, "slasAtRisk")),
				Critical: int(num(a, "critical")), High: int(num(a, "high")), Medium: int(num(a, "medium")), Low: int(num(a, "low")), Info: int(num(a, "info"))}
			if p, ok := n["planUsage"].(map[string]any); ok {
				r.PlanID, r.MonitorsAllowed = p["planId"].(string), int(num(p, "monitorsAllowed"))
				r.EventsToday, r.BytesToday, r.BytesAllowedPerDay = num(p, "eventsToday"), num(p, "eventBytesToday"), num(p, "eventBytesAllowedPerDay")
				if int(num(p, "monitorsUsed")) != r.Monitors {
					t.Errorf("%s: monitorsUsed %v, monitors %d", r.Name, p["monitorsUsed"], r.Monitors)
				}
			}
			if _, dup := out[tn["id"].(string)]; dup {
				t.Errorf("page %d repeats %s", page, r.Name)
			}
			out[tn["id"].(string)] = r
		}
		pi := conn["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			return out, total
		}
		after = pi["endCursor"]
		if page > 50 {
			t.Fatal("customerOverview pages without end")
		}
	}
}

func TestCustomerOverviewFigures(t *testing.T) {
	t.Parallel()
	f := seedOverview(t)
	want := f.recompute(t)
	// The fixture is what it says: every kind of figure is non-zero
	// somewhere, so the comparison below proves something.
	var sum overviewRow
	for _, r := range want {
		sum.Monitors += r.Monitors
		sum.Down += r.Down
		sum.Incidents += r.Incidents
		sum.AtRisk += r.AtRisk
		sum.Critical += r.Critical
		sum.Info += r.Info
		sum.EventsToday += r.EventsToday
	}
	if sum.Down == 0 || sum.Incidents == 0 || sum.AtRisk < 4 || sum.Critical == 0 || sum.Info == 0 || sum.EventsToday == 0 {
		t.Fatalf("the fixture has too little in it: %+v", sum)
	}
	if acme := want[f.acme.ID]; acme.AtRisk < 2 || acme.Incidents < 2 || acme.Low < 1 || acme.EventsToday < 42 {
		t.Fatalf("acme's recomputed row (organization included) is not the fixture's: %+v", acme)
	}
	for _, first := range []int{100, 1} {
		got, total := f.read(t, f.owner, "", first)
		if total != len(want) || len(got) != len(want) {
			t.Fatalf("first %d: %d rows, totalCount %d, want %d", first, len(got), total, len(want))
		}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("first %d, %s:\n got %+v\nwant %+v", first, w.Name, got[id], w)
			}
		}
	}
	// The rows come by name.
	status, body := call(t, http.MethodPost, f.s.base+"/graphql", map[string]any{"query": overviewQuery}, map[string]string{"Authorization": f.owner})
	if status != http.StatusOK {
		t.Fatal(status, body)
	}
	var names []string
	for _, e := range body["data"].(map[string]any)["customerOverview"].(map[string]any)["edges"].([]any) {
		names = append(names, e.(map[string]any)["node"].(map[string]any)["tenant"].(map[string]any)["name"].(string))
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("rows not by name: %v", names)
	}
	// A page above the limit is refused, naming the argument.
	_, body = call(t, http.MethodPost, f.s.base+"/graphql", map[string]any{"query": overviewQuery, "variables": map[string]any{"first": 101}},
		map[string]string{"Authorization": f.owner})
	if errs, _ := body["errors"].([]any); len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), "first") {
		t.Errorf("first: 101 answered %v", body)
	}
}
