package response_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/soc/response"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
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

type backend struct {
	name   string
	config func(t *testing.T) platform.Config
}

var backends = []backend{
	{"sqlite", func(t *testing.T) platform.Config {
		return platform.Config{DataDir: t.TempDir()}.WithDefaults()
	}},
	{"postgres", func(t *testing.T) platform.Config {
		u := testenv.PostgresDB(t)
		return platform.Config{DatabaseURL: u, MigrateDatabaseURL: u}.WithDefaults()
	}},
}

// eachBackend runs fn on a fresh env of every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, b.config(t)))
		})
	}
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

func newEnv(t *testing.T, cfg platform.Config) *env {
	t.Helper()
	ctx := context.Background()
	mdb, err := platform.OpenMigrationDatabase(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrations.New(mdb.DB, mdb.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	mdb.Close()
	db, err := platform.OpenDatabase(ctx, cfg, tenants.SessionSettings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d := dialect.SQLite
	if db.Dialect == platform.Postgres {
		d = dialect.Postgres
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(d, db.DB)))
	rdb, prefix := testenv.Redis(t)
	keys, err := authn.GenerateKeyRing(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := authn.GenerateSealKey()
	sealer, err := authn.NewSealer(authn.SealerConfig{Keys: map[string]string{"t1": sk}, Active: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, client: client, now: time.Now().UTC().Truncate(time.Second), cases: &fakeCases{}}
	var bill *billing.Service
	hook := func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error {
		return bill.TenantCreatedHook()(ctx, tx, t)
	}
	e.tenants, err = tenants.New(tenants.Config{Argon2: authn.TestArgon2Params}, tenants.Deps{
		Client: client, Dialect: d, Redis: rdb, RedisPrefix: prefix, Keys: keys, Sealer: sealer,
		Hooks: tenants.Hooks{TenantCreated: hook},
	})
	if err != nil {
		t.Fatal(err)
	}
	bill = billing.New(client, e.tenants, nil)
	dc, err := dispatch.NewClient(rdb, dispatch.Config{Prefix: prefix + "dispatch"})
	if err != nil {
		t.Fatal(err)
	}
	guard := &egress.Guard{Allow: loopback}
	e.svc, err = response.New(response.Deps{
		Client: client, Tenants: e.tenants, Dispatch: dc, HTTP: egress.NewHTTPClient(guard, 5*time.Second),
		Sealer: sealer, Cases: e.cases, Now: e.clock, PublicURL: "https://soc.example.com",
	})
	if err != nil {
		t.Fatal(err)
	}

	pctx := tenants.Privileged(ctx, "test: create the provider")
	tx, err := client.Tx(pctx)
	if err != nil {
		t.Fatal(err)
	}
	id := opsward.NewID(opsward.PrefixTenant)
	e.provider, err = tx.Tenant.Create().SetID(id).SetKind(tenant.KindProvider).
		SetSlug("msp").SetName("The MSP").SetPath("/" + id + "/").Save(pctx)
	if err == nil {
		err = hook(pctx, tx, e.provider)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		t.Fatalf("create provider: %v", err)
	}
	msp := as(e.provider, opsward.RoleAdmin)
	for _, c := range []struct {
		slug string
		to   **ent.Tenant
	}{{"acme", &e.acme}, {"globex", &e.globex}} {
		tn, err := e.tenants.CreateTenant(msp, tenants.TenantInput{ParentID: e.provider.ID, Slug: c.slug, Name: c.slug})
		if err != nil {
			t.Fatal(err)
		}
		*c.to = tn
	}
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
func as(tn *ent.Tenant, roles ...opsward.Role) context.Context {
	return tenants.NewContext(context.Background(), &tenants.Actor{
		Kind: tenants.ActorUser, ID: opsward.NewID(opsward.PrefixUser),
		TenantID: tn.ID, TenantPath: tn.Path, Roles: roles,
		Provider: tn.Kind == tenant.KindProvider,
	})
}

var system = tenants.Privileged(context.Background(), "test: look behind the service")

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
