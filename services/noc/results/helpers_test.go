package results_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/tenants"
)

type env struct {
	name    string
	store   *results.Store
	app     *sql.DB // the application's pool, under row-level security
	owner   *sql.DB // the schema owner's connection
	tenantA string
	tenantB string
}

func (e *env) pg() bool { return e.name == "postgres" }

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

func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, b.name, b.config(t)))
		})
	}
}

func newEnv(t testing.TB, name string, cfg platform.Config) *env {
	t.Helper()
	ctx := context.Background()
	mdb, err := platform.OpenMigrationDatabase(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mdb.Close() })
	m, err := migrations.New(mdb.DB, mdb.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	db, err := platform.OpenDatabase(ctx, cfg, tenants.SessionSettings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{name: name, store: results.New(db, nil), app: db.DB, owner: mdb.DB,
		tenantA: "ten_a", tenantB: "ten_b"}
	q := `INSERT INTO tenants (id, kind, slug, name, path, created_at, updated_at) VALUES (?, 'customer', ?, ?, ?, ?, ?)`
	if e.pg() {
		q = `INSERT INTO tenants (id, kind, slug, name, path, created_at, updated_at) VALUES ($1, 'customer', $2, $3, $4, $5, $6)`
	}
	for _, id := range []string{e.tenantA, e.tenantB} {
		now := time.Now().UTC()
		if _, err := mdb.ExecContext(ctx, q, id, id, id, "/"+id+"/", now, now); err != nil {
			t.Fatalf("create tenant: %v", err)
		}
	}
	return e
}

// as is a context acting on tenant id.
func as(id string) context.Context {
	return tenants.NewContext(context.Background(), &tenants.Actor{
		Kind: tenants.ActorUser, ID: "usr_test", TenantID: id, TenantPath: "/" + id + "/"})
}

func system() context.Context {
	return tenants.Privileged(context.Background(), "test")
}
