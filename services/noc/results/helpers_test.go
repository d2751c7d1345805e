package results_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/noc/results"
)

type env struct {
	name    string
	store   *results.Store
	app     *sql.DB // the application's pool, under row-level security
	owner   *sql.DB // the schema owner's connection
	tenantA string
	tenantB string
}

func (e *env) pg() bool { return e.name == platform.Postgres }

// eachBackend runs fn on a fresh env of every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		fn(t, newEnv(t, b.Name, b.Config(t)))
	})
}

// newEnv is a migrated database with two bare tenants and the store.
func newEnv(t testing.TB, name string, cfg platform.Config) *env {
	t.Helper()
	d := testenv.MigratedConfig(t, name, cfg)
	e := &env{name: name, store: results.New(d.App, nil), app: d.App.DB, owner: d.Owner.DB,
		tenantA: "ten_a", tenantB: "ten_b"}
	d.AddTenants(t, e.tenantA, e.tenantB)
	return e
}

// as is a context acting on tenant id.
var as = testenv.AsTenant

func system() context.Context { return testenv.System("test") }
