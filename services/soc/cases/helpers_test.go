package cases_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/caseentry"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/services/soc/cases"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// env is one backend with a provider and two customers, the cases service
// wired as the platform wires it, the event store, and a clock the test
// moves.
type env struct {
	db      *platform.Database
	client  *ent.Client
	tenants *tenants.Service
	events  *events.Store
	cases   *cases.Service

	provider, acme, globex *ent.Tenant

	mu      sync.Mutex
	now     time.Time
	changes []string // "tenant/case" from OnChange
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
	e := &env{db: db, client: client, now: time.Now().UTC().Truncate(time.Second)}
	e.tenants, err = tenants.New(tenants.Config{Argon2: authn.TestArgon2Params}, tenants.Deps{
		Client: client, Dialect: d, Redis: rdb, RedisPrefix: prefix, Keys: keys, Sealer: sealer,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.events = events.New(db, nil)
	e.cases, err = cases.New(cases.Deps{Client: client, Tenants: e.tenants, Events: e.events, Now: e.clock,
		OnChange: func(_ context.Context, tenantID, caseID string) {
			e.mu.Lock()
			e.changes = append(e.changes, tenantID+"/"+caseID)
			e.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}

	pctx := tenants.Privileged(ctx, "test: create the provider")
	id := opsward.NewID(opsward.PrefixTenant)
	e.provider, err = client.Tenant.Create().SetID(id).SetKind(tenant.KindProvider).
		SetSlug("msp").SetName("The MSP").SetPath("/" + id + "/").Save(pctx)
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

func (e *env) changeCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.changes)
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

// alert stores an alert of tn directly, as detection would.
func (e *env) alert(t *testing.T, tn *ent.Tenant, title string, sev alert.Severity, firstSeen time.Time, eventIDs ...string) *ent.Alert {
	t.Helper()
	a, err := e.client.Alert.Create().SetTenantID(tn.ID).SetSource(alert.SourceSigma).SetTitle(title).SetSeverity(sev).
		SetDedupKey(opsward.NewID("dk")).SetFirstSeen(firstSeen).SetLastSeen(firstSeen.Add(time.Minute)).
		SetEventIds(eventIDs).Save(tenants.Privileged(context.Background(), "test"))
	if err != nil {
		t.Fatalf("create alert: %v", err)
	}
	return a
}

// member makes a user who is a member of tn.
func (e *env) member(t *testing.T, tn *ent.Tenant) string {
	t.Helper()
	u, err := e.client.User.Create().SetEmail(opsward.NewID("u") + "@example.com").SetName("Analyst").Save(system)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Membership.Create().SetTenantID(tn.ID).SetUserID(u.ID).SetRole(opsward.RoleAdmin).Save(system); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// event stores a security event of tn that happened at at.
func (e *env) event(t *testing.T, tn *ent.Tenant, at time.Time, msg string) string {
	t.Helper()
	ev, err := events.FromMap(tn.ID, "test", at, map[string]any{
		"@timestamp": at.Format(time.RFC3339Nano), "message": msg, "host.name": "web-1", "event.action": "logon",
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.events.NewWriter(events.WriterConfig{FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

func (e *env) timeline(t *testing.T, caseID string) []*ent.CaseEntry {
	t.Helper()
	es, err := e.client.CaseEntry.Query().Where(caseentry.CaseID(caseID)).
		Order(ent.Asc(caseentry.FieldAt), ent.Asc(caseentry.FieldID)).All(system)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func (e *env) kinds(t *testing.T, caseID string, kind caseentry.Kind) []*ent.CaseEntry {
	t.Helper()
	var out []*ent.CaseEntry
	for _, en := range e.timeline(t, caseID) {
		if en.Kind == kind {
			out = append(out, en)
		}
	}
	return out
}

// audits counts a tenant's audit entries of action on target.
func (e *env) audits(t *testing.T, tenantID, action, target string) int {
	t.Helper()
	n, err := e.client.AuditEntry.Query().Where(auditentry.TenantID(tenantID), auditentry.Action(action),
		auditentry.TargetID(target)).Count(system)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := opsward.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

// wantField checks that err is a user mistake naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one on %s", field)
	}
	if got := opsward.ErrorField(err); got != field {
		t.Fatalf("error %v names field %q, want %q", err, got, field)
	}
	if c := opsward.ErrorCode(err); c != opsward.EINVALID && c != opsward.ECONFLICT && c != opsward.ELIMIT {
		t.Fatalf("error %v has code %q, not a user mistake", err, c)
	}
}

func seconds(d *time.Duration) float64 {
	if d == nil {
		return -1
	}
	return d.Seconds()
}

// tenantsActor returns the acting user's id in ctx.
func tenantsActor(ctx context.Context) (string, bool) {
	a, ok := tenants.FromContext(ctx)
	if !ok {
		return "", false
	}
	return a.ID, true
}
