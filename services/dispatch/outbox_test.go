package dispatch_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/dispatch"
)

// migrationUp returns the Up part of one of the goose migrations.
func migrationUp(t *testing.T, dialect string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "migrations", dialect, "00002_dispatch_outbox.sql"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	up := strings.Index(s, "-- +goose Up")
	down := strings.Index(s, "-- +goose Down")
	if up < 0 || down < up {
		t.Fatalf("%s migration lacks goose markers", dialect)
	}
	return s[up+len("-- +goose Up") : down]
}

func sqliteDB(t *testing.T) *sql.DB {
	path := filepath.Join(t.TempDir(), "outbox.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(migrationUp(t, "sqlite")); err != nil {
		t.Fatal(err)
	}
	return db
}

func postgresDB(t *testing.T) *sql.DB {
	db, err := sql.Open("pgx", testenv.PostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(migrationUp(t, "postgres")); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestOutbox(t *testing.T) {
	for _, tc := range []struct {
		dialect dispatch.Dialect
		open    func(t *testing.T) *sql.DB
	}{
		{dispatch.SQLite, sqliteDB},
		{dispatch.Postgres, postgresDB},
	} {
		t.Run(string(tc.dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := tc.open(t)
			if _, err := db.Exec(`CREATE TABLE things (id TEXT PRIMARY KEY)`); err != nil {
				t.Fatal(err)
			}
			c, _ := testClient(t, realRedis(t, sharedRedis), nil)

			// Committed: the job exists once the relay runs.
			tx, _ := db.BeginTx(ctx, nil)
			tx.ExecContext(ctx, `INSERT INTO things (id) VALUES ($1)`, "thing_1")
			kept, err := c.EnqueueTx(ctx, tx, "ten_a", echoArgs{N: 1}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			// Rolled back: no job, ever.
			tx, _ = db.BeginTx(ctx, nil)
			tx.ExecContext(ctx, `INSERT INTO things (id) VALUES ($1)`, "thing_2")
			dropped, err := c.EnqueueTx(ctx, tx, "ten_a", echoArgs{N: 2}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tx.Rollback()
			// Nothing in Redis before the relay: a crash here loses nothing,
			// the row waits in the database.
			if st, _ := c.JobState(ctx, "ten_a", kept); st != dispatch.StateGone {
				t.Fatalf("job in Redis before relaying: %s", st)
			}
			relay, err := dispatch.NewRelay(c, db, dispatch.RelayConfig{Dialect: tc.dialect, Batch: 50})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := relay.RelayOnce(ctx); err != nil || n != 1 {
				t.Fatalf("relay = %d, %v", n, err)
			}
			if st, _ := c.JobState(ctx, "ten_a", kept); st != dispatch.StateReady {
				t.Fatalf("relayed job state %s", st)
			}
			if st, _ := c.JobState(ctx, "ten_a", dropped); st != dispatch.StateGone {
				t.Fatalf("rolled back job state %s", st)
			}
			var left int
			db.QueryRow(`SELECT COUNT(*) FROM dispatch_outbox`).Scan(&left)
			if left != 0 {
				t.Fatalf("%d rows left in the outbox", left)
			}

			// Several relays at once move every row exactly once.
			const rows = 300
			tx, _ = db.BeginTx(ctx, nil)
			for i := range rows {
				if _, err := c.EnqueueTx(ctx, tx, tenantID(i%3), echoArgs{N: i}, &dispatch.EnqueueOpts{Delay: time.Hour}); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			moved := 0
			var wg sync.WaitGroup
			for range 3 {
				r, _ := dispatch.NewRelay(c, db, dispatch.RelayConfig{Dialect: tc.dialect, Batch: 20})
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n, err := r.RelayOnce(ctx)
						if err != nil {
							t.Errorf("relay: %v", err)
							return
						}
						if n == 0 {
							return
						}
						mu.Lock()
						moved += n
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if moved != rows {
				t.Fatalf("relays moved %d rows, want %d", moved, rows)
			}
			total := 0
			for i := range 3 {
				d, _ := c.QueueDepth(ctx, tenantID(i))
				total += d["test.echo"]
			}
			if total != rows {
				t.Fatalf("%d jobs in Redis, want %d", total, rows)
			}
		})
	}
}

func TestOutboxRelayConfig(t *testing.T) {
	c, _ := testClient(t, testenv.RedisBackends()[1].Open(t), nil)
	_, err := dispatch.NewRelay(c, &sql.DB{}, dispatch.RelayConfig{Dialect: "mysql"})
	if opsward.ErrorField(err) != "relay.dialect" {
		t.Fatalf("bad dialect: %v", err)
	}
}
