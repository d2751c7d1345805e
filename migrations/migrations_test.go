package migrations_test

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/opsward/opsward/ent/migrate"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/migrations"
)

// open is an empty database of b, as the schema owner.
func open(t *testing.T, b testenv.Backend) *sql.DB {
	db, err := platform.OpenMigrationDatabase(context.Background(), b.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.DB
}

// Up, down to nothing, and up again leaves the same schema, on each dialect.
func TestUpDownUp(t *testing.T) {
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		db := open(t, b)
		m, err := migrations.New(db, b.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		if err := m.CheckCurrent(ctx); err != nil {
			t.Fatalf("after up: %v", err)
		}
		first := columns(t, db, b.Name)
		if len(first) == 0 {
			t.Fatal("no tables after up")
		}
		for v, _ := m.Version(ctx); v > 0; v, _ = m.Version(ctx) {
			if _, err := m.Down(ctx); err != nil {
				t.Fatalf("down from %d: %v", v, err)
			}
		}
		if got := columns(t, db, b.Name); len(got) != 0 {
			t.Fatalf("tables left after rolling everything back: %v", keys(got))
		}
		if _, err := m.Down(ctx); err == nil {
			t.Fatal("down with nothing applied did not fail")
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("second up: %v", err)
		}
		if second := columns(t, db, b.Name); !equal(first, second) {
			t.Fatalf("schema differs after up, down, up:\nfirst  %v\nsecond %v", first, second)
		}
		st, err := m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			if !s.Applied {
				t.Errorf("migration %d not applied after up", s.Version)
			}
		}
	})
}

// The SQL migrations and the ent schema describe the same tables and
// columns: a field added to ent/schema without a migration fails here.
func TestSchemaMatchesEnt(t *testing.T) {
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		db := open(t, b)
		m, err := migrations.New(db, b.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Up(context.Background()); err != nil {
			t.Fatal(err)
		}
		have := columns(t, db, b.Name)
		for _, tbl := range migrate.Tables {
			cols, ok := have[tbl.Name]
			if !ok {
				t.Errorf("ent table %s has no migration", tbl.Name)
				continue
			}
			for _, c := range tbl.Columns {
				if !contains(cols, c.Name) {
					t.Errorf("ent column %s.%s has no migration", tbl.Name, c.Name)
				}
			}
			for _, c := range cols {
				found := false
				for _, ec := range tbl.Columns {
					found = found || ec.Name == c
				}
				if !found {
					t.Errorf("migrated column %s.%s is not in the ent schema", tbl.Name, c)
				}
			}
		}
	})
}

// A database migrated by a newer binary is refused.
func TestRefusesNewerDatabase(t *testing.T) {
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		db := open(t, b)
		m, err := migrations.New(db, b.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		future := m.Latest() + 1
		q := "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)"
		if _, err := db.ExecContext(ctx, q, future); err != nil {
			t.Fatal(err)
		}
		err = m.CheckNotNewer(ctx)
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Fatalf("CheckNotNewer = %v", err)
		}
		if _, err := m.Up(ctx); err == nil {
			t.Fatal("up on a newer database did not fail")
		}
	})
}

// columns lists the columns of every table but goose's own.
func columns(t *testing.T, db *sql.DB, dialect string) map[string][]string {
	t.Helper()
	q := `SELECT table_name, column_name FROM information_schema.columns
	      WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`
	if dialect == migrations.SQLite {
		q = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		     WHERE m.type = 'table' AND m.name NOT IN ('goose_db_version', 'sqlite_sequence')`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			t.Fatal(err)
		}
		out[tbl] = append(out[tbl], col)
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func equal(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, ",") != strings.Join(b[k], ",") {
			return false
		}
	}
	return true
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
