package main

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/tenants"
)

// The demonstration is live: seeded customers' monitors run on their own
// against the target the binary serves, change state when it goes down
// (opening an incident), and events arriving for the customers raise
// alerts through ingest, with no one touching anything.
func TestLiveDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a scheduled check (30 s)")
	}
	t.Parallel()
	cfg := testConfig(t)
	// As the README has it: `seed demo`, then `serve`, whose demo mode
	// (auto) finds the demonstration data.
	cfg.Demo, cfg.DemoAddr = "auto", "127.0.0.1:"+freePort(t)
	ctx := context.Background()
	tool := NewMain(cfg, Roles{}, io.Discard, testLogWriter{t})
	if err := tool.Open(ctx); err != nil {
		t.Fatal(err)
	}
	seedMu.Lock()
	demo, err := tool.seedDemo(ctx)
	seedMu.Unlock()
	if cerr := tool.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	m := NewMain(cfg, AllRoles, io.Discard, testLogWriter{t})
	var down atomic.Bool
	m.demoDown = func(time.Time) bool { return down.Load() }
	if err := m.Open(ctx); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if !m.demoOn {
		t.Fatal("demo mode (auto) did not find the demonstration data")
	}
	pctx := tenants.Privileged(ctx, "test")
	cust := demo.Customers[0].ID
	shop := func() *monitorState {
		mo, err := m.Client.Monitor.Query().Where(monitor.TenantID(cust), monitor.Name("shop front page")).Only(pctx)
		if err != nil {
			t.Fatal(err)
		}
		return &monitorState{id: mo.ID, status: string(mo.Status), interval: mo.IntervalSeconds}
	}
	if s := shop(); s.interval > 30 {
		t.Fatalf("the demonstration monitor checks every %d s; a live demo needs 30 s or less", s.interval)
	}
	// The monitor runs on its own: up while the site answers.
	eventually(t, 45*time.Second, "the shop monitor to be up", func() bool { return shop().status == "up" })
	// The site goes down: the next scheduled check (30 s) marks the
	// monitor down and opens an incident for it.
	down.Store(true)
	eventually(t, 45*time.Second, "the shop monitor to go down", func() bool { return shop().status == "down" })
	id := shop().id
	eventually(t, 10*time.Second, "an incident for the monitor", func() bool {
		n, err := m.Client.Incident.Query().Where(incident.MonitorID(id), incident.StatusNEQ(incident.StatusResolved)).Count(pctx)
		return err == nil && n == 1
	})
	// Alerts: an event for each customer within seconds, through ingest.
	eventually(t, 30*time.Second, "an alert raised from a demonstration event", func() bool {
		n, err := m.Client.Alert.Query().Where(alert.TenantID(cust), alert.DedupKeyContains("web-")).Count(pctx)
		return err == nil && n > 0
	})
	eventually(t, 20*time.Second, "a signed webhook for the incident at the demo receiver", func() bool { return m.demoHooks.Load() > 0 })
	// The target is the only loopback endpoint egress opened.
	res, err := http.Get("http://" + m.demoListener.Addr().String() + "/shop")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the site while down answered %d", res.StatusCode)
	}
	if err := m.Guard.Check(netip.MustParseAddr("127.0.0.1")); err == nil {
		t.Error("demo mode opened all of loopback, not only its target")
	}
}

type monitorState struct {
	id, status string
	interval   int
}
