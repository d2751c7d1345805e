package monitoring_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/monitoring"
)

// A tenant's cap on checks in flight follows its monitors: timeout over
// interval summed, with a quarter of headroom, never below the plan's.
func TestCapFollowsDemand(t *testing.T) {
	t.Parallel()
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		a := e.asset(t, ctx, "branch", "high")
		dead := closedPort(t)
		timeout := 2 * time.Minute
		var ms []*monitoring.NewMonitor
		for range 40 { // essentials: 5 min at the shortest
			ms = append(ms, e.monitor(t, ctx, a, "tcp", tcpSettings(dead), 1, func(in *monitoring.MonitorInput) { in.Timeout = &timeout }))
		}
		capOf := func(tenantID string) int {
			t.Helper()
			p, err := e.noc.Dispatch.TenantPolicy(context.Background(), tenantID)
			if err != nil {
				t.Fatal(err)
			}
			return p.MaxConcurrency
		}
		// 40 × 120 s / 300 s = 16 at worst; with headroom 20.
		if c := capOf(e.acme.ID); c != 20 {
			t.Errorf("acme's cap %d, want 20", c)
		}
		plan := func(string) (billing.Plan, error) { p, _ := billing.PlanByID(billing.PlanEssentials); return p, nil }
		d, err := e.noc.Demand(context.Background(), plan)
		if err != nil || d[e.acme.ID] != 16 || d[e.globex.ID] != 0 {
			t.Errorf("demand %v, %v", d, err)
		}
		for _, m := range ms[:6] {
			if _, err := e.noc.DeleteMonitor(ctx, m.Monitor.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.noc.SetPaused(ctx, ms[6].Monitor.ID, true); err != nil {
			t.Fatal(err)
		}
		// 33 running: 13.2 at worst, 16.5 with headroom.
		if c := capOf(e.acme.ID); c != 17 {
			t.Errorf("acme's cap after deletes and a pause %d, want 17", c)
		}
		p, _ := billing.PlanByID(billing.PlanEssentials)
		if c := monitoring.InFlightCap(p, 0.1); c != p.MaxConcurrency {
			t.Errorf("a small demand gets cap %d, want the plan's %d", c, p.MaxConcurrency)
		}
	})
}

// Checks that open incidents at once, more of them than the database
// pool has connections, all finish: opening an incident reads what it
// needs through its own transaction, never through a second connection
// (which deadlocked once every connection was held by such a
// transaction).
func TestIncidentsOpenedAtOnceWithASmallPool(t *testing.T) {
	t.Parallel()
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		dead := closedPort(t)
		var ms []*monitoring.NewMonitor
		for i := range 6 {
			a := e.asset(t, ctx, fmt.Sprintf("host %d", i), "high")
			ms = append(ms, e.monitor(t, ctx, a, "tcp", tcpSettings(dead), 1))
		}
		e.db.DB.SetMaxOpenConns(2)
		defer e.db.DB.SetMaxOpenConns(20)
		wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		errs := make(chan error, len(ms))
		for _, m := range ms {
			go func() {
				job := &dispatch.Job[monitoring.CheckArgs]{JobRow: &dispatch.JobRow{ID: opsward.NewID(opsward.PrefixJob), TenantID: m.Monitor.TenantID,
					Kind: "noc.check"}, Args: monitoring.CheckArgs{MonitorID: m.Monitor.ID}}
				errs <- e.noc.Check(wctx, job)
			}()
		}
		for range ms {
			if err := <-errs; err != nil {
				t.Errorf("check: %v", err)
			}
		}
		n, err := e.client.Incident.Query().Count(system)
		if err != nil || n != len(ms) {
			t.Errorf("%d incidents, want %d: %v", n, len(ms), err)
		}
	})
}

// A worker that starts with nothing cached reads a tenant's monitors in
// one query on its first check, not one row per check.
func TestAColdWorkerReadsATenantAtOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		a := e.asset(t, ctx, "branch", "high")
		dead := closedPort(t)
		var ms []*ent.Monitor
		for range 20 {
			ms = append(ms, e.monitor(t, ctx, a, "tcp", tcpSettings(dead), 5).Monitor)
		}
		cold, err := monitoring.New(e.deps)
		if err != nil {
			t.Fatal(err)
		}
		defer cold.Close()
		var reads atomic.Int64
		e.client.Monitor.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				reads.Add(1)
				return next.Query(ctx, q)
			})
		}))
		for _, m := range ms {
			job := &dispatch.Job[monitoring.CheckArgs]{JobRow: &dispatch.JobRow{ID: opsward.NewID(opsward.PrefixJob), TenantID: m.TenantID, Kind: "noc.check"},
				Args: monitoring.CheckArgs{MonitorID: m.ID}}
			if err := cold.Check(context.Background(), job); err != nil {
				t.Fatal(err)
			}
		}
		if n := reads.Load(); n != 1 {
			t.Fatalf("20 checks on a cold worker read monitors %d times, want 1", n)
		}
		cold.FlushStates(context.Background())
		for _, m := range ms {
			got, err := e.client.Monitor.Get(system, m.ID)
			if err != nil || got.LastCheckedAt == nil || got.Version != m.Version+1 {
				t.Fatalf("monitor %s after its check: %+v, %v", m.ID, got, err)
			}
		}
	})
}
