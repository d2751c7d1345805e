package testenv

import (
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// What this file may import: no package whose own (package-internal)
// tests import testenv, or those tests would not build (an import cycle).
// services/soc/events is one; packages tested from _test packages are
// safe.

// Backend is a database a store test runs on.
type Backend struct {
	Name string // platform.SQLite or platform.Postgres
	// Config is a fresh, empty database of this backend for the test:
	// SQLite in a temporary folder, or a Postgres database that is dropped
	// when the test ends.
	Config func(t testing.TB) platform.Config
}

// Backends are the databases every store test runs on: the embedded
// SQLite and Postgres (skipped when no server answers, unless the suite
// requires servers).
func Backends() []Backend {
	return []Backend{
		{platform.SQLite, func(t testing.TB) platform.Config {
			return platform.Config{DataDir: t.TempDir()}.WithDefaults()
		}},
		{platform.Postgres, func(t testing.TB) platform.Config {
			u := PostgresDB(t)
			return platform.Config{DatabaseURL: u, MigrateDatabaseURL: u}.WithDefaults()
		}},
	}
}

// EachBackend runs fn in a parallel subtest per backend, named for it.
func EachBackend(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// DB is one backend, migrated: the schema owner's connection and the
// application's pool. Both close when the test ends.
type DB struct {
	Name   string
	Config platform.Config
	// Owner is the schema owner's connection, for looking behind the
	// application (it is not under row-level security).
	Owner *platform.Database
	// App is the application's pool: on Postgres it acts as the
	// application role under row-level security, each statement with the
	// actor of its context.
	App *platform.Database
}

// Postgres reports whether d is on Postgres.
func (d *DB) Postgres() bool { return d.Name == platform.Postgres }

// Q turns ? placeholders into $n on Postgres.
func (d *DB) Q(query string) string { return platform.Rebind(d.Name, query) }

// Migrated migrates a fresh database of b up to the latest version and
// opens it.
func Migrated(t testing.TB, b Backend) *DB {
	t.Helper()
	return MigratedConfig(t, b.Name, b.Config(t))
}

// MigratedConfig is Migrated on a database already configured.
func MigratedConfig(t testing.TB, name string, cfg platform.Config) *DB {
	t.Helper()
	ctx := context.Background()
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
		t.Fatalf("migrate: %v", err)
	}
	app, err := platform.OpenDatabase(ctx, cfg, tenants.SessionSettings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return &DB{Name: name, Config: cfg, Owner: owner, App: app}
}

// AddTenants inserts bare customer tenants with ids (path /id/), as the
// schema owner, for stores that need tenant rows and nothing else.
func (d *DB) AddTenants(t testing.TB, ids ...string) {
	t.Helper()
	q := d.Q(`INSERT INTO tenants (id, kind, slug, name, path, created_at, updated_at) VALUES (?, 'customer', ?, ?, ?, ?, ?)`)
	for _, id := range ids {
		now := time.Now().UTC()
		if _, err := d.Owner.ExecContext(context.Background(), q, id, id, id, "/"+id+"/", now, now); err != nil {
			t.Fatalf("create tenant %s: %v", id, err)
		}
	}
}

// Ent is an ent client on the application's pool, and ent's name of the
// dialect.
func (d *DB) Ent() (*ent.Client, string) {
	dl := dialect.SQLite
	if d.Postgres() {
		dl = dialect.Postgres
	}
	return ent.NewClient(ent.Driver(tenants.Driver(dl, d.App.DB))), dl
}

// As is a user acting on tenant tn with roles.
func As(tn *ent.Tenant, roles ...opsward.Role) context.Context {
	return tenants.NewContext(context.Background(), &tenants.Actor{
		Kind: tenants.ActorUser, ID: opsward.NewID(opsward.PrefixUser),
		TenantID: tn.ID, TenantPath: tn.Path, Roles: roles,
		Provider: tn.Kind == tenant.KindProvider,
	})
}

// AsTenant is a user with no roles acting on the customer id (path /id/),
// for stores that scope by tenant and know nothing of roles.
func AsTenant(id string) context.Context {
	return tenants.NewContext(context.Background(), &tenants.Actor{
		Kind: tenants.ActorUser, ID: "usr_test", TenantID: id, TenantPath: "/" + id + "/"})
}

// System is the privileged path, for looking behind a service.
func System(reason string) context.Context {
	return tenants.Privileged(context.Background(), reason)
}

// Platform is one migrated backend with the tenants service on it (as the
// platform wires it) and a provider at the root of the tenant tree.
type Platform struct {
	*DB
	Client      *ent.Client
	Dialect     string // ent's dialect name
	Tenants     *tenants.Service
	Redis       *redis.Client
	RedisPrefix string
	Sealer      *authn.Sealer
	Provider    *ent.Tenant
}

// PlatformOptions shape a Platform.
type PlatformOptions struct {
	// TenantCreated runs in the transaction that creates each tenant, the
	// provider's included (billing's hook).
	TenantCreated func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error
	// Services runs once the tenants service exists and before the
	// provider is made: where the caller starts what TenantCreated needs
	// (billing, which needs the tenants service in turn).
	Services func(p *Platform)
	// EmbeddedRedis gives the service an in-process Redis (miniredis)
	// instead of the real server and a prefix of its own.
	EmbeddedRedis bool
}

// NewPlatform migrates a fresh database of b and starts the tenants
// service with a provider on it.
func NewPlatform(t testing.TB, b Backend, opts PlatformOptions) *Platform {
	t.Helper()
	return NewPlatformConfig(t, b.Name, b.Config(t), opts)
}

// NewPlatformConfig is NewPlatform on a database already configured.
func NewPlatformConfig(t testing.TB, name string, cfg platform.Config, opts PlatformOptions) *Platform {
	t.Helper()
	p := &Platform{DB: MigratedConfig(t, name, cfg)}
	p.Client, p.Dialect = p.Ent()
	if opts.EmbeddedRedis {
		mr := miniredis.RunT(t)
		p.Redis = redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { p.Redis.Close() })
	} else {
		p.Redis, p.RedisPrefix = Redis(t)
	}
	keys, err := authn.GenerateKeyRing(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sk, err := authn.GenerateSealKey()
	if err != nil {
		t.Fatal(err)
	}
	if p.Sealer, err = authn.NewSealer(authn.SealerConfig{Keys: map[string]string{"t1": sk}, Active: "t1"}); err != nil {
		t.Fatal(err)
	}
	p.Tenants, err = tenants.New(tenants.Config{Argon2: authn.TestArgon2Params}, tenants.Deps{
		Client: p.Client, Dialect: p.Dialect, Redis: p.Redis, RedisPrefix: p.RedisPrefix, Keys: keys, Sealer: p.Sealer,
		Hooks: tenants.Hooks{TenantCreated: opts.TenantCreated},
	})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Services != nil {
		opts.Services(p)
	}

	// The provider has no parent, so only the privileged path creates it.
	pctx := tenants.Privileged(context.Background(), "test: create the provider")
	tx, err := p.Client.Tx(pctx)
	if err != nil {
		t.Fatal(err)
	}
	id := opsward.NewID(opsward.PrefixTenant)
	p.Provider, err = tx.Tenant.Create().SetID(id).SetKind(tenant.KindProvider).
		SetSlug("msp").SetName("The MSP").SetPath("/" + id + "/").Save(pctx)
	if err == nil && opts.TenantCreated != nil {
		err = opts.TenantCreated(pctx, tx, p.Provider)
	}
	if err == nil {
		err = tx.Commit()
	} else {
		tx.Rollback()
	}
	if err != nil {
		t.Fatalf("create provider: %v", err)
	}
	return p
}

// Customer creates a tenant below parent through the service, as an admin
// of parent would (a customer below the provider, an organization below a
// customer).
func (p *Platform) Customer(t testing.TB, parent *ent.Tenant, slug string) *ent.Tenant {
	t.Helper()
	tn, err := p.Tenants.CreateTenant(As(parent, opsward.RoleAdmin),
		tenants.TenantInput{ParentID: parent.ID, Slug: slug, Name: slug})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

// RedisBackend is a Redis a test runs on.
type RedisBackend struct {
	Name string // "redis" or "miniredis"
	Open func(t testing.TB) redis.UniversalClient
}

// RedisBackends are the real server (skipped when it does not answer,
// unless the suite requires servers) and an in-process miniredis, in that
// order. The real server is shared: a test keeps to a prefix of its own.
func RedisBackends() []RedisBackend {
	return []RedisBackend{
		{"redis", func(t testing.TB) redis.UniversalClient {
			t.Helper()
			opts, err := redis.ParseURL(RedisURL())
			if err != nil {
				t.Fatalf("OPSWARD_TEST_REDIS_URL: %v", err)
			}
			opts.PoolSize = 32
			c := redis.NewClient(opts)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			if err := c.Ping(ctx).Err(); err != nil {
				c.Close()
				unavailable(t, "Redis at "+opts.Addr, err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		}},
		{"miniredis", func(t testing.TB) redis.UniversalClient {
			mr := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
			t.Cleanup(func() { c.Close() })
			return c
		}},
	}
}
