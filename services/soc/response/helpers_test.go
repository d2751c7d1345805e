package response_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/soc/response"
	"github.com/opsward/opsward/tenants"
)

// env is one backend with a provider and two customers, the response
// service wired as the platform wires it (real Redis for dispatch, the
// egress guard allowing loopback for the webhook step), a fake case
// opener and a clock the test moves.
type env struct {
	db      *platform.Database
	client  *ent.Client
	tenants *tenants.Service
	svc     *response.Service
	cases   *fakeCases

	provider, acme, globex *ent.Tenant

	mu  sync.Mutex
	now time.Time
}

// eachBackend runs fn on a fresh env of every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) { fn(t, newEnv(t, b)) })
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// fakeCases opens cases by recording them.
type fakeCases struct {
	mu     sync.Mutex
	opened map[string]string // alert id → title
}

func (f *fakeCases) OpenFromAlert(_ context.Context, alertID, title string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opened == nil {
		f.opened = map[string]string{}
	}
	f.opened[alertID] = title
	return "cas_" + alertID, nil
}

func newEnv(t *testing.T, b testenv.Backend) *env {
	t.Helper()
	var bill *billing.Service
	p := testenv.NewPlatform(t, b, testenv.PlatformOptions{
		TenantCreated: func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error {
			return bill.TenantCreatedHook()(ctx, tx, t)
		},
		Services: func(p *testenv.Platform) { bill = billing.New(p.Client, p.Tenants, nil) },
	})
	e := &env{db: p.App, client: p.Client, tenants: p.Tenants, provider: p.Provider,
		now: time.Now().UTC().Truncate(time.Second), cases: &fakeCases{}}
	dc, err := dispatch.NewClient(p.Redis, dispatch.Config{Prefix: p.RedisPrefix + "dispatch"})
	if err != nil {
		t.Fatal(err)
	}
	guard := &egress.Guard{Allow: loopback}
	e.svc, err = response.New(response.Deps{
		Client: p.Client, Tenants: p.Tenants, Dispatch: dc, HTTP: egress.NewHTTPClient(guard, 5*time.Second),
		Sealer: p.Sealer, Cases: e.cases, Now: e.clock, PublicURL: "https://soc.example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
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

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := opsward.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != field {
		t.Fatalf("error %v (code %q) names field %q, want invalid %q", err, opsward.ErrorCode(err), opsward.ErrorField(err), field)
	}
}

func (e *env) list(t *testing.T, ctx context.Context, name, kind string) *response.NewList {
	t.Helper()
	nl, err := e.svc.CreateList(ctx, response.ListInput{Name: name, Kind: kind})
	if err != nil {
		t.Fatalf("create list %s: %v", name, err)
	}
	return nl
}

// channel adds a webhook notification channel row for tenant tn (the NOC
// keeps channels; the response service only names them).
func (e *env) channel(t *testing.T, tn *ent.Tenant) *ent.NotificationChannel {
	t.Helper()
	ch, err := e.client.NotificationChannel.Create().SetTenantID(tn.ID).SetName("soc hook").
		SetKind("webhook").SetConfig([]byte(`{"url":"https://hooks.example.com/x"}`)).Save(system)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// raise stores an alert of tn and tells the playbooks inside the same
// transaction, as the ingest pipeline does.
func (e *env) raise(t *testing.T, tn *ent.Tenant, sev alert.Severity, src alert.Source, title string, detail map[string]any) *ent.Alert {
	t.Helper()
	ctx := tenants.NewContext(context.Background(), &tenants.Actor{Kind: tenants.ActorSystem, ID: "soc", TenantID: tn.ID, TenantPath: tn.Path})
	b, _ := json.Marshal(detail)
	var a *ent.Alert
	err := tenants.WithTx(ctx, e.client, func(tx *ent.Tx) error {
		var err error
		a, err = tx.Alert.Create().SetTenantID(tn.ID).SetSource(src).SetTitle(title).SetSeverity(sev).
			SetRuleID("rule-1").SetTags([]string{"attack.t1059"}).SetDedupKey(opsward.NewID("k")).
			SetFirstSeen(e.clock()).SetLastSeen(e.clock()).SetDetail(b).Save(ctx)
		if err != nil {
			return err
		}
		return e.svc.OnAlert(ctx, tx, a)
	})
	if err != nil {
		t.Fatalf("raise alert: %v", err)
	}
	return a
}

// outbox lists the jobs of kind waiting in the outbox with their payloads.
func (e *env) outbox(t *testing.T, kind string) []string {
	t.Helper()
	rows, err := e.db.QueryContext(system, `SELECT payload FROM dispatch_outbox WHERE kind = $1 ORDER BY created_at_ms, id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// runJobs decodes the playbook jobs in the outbox that concern alert a.
func (e *env) runJobs(t *testing.T, a *ent.Alert) []*dispatch.Job[response.PlaybookRunArgs] {
	t.Helper()
	var out []*dispatch.Job[response.PlaybookRunArgs]
	for _, p := range e.outbox(t, response.PlaybookRunArgs{}.Kind()) {
		var args response.PlaybookRunArgs
		if err := json.Unmarshal([]byte(p), &args); err != nil {
			t.Fatal(err)
		}
		if args.AlertID != a.ID {
			continue
		}
		out = append(out, &dispatch.Job[response.PlaybookRunArgs]{JobRow: &dispatch.JobRow{ID: opsward.NewID(opsward.PrefixJob),
			TenantID: a.TenantID, Kind: args.Kind(), Attempt: 1, MaxAttempts: 5}, Args: args})
	}
	return out
}
