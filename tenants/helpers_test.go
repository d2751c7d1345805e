package tenants_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// Cheap argon2 parameters: the suite logs in often, and what it proves
// does not depend on the cost of a hash.
var testArgon2 = authn.Argon2Params{Memory: 64, Time: 1, Threads: 1}

// clock is the service's time, moved forward by tests.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// statusEvent is one call of the StatusChanged hook.
type statusEvent struct{ tenantID, status string }

// backend is one database and Redis with a tenants service on top: the
// application pool (row-level security live on Postgres), and the schema
// owner's connection that ran the migrations (a superuser on Postgres).
type backend struct {
	name    string
	dialect string
	svc     *tenants.Service
	client  *ent.Client
	app     *platform.Database // the application's pool
	owner   *sql.DB            // the schema owner: migrations, tampering on purpose
	clock   *clock

	mu       sync.Mutex
	statuses []statusEvent
}

func (b *backend) statusEvents() []statusEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]statusEvent(nil), b.statuses...)
}

type backendOption func(*tenants.Config)

func withThrottle(tc authn.ThrottleConfig) backendOption {
	return func(c *tenants.Config) { c.Throttle = tc }
}

// eachBackend runs fn as a parallel subtest on SQLite and on Postgres
// (skipped when no Postgres server answers, unless servers are required).
func eachBackend(t *testing.T, fn func(t *testing.T, b *backend), opts ...backendOption) {
	t.Helper()
	for _, name := range []string{platform.SQLite, platform.Postgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newBackend(t, name, opts...))
		})
	}
}

// postgresOnly runs fn on Postgres alone.
func postgresOnly(t *testing.T, fn func(t *testing.T, b *backend), opts ...backendOption) {
	t.Helper()
	t.Run(platform.Postgres, func(t *testing.T) {
		t.Parallel()
		fn(t, newBackend(t, platform.Postgres, opts...))
	})
}

