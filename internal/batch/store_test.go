package batch_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/internal/testenv"
)

// check is a row of check_results as a test writes it.
type check struct {
	tenant, monitor string
	at              time.Time
	metrics         []byte
}

var checks = batch.Table[check]{
	Name: "check_results", What: "test checks", TimeColumn: "checked_at", Partitioned: true,
	Columns: []string{"tenant_id", "monitor_id", "checked_at", "status", "latency_us", "reason", "message",
		"metrics", "in_maintenance"},
	Row: func(r *check, dst []any) []any {
		return append(dst, r.tenant, r.monitor, r.at, "up", int64(1500), "", "ok", r.metrics, false)
	},
	RowTime: func(r *check) time.Time { return r.at },
}

// usage is a row of usage_events, a table with a key of its own and no
// partitions.
type usage struct {
	tenant, key string
	qty         int64
	at          time.Time
}

var usageTable = batch.Table[usage]{
	Name: "usage_events", What: "test usage", TimeColumn: "occurred_at",
	Columns: []string{"tenant_id", "meter", "idempotency_key", "quantity", "value", "occurred_at", "received_at"},
	Key:     []string{"tenant_id", "meter", "idempotency_key"},
	Row: func(r *usage, dst []any) []any {
		return append(dst, r.tenant, "checks", r.key, r.qty, "", r.at, r.at)
	},
}

func newDB(t *testing.T, b testenv.Backend) *testenv.DB {
	d := testenv.Migrated(t, b)
	d.AddTenants(t, "ten_a", "ten_b")
	return d
}

func count(t *testing.T, d *testenv.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Owner.QueryRow(d.Q(q), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func series(tenant string, from time.Time, n int) []check {
	out := make([]check, n)
	for i := range out {
		out[i] = check{tenant: tenant, monitor: fmt.Sprintf("mon_%d", i%7), at: from.Add(time.Duration(i) * time.Second)}
		if i%2 == 0 {
			out[i].metrics = []byte(fmt.Sprintf(`{"n":%d}`, i))
		}
	}
	return out
}

// Insert stores every row once, over more rows than one statement takes;
// a retried batch adds only what is new, and times and JSON read back as
// written on both dialects.
func TestStoreInsert(t *testing.T) {
	t.Parallel()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		d := newDB(t, b)
		s := batch.NewStore(d.App, checks)
		ctx := testenv.System("test: write")
		at := time.Date(2026, 3, 28, 10, 0, 0, 123456000, time.UTC)
		rows := append(series("ten_a", at, 1500), series("ten_b", at, 300)...)
		n, err := s.Insert(ctx, rows)
		if err != nil || n != 1800 {
			t.Fatalf("Insert = %d, %v; want 1800", n, err)
		}
		again := append(rows[1400:1600:1600], series("ten_a", at.Add(time.Hour), 10)...)
		if n, err := s.Insert(ctx, again); err != nil || n != 10 {
			t.Fatalf("retried Insert = %d, %v; want 10 new", n, err)
		}
		if got := count(t, d, "SELECT count(*) FROM check_results WHERE tenant_id = ?", "ten_a"); got != 1510 {
			t.Errorf("tenant A has %d rows, want 1510", got)
		}
		if got := count(t, d, "SELECT count(*) FROM check_results WHERE metrics IS NULL"); got != 905 {
			t.Errorf("%d rows without metrics, want 905 (nil JSON is NULL)", got)
		}
		var (
			got     time.Time
			metrics string
		)
		if err := d.App.QueryRowContext(testenv.AsTenant("ten_b"), s.Q(`SELECT checked_at, metrics FROM check_results
			WHERE tenant_id = ? AND monitor_id = ? AND checked_at = ?`), "ten_b", "mon_2", s.Time(at.Add(2*time.Second))).
			Scan(batch.ScanTime(&got), &metrics); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(at.Add(2*time.Second)) || got.Location() != time.UTC || metrics != `{"n": 2}` && metrics != `{"n":2}` {
			t.Errorf("read back %v (%v), metrics %q", got, got.Location(), metrics)
		}
	})
}

