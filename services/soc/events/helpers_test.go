package events

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
)

// env is one backend ready for a test: migrated, with two tenants.
type env struct {
	name    string
	store   *Store
	app     *sql.DB // the application's pool, under row-level security
	owner   *sql.DB // the schema owner's connection
	tenantA string
	tenantB string
}

func (e *env) pg() bool { return e.name == platform.Postgres }

// eachBackend runs fn on SQLite and, when a server answers, on Postgres.
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
	e := &env{name: name, store: New(d.App, nil), app: d.App.DB, owner: d.Owner.DB, tenantA: "ten_a", tenantB: "ten_b"}
	d.AddTenants(t, e.tenantA, e.tenantB)
	return e
}

// sql turns ? placeholders into the dialect's.
func (e *env) sql(q string) string {
	if !e.pg() {
		return q
	}
	b := &sqlBuilder{pg: true}
	out := make([]byte, 0, len(q))
	for i := range len(q) {
		if q[i] == '?' {
			out = append(out, b.arg(nil)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

// count runs a count as the schema owner.
func (e *env) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.owner.QueryRow(e.sql(q), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// write stores evs through a Writer and checks that all were written.
func (e *env) write(t testing.TB, evs []Event) {
	t.Helper()
	w, err := e.store.NewWriter(WriterConfig{BatchSize: 200, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ev := range evs {
		if err := w.Write(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Written != int64(len(evs)) || st.Pending != 0 {
		t.Fatalf("writer stats %+v after %d events", st, len(evs))
	}
}

// as is a context acting on tenant id.
var as = testenv.AsTenant

func system() context.Context { return testenv.System("test") }

// base is a UTC day; ranges here are UTC.
var base = time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)

// mustEvent is FromMap that fails the test on error.
func mustEvent(t testing.TB, tenant string, m map[string]any) Event {
	t.Helper()
	e, err := FromMap(tenant, "key_test", base.Add(100*24*time.Hour), m)
	if err != nil {
		t.Fatalf("FromMap(%v): %v", m, err)
	}
	return e
}

// series is n events of tenant, one every step from start; f may change each.
func series(t testing.TB, tenant string, start time.Time, step time.Duration, n int, f func(i int, m map[string]any)) []Event {
	out := make([]Event, 0, n)
	for i := range n {
		m := map[string]any{
			FieldTimestamp: start.Add(time.Duration(i) * step),
			FieldHostName:  fmt.Sprintf("web-%02d", i%10),
			FieldCategory:  []string{"network"},
			FieldMessage:   fmt.Sprintf("connection %d", i),
		}
		if f != nil {
			f(i, m)
		}
		out = append(out, mustEvent(t, tenant, m))
	}
	return out
}
