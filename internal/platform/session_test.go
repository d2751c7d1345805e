package platform_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"testing"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
)

// Every backend of the pool is terminated by an operator (SQLSTATE 57P01):
// a statement outside a transaction runs again on a new connection and
// succeeds, so one terminated backend does not fail a request; a
// transaction begun on a dead connection starts on a live one.
func TestStatementRetriedAfterBackendTerminated(t *testing.T) {
	t.Parallel()
	url := testenv.PostgresDB(t)
	ctx := context.Background()
	session := func(ctx context.Context) (string, string, []any) {
		return "s", "SELECT set_config('application_name', $1, false)", []any{"opsward-test"}
	}
	db, err := platform.OpenPostgres(ctx, url, false, session)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	terminate := func() int {
		t.Helper()
		// Fill the pool with idle connections, then end all of them.
		// (A connection handed out whole is not retried: one left dead
		// by the last round is dropped and another taken.)
		var conns []*sql.Conn
		for tries := 0; len(conns) < 4; tries++ {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
				c.Raw(func(any) error { return driver.ErrBadConn })
				c.Close()
				if tries > 20 {
					t.Fatal(err)
				}
				continue
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		var n int
		if err := admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name IN ('opsward', 'opsward-test') AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := terminate(); n == 0 {
		t.Fatal("no backend of the pool was found to terminate; the test would prove nothing")
	}
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("query after the backends were terminated: %v", err)
	}
	terminate()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (x int)"); err != nil {
		t.Fatalf("exec after the backends were terminated: %v", err)
	}
	terminate()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin after the backends were terminated: %v", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&one); err != nil || one != 1 {
		t.Fatalf("rows after the transaction: %d %v", one, err)
	}
}