// InsertTx writes in the caller's transaction: nothing stays after a
// rollback, everything after a commit.
func TestStoreInsertTx(t *testing.T) {
	t.Parallel()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		d := newDB(t, b)
		s := batch.NewStore(d.App, checks)
		ctx := testenv.System("test: write")
		rows := series("ten_a", time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC), 1200)
		for _, commit := range []bool{false, true} {
			tx, err := d.App.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			n, err := s.InsertTx(ctx, tx, rows)
			if err != nil || n != 1200 {
				t.Fatalf("InsertTx = %d, %v", n, err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if commit {
				want = 1200
			}
			if got := count(t, d, "SELECT count(*) FROM check_results"); got != want {
				t.Errorf("commit %v: %d rows, want %d", commit, got, want)
			}
		}
	})
}

// With a key, a batch that repeats a key or holds one stored before
// stores each key once, by COPY and in a transaction alike.
func TestStoreKey(t *testing.T) {
	t.Parallel()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		d := newDB(t, b)
		s := batch.NewStore(d.App, usageTable)
		ctx := testenv.System("test: usage")
		at := time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)
		if n, err := s.Insert(ctx, []usage{{"ten_a", "k1", 1, at}, {"ten_a", "k2", 2, at}}); err != nil || n != 2 {
			t.Fatalf("Insert = %d, %v", n, err)
		}
		// k2 again (another quantity: the stored one stays), k3 twice, and
		// k1 for tenant B, which is another key.
		n, err := s.Insert(ctx, []usage{{"ten_a", "k3", 3, at}, {"ten_a", "k2", 9, at}, {"ten_a", "k3", 3, at}, {"ten_b", "k1", 5, at}})
		if err != nil || n != 2 {
			t.Fatalf("Insert with repeats = %d, %v; want 2", n, err)
		}
		tx, err := d.App.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if n, err := s.InsertTx(ctx, tx, []usage{{"ten_a", "k1", 7, at}, {"ten_a", "k4", 4, at}, {"ten_a", "k4", 4, at}}); err != nil || n != 1 {
			t.Fatalf("InsertTx with repeats = %d, %v; want 1", n, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := count(t, d, "SELECT coalesce(sum(quantity), 0) FROM usage_events WHERE tenant_id = ?", "ten_a"); got != 1+2+3+4 {
			t.Errorf("tenant A's quantities sum to %d, want 10 (each key once, stored rows kept)", got)
		}
	})
}

// The COPY path keeps row-level security: an actor of tenant A cannot
// write tenant B's rows, though it writes its own.
func TestStoreDifferentTenant(t *testing.T) {
	t.Parallel()
	d := newDB(t, testenv.Backends()[1])
	s := batch.NewStore(d.App, checks)
	at := time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)
	asA := testenv.AsTenant("ten_a")
	if _, err := s.Insert(asA, series("ten_b", at, 3)); err == nil {
		t.Error("A wrote B's rows through COPY")
	}
	tx, err := d.App.BeginTx(asA, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.InsertTx(asA, tx, series("ten_b", at, 3)); err == nil {
		t.Error("A wrote B's rows in a transaction")
	}
	tx.Rollback()
	if n, err := s.Insert(asA, series("ten_a", at, 3)); err != nil || n != 3 {
		t.Errorf("A writing its own rows = %d, %v", n, err)
	}
	if got := count(t, d, "SELECT count(*) FROM check_results WHERE tenant_id = 'ten_b'"); got != 0 {
		t.Errorf("B has %d rows", got)
	}
}