func newBackend(t *testing.T, name string, opts ...backendOption) *backend {
	t.Helper()
	ctx := context.Background()
	cfg := platform.Config{DataDir: t.TempDir()}
	var (
		rdb    redis.UniversalClient
		prefix string
	)
	if name == platform.Postgres {
		u := testenv.PostgresDB(t)
		cfg.DatabaseURL, cfg.MigrateDatabaseURL = u, u
		var c *redis.Client
		c, prefix = testenv.Redis(t)
		rdb = c
	} else {
		mr := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { c.Close() })
		rdb, prefix = c, "test:"
	}
	owner, err := platform.OpenMigrationDatabase(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	m, err := migrations.New(owner.DB, owner.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	app, err := platform.OpenDatabase(ctx, cfg, tenants.SessionSettings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	d := dialect.SQLite
	if app.Dialect == platform.Postgres {
		d = dialect.Postgres
	}
	client := ent.NewClient(ent.Driver(tenants.Driver(d, app.DB)))
	keys, err := authn.GenerateKeyRing(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: name, dialect: app.Dialect, client: client, app: app, owner: owner.DB, clock: &clock{}}
	tc := tenants.Config{Argon2: testArgon2}
	for _, o := range opts {
		o(&tc)
	}
	sealKey, err := authn.GenerateSealKey()
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := authn.NewSealer(authn.SealerConfig{Keys: map[string]string{"t1": sealKey}, Active: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	b.svc, err = tenants.New(tc, tenants.Deps{
		Client: client, Dialect: d, Redis: rdb, RedisPrefix: prefix, Keys: keys, Now: b.clock.now, Sealer: sealer,
		Hooks: tenants.Hooks{StatusChanged: func(_ context.Context, id, status string) {
			b.mu.Lock()
			b.statuses = append(b.statuses, statusEvent{id, status})
			b.mu.Unlock()
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// person is a user of the fixture with the password to log in.
type person struct {
	id, email, password string
}

// world is the fixture every case starts from:
//
//	provider P (owner pOwner)
//	├── customer A (admin aAdmin, viewer aViewer, API key keyA)
//	│   └── organization orgA
//	└── customer B (admin bAdmin, API key keyB)
//	provider Q, a second tree (owner qOwner), made on the privileged path
type world struct {
	*backend
	p, a, b, orgA, q                        *ent.Tenant
	pOwner, aAdmin, aViewer, bAdmin, qOwner person
	keyA, keyB                              *tenants.NewAPIKey
	// Contexts of the people acting on their home tenant.
	ctxP, ctxA, ctxAViewer, ctxB, ctxQ context.Context
}

func newWorld(t *testing.T, b *backend) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{backend: b}
	pw := mustPassword(t)
	res, err := b.svc.Bootstrap(ctx, tenants.BootstrapInput{ProviderSlug: "msp", ProviderName: "The MSP", Email: "owner@msp.example", Name: "Pat Owner", Password: pw})
	if err != nil || res == nil {
		t.Fatalf("bootstrap: %v", err)
	}
	w.p, w.pOwner = res.Provider, person{res.Owner.ID, res.Owner.Email, pw}
	w.ctxP = w.login(t, w.pOwner, "")

	w.a = w.createTenant(t, w.ctxP, w.p.ID, "acme")
	w.b = w.createTenant(t, w.ctxP, w.p.ID, "globex")
	w.orgA = w.createTenant(t, w.ctxP, w.a.ID, "acme-paris")
	w.aAdmin = w.invite(t, w.ctxP, w.a.ID, "admin@acme.example", opsward.RoleAdmin)
	w.aViewer = w.invite(t, w.ctxP, w.a.ID, "viewer@acme.example", opsward.RoleViewer)
	w.bAdmin = w.invite(t, w.ctxP, w.b.ID, "admin@globex.example", opsward.RoleAdmin)
	w.ctxA = w.login(t, w.aAdmin, "")
	w.ctxAViewer = w.login(t, w.aViewer, "")
	w.ctxB = w.login(t, w.bAdmin, "")
	w.keyA = w.createKey(t, w.ctxA, w.a.ID)
	w.keyB = w.createKey(t, w.ctxB, w.b.ID)
	// An invitation left pending in each customer.
	for _, c := range []struct {
		ctx context.Context
		id  string
	}{{w.ctxA, w.a.ID}, {w.ctxB, w.b.ID}} {
		if _, err := b.svc.InviteUser(c.ctx, c.id, "pending-"+c.id[len(c.id)-6:]+"@example.com", opsward.RoleViewer); err != nil {
			t.Fatalf("invite: %v", err)
		}
	}
	w.q, w.qOwner = w.secondProvider(t)
	w.ctxQ = w.login(t, w.qOwner, "")
	return w
}

func mustPassword(t *testing.T) string {
	t.Helper()
	pw, err := tenants.GeneratePassword()
	if err != nil {
		t.Fatal(err)
	}
	return pw
}

func (w *world) createTenant(t *testing.T, ctx context.Context, parent, slug string) *ent.Tenant {
	t.Helper()
	tn, err := w.svc.CreateTenant(ctx, tenants.TenantInput{ParentID: parent, Slug: slug, Name: strings.ToUpper(slug[:1]) + slug[1:]})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

// invite invites email and accepts the invitation as a new user.
func (w *world) invite(t *testing.T, ctx context.Context, tenantID, email string, role opsward.Role) person {
	t.Helper()
	inv, err := w.svc.InviteUser(ctx, tenantID, email, role)
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	pw := mustPassword(t)
	m, err := w.svc.AcceptInvitation(context.Background(), tenants.AcceptInput{Token: inv.Token, Name: "Person " + email, Password: pw})
	if err != nil {
		t.Fatalf("accept %s: %v", email, err)
	}
	return person{m.UserID, email, pw}
}

func (w *world) createKey(t *testing.T, ctx context.Context, tenantID string) *tenants.NewAPIKey {
	t.Helper()
	k, err := w.svc.CreateAPIKey(ctx, tenantID, "integration", []string{"noc:read", "admin"}, nil)
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return k
}

// secondProvider creates another provider tree and its owner directly
// through the privileged path, as an operator's setup would: Bootstrap
// only ever creates the first.
func (w *world) secondProvider(t *testing.T) (*ent.Tenant, person) {
	t.Helper()
	pctx := tenants.Privileged(context.Background(), "test: second provider")
	id := opsward.NewID(opsward.PrefixTenant)
	q, err := w.client.Tenant.Create().SetID(id).SetKind(tenant.KindProvider).SetSlug("other-msp").
		SetName("Other MSP").SetPath("/" + id + "/").Save(pctx)
	if err != nil {
		t.Fatalf("second provider: %v", err)
	}
	pw := mustPassword(t)
	hash, err := authn.HashPassword(pw, testArgon2.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	u, err := w.client.User.Create().SetEmail("owner@other-msp.example").SetName("Quinn").SetPasswordHash(hash).Save(pctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.Membership.Create().SetTenantID(q.ID).SetUserID(u.ID).SetRole(opsward.RoleOwner).Save(pctx); err != nil {
		t.Fatal(err)
	}
	return q, person{u.ID, u.Email, pw}
}

// login logs p in (acting on tenantID, or the home tenant) and returns a
// context carrying the actor that Authenticate makes of the access token.
func (w *world) login(t *testing.T, p person, tenantID string) context.Context {
	t.Helper()
	tok, err := w.svc.Login(context.Background(), tenants.LoginInput{Email: p.email, Password: p.password, TenantID: tenantID,
		Request: tenants.Request{IP: "192.0.2.10", UserAgent: "tenants-test"}})
	if err != nil {
		t.Fatalf("login %s: %v", p.email, err)
	}
	return w.bearer(t, tok.AccessToken, tenantID)
}

func (w *world) bearer(t *testing.T, token, tenantID string) context.Context {
	t.Helper()
	a, err := w.svc.Authenticate(context.Background(), "Bearer "+token, tenantID, tenants.Request{IP: "192.0.2.10"})
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return tenants.NewContext(context.Background(), a)
}

// keyCtx returns the context of an API key acting on its tenant.
func (w *world) keyCtx(t *testing.T, k *tenants.NewAPIKey) context.Context {
	t.Helper()
	a, err := w.svc.Authenticate(context.Background(), "Bearer "+k.Secret, "", tenants.Request{})
	if err != nil {
		t.Fatalf("authenticate key: %v", err)
	}
	return tenants.NewContext(context.Background(), a)
}

func (w *world) privileged() context.Context {
	return tenants.Privileged(context.Background(), "test: check")
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	if got := opsward.ErrorCode(err); got != code {
		t.Fatalf("%s: code %s (%v), want %s", what, got, err, code)
	}
}

// wantHidden fails unless err says the object is not there: a row out of
// reach must look like a missing one.
func wantHidden(t *testing.T, what string, err error) {
	t.Helper()
	var nf *ent.NotFoundError
	if err == nil {
		t.Fatalf("%s: no error: a row of another tenant was reached", what)
	}
	if !errors.As(err, &nf) && opsward.ErrorCode(err) != opsward.ENOTFOUND {
		t.Fatalf("%s: %v, want not found", what, err)
	}
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}
