package monitoring_test

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/webhook"
	"github.com/opsward/opsward/tenants"
)

// env is one backend with a provider and two customers, the NOC service
// wired as the platform wires it (real Redis for dispatch), and a clock
// the test moves.
type env struct {
	db      *platform.Database
	client  *ent.Client
	tenants *tenants.Service
	bill    *billing.Service
	noc     *monitoring.Service
	results *results.Store
	writer  *results.Writer
	guard   *egress.Guard // what monitors may reach; a test may narrow it
	deps    monitoring.Deps

	provider, acme, globex *ent.Tenant

	mu  sync.Mutex
	now time.Time
}

// eachBackend runs fn on a fresh env of every backend; allow lists what
// the egress guard lets monitors reach.
func eachBackend(t *testing.T, allow []netip.Prefix, fn func(t *testing.T, e *env)) {
	t.Helper()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) { fn(t, newEnv(t, b, allow)) })
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func newEnv(t *testing.T, b testenv.Backend, allow []netip.Prefix) *env {
	t.Helper()
	e := &env{now: time.Now().UTC().Truncate(time.Second)}
	p := testenv.NewPlatform(t, b, testenv.PlatformOptions{
		TenantCreated: func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error {
			return e.bill.TenantCreatedHook()(ctx, tx, t)
		},
		Services: func(p *testenv.Platform) { e.bill = billing.New(p.Client, p.Tenants, nil) },
	})
	e.db, e.client, e.tenants, e.provider = p.App, p.Client, p.Tenants, p.Provider
	dc, err := dispatch.NewClient(p.Redis, dispatch.Config{Prefix: p.RedisPrefix + "dispatch"})
	if err != nil {
		t.Fatal(err)
	}
	guard := &egress.Guard{Allow: allow}
	e.guard = guard
	channels := notify.NewRegistry(notify.Deps{HTTP: egress.NewHTTPClient(guard, 5*time.Second), Dial: guard})
	webhook.Register(channels)
	e.results = results.New(p.App, nil)
	e.writer, err = e.results.NewWriter(results.WriterConfig{FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.writer.Close(context.Background()) })
	t.Cleanup(func() { e.noc.Close() })
	e.deps = monitoring.Deps{
		Client: p.Client, DB: p.App, Tenants: p.Tenants, Billing: e.bill, Dispatch: dc,
		Probes: probe.NewRegistry(probe.Deps{Guard: guard}), ResultStore: e.results, Writer: e.writer,
		Channels: channels, Sealer: p.Sealer, PublicURL: "https://noc.example.com",
		Now: e.clock,
	}
	e.noc, err = monitoring.New(e.deps)
	if err != nil {
		t.Fatal(err)
	}
	e.bill.SetMonitorCounter(e.noc.CountMonitors)
	e.acme = p.Customer(t, p.Provider, "acme")
	e.globex = p.Customer(t, p.Provider, "globex")
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// as is a user acting on tenant tn with roles.
var as = testenv.As

var system = testenv.System("test: look behind the service")

func (e *env) asset(t *testing.T, ctx context.Context, name, criticality string) *ent.Asset {
	t.Helper()
	kind := "host"
	a, err := e.noc.CreateAsset(ctx, monitoring.AssetInput{Name: &name, Kind: &kind, Criticality: &criticality})
	if err != nil {
		t.Fatalf("create asset %s: %v", name, err)
	}
	return a
}

// monitor makes a monitor of kind with settings on asset a, failing after
// failures results, at the plan's shortest interval.
func (e *env) monitor(t *testing.T, ctx context.Context, a *ent.Asset, kind, settings string, failures int, mut ...func(*monitoring.MonitorInput)) *monitoring.NewMonitor {
	t.Helper()
	name := kind + " of " + a.Name
	interval := 5 * time.Minute
	in := monitoring.MonitorInput{AssetID: a.ID, Name: &name, Kind: &kind, Settings: json.RawMessage(settings),
		Interval: &interval, FailuresBeforeDown: &failures}
	for _, f := range mut {
		f(&in)
	}
	m, err := e.noc.CreateMonitor(ctx, in)
	if err != nil {
		t.Fatalf("create monitor %s: %v", name, err)
	}
	return m
}

// check runs one check of a monitor as a worker would, at the env's
// clock, and returns the monitor after it.
func (e *env) check(t *testing.T, m *ent.Monitor) *ent.Monitor {
	t.Helper()
	job := &dispatch.Job[monitoring.CheckArgs]{JobRow: &dispatch.JobRow{ID: opsward.NewID(opsward.PrefixJob), TenantID: m.TenantID, Kind: "noc.check"},
		Args: monitoring.CheckArgs{MonitorID: m.ID}}
	if err := e.noc.Check(context.Background(), job); err != nil {
		t.Fatalf("check %s: %v", m.ID, err)
	}
	e.noc.FlushStates(context.Background())
	got, err := e.client.Monitor.Get(system, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The state is stored, batched or not, and reads back as written.
	if got.LastCheckedAt == nil || !got.LastCheckedAt.Equal(e.clock()) || got.Version <= m.Version {
		t.Fatalf("stored state: checked at %v (want %v), version %d after %d", got.LastCheckedAt, e.clock(), got.Version, m.Version)
	}
	return got
}

// deliveries lists the notify jobs waiting in the outbox for an incident.
func (e *env) deliveries(t *testing.T, incidentID string) []notify.Delivery {
	t.Helper()
	rows, err := e.db.QueryContext(system, `SELECT payload FROM dispatch_outbox WHERE kind = 'notify.deliver'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []notify.Delivery
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		var d notify.Delivery
		if err := json.Unmarshal([]byte(p), &d); err != nil {
			t.Fatal(err)
		}
		if d.Message.Ref.ID == incidentID {
			out = append(out, d)
		}
	}
	return out
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := opsward.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func timelineKinds(t *testing.T, e *env, incidentID string) []string {
	t.Helper()
	inc, err := e.client.Incident.Get(system, incidentID)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := inc.QueryTimeline().All(system)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		out = append(out, string(en.Kind))
	}
	return out
}

func has(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func escalateJob(inc *ent.Incident) *dispatch.Job[monitoring.EscalateArgs] {
	return &dispatch.Job[monitoring.EscalateArgs]{JobRow: &dispatch.JobRow{ID: opsward.NewID(opsward.PrefixJob), TenantID: inc.TenantID, Kind: "noc.escalate"},
		Args: monitoring.EscalateArgs{IncidentID: inc.ID}}
}