// The writer makes today's partitions; retention drops old partitions (or
// rows) for everyone and deletes one tenant's rows, on the privileged
// path only.
func TestStorePartitionsAndRetention(t *testing.T) {
	t.Parallel()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		d := newDB(t, b)
		s := batch.NewStore(d.App, checks)
		now := time.Now().UTC()
		today := now.Truncate(24 * time.Hour)
		write := s.Writer()
		if err := write(context.Background(), append(series("ten_a", today, 10), series("ten_b", today, 10)...)); err != nil {
			t.Fatal(err)
		}
		partition := func(day time.Time) bool {
			var name sql.NullString
			if err := d.Owner.QueryRow("SELECT to_regclass($1)::text", "check_results_"+day.Format("20060102")).Scan(&name); err != nil {
				t.Fatal(err)
			}
			return name.Valid
		}
		if d.Postgres() && (!partition(today) || !partition(today.AddDate(0, 0, 2))) {
			t.Fatal("the writer made no partitions for today and the two days after")
		}
		old := today.AddDate(0, 0, -10)
		made, err := s.EnsurePartitions(context.Background(), old, 2)
		if err != nil {
			t.Fatal(err)
		}
		if d.Postgres() != (made == 2) {
			t.Errorf("EnsurePartitions made %d on %s", made, b.Name)
		}
		ctx := testenv.System("test: old rows")
		for _, tn := range []string{"ten_a", "ten_b"} {
			if _, err := s.Insert(ctx, series(tn, old, 5)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Insert(ctx, series(tn, today.AddDate(0, 0, -3), 5)); err != nil { // the default partition
				t.Fatal(err)
			}
		}

		if _, err := s.DropBefore(testenv.AsTenant("ten_a"), now); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Errorf("DropBefore as a tenant = %v, want forbidden", err)
		}
		if _, err := s.DeleteTenantBefore(testenv.AsTenant("ten_a"), "ten_a", now); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Errorf("DeleteTenantBefore as a tenant = %v, want forbidden", err)
		}
		if _, err := s.DeleteTenantBefore(ctx, "", now); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Errorf("DeleteTenantBefore without a tenant = %v, want invalid", err)
		}

		n, err := s.DropBefore(ctx, today.AddDate(0, 0, -5))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int64{true: 2, false: 10}[d.Postgres()]; n != want {
			t.Errorf("DropBefore = %d, want %d (partitions on Postgres, rows on SQLite)", n, want)
		}
		if d.Postgres() && partition(old) {
			t.Error("an old partition survived")
		}
		if got := count(t, d, "SELECT count(*) FROM check_results"); got != 30 {
			t.Errorf("%d rows after DropBefore, want 30", got)
		}
		n, err = s.DeleteTenantBefore(ctx, "ten_a", today)
		if err != nil || n != 5 {
			t.Errorf("DeleteTenantBefore = %d, %v; want 5", n, err)
		}
		if a, b := count(t, d, "SELECT count(*) FROM check_results WHERE tenant_id = 'ten_a'"),
			count(t, d, "SELECT count(*) FROM check_results WHERE tenant_id = 'ten_b'"); a != 10 || b != 15 {
			t.Errorf("after deleting A's old rows: A %d, B %d; want 10 and 15", a, b)
		}
	})
}

func TestScanTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 28, 1, 2, 3, 4000, time.UTC)
	for _, c := range []struct {
		src  any
		want time.Time
		err  bool
	}{
		{at.UnixMicro(), at, false},
		{at.In(time.FixedZone("x", 3600)), at, false},
		{nil, time.Time{}, false},
		{"2026-03-28", time.Time{}, true},
	} {
		var got time.Time
		err := batch.ScanTime(&got).Scan(c.src)
		if (err != nil) != c.err || !got.Equal(c.want) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("Scan(%#v) = %v, %v", c.src, got, err)
		}
	}
}

// A connection whose staging table is gone (DISCARD TEMP, a pooler that
// resets sessions) makes it again within the same batch.
func TestStoreStagingTableComesBack(t *testing.T) {
	t.Parallel()
	d := newDB(t, testenv.Backends()[1])
	d.App.SetMaxOpenConns(1) // one connection: the one whose table goes
	s := batch.NewStore(d.App, checks)
	ctx := testenv.System("test: write")
	at := time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if i > 0 {
			if _, err := d.App.ExecContext(ctx, "DISCARD TEMP"); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.Insert(ctx, series("ten_a", at.Add(time.Duration(i)*time.Hour), 10)); err != nil || n != 10 {
			t.Fatalf("batch %d = %d, %v", i, n, err)
		}
	}
	if got := count(t, d, "SELECT count(*) FROM check_results"); got != 30 {
		t.Errorf("%d rows, want 30", got)
	}
}
