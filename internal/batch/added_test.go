package batch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/internal/testenv"
)

// The OnAdded work runs in the write's transaction with exactly the rows
// that were new, by COPY, by the Writer and in a caller's transaction;
// when it fails, the rows are not stored either.
func TestStoreOnAdded(t *testing.T) {
	t.Parallel()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		d := newDB(t, b)
		tbl := checks
		tbl.Identity = []string{"tenant_id", "monitor_id", "checked_at"}
		s := batch.NewStore(d.App, tbl)
		log := batch.NewStore(d.App, usageTable)
		ctx := testenv.System("test: write")
		var seen []check
		fail := false
		s.OnAdded(func(ctx context.Context, tx batch.Tx, added []check) error {
			if fail {
				return errors.New("metering failed")
			}
			seen = append(seen[:0], added...)
			// Work in the same transaction: one row per write.
			_, err := log.InsertTx(ctx, tx, []usage{{tenant: "ten_a", key: added[0].monitor + added[0].at.String(), qty: int64(len(added)), at: added[0].at}})
			return err
		})
		at := time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC)
		rows := series("ten_a", at, 1200)
		if n, err := s.Insert(ctx, rows); err != nil || n != 1200 || len(seen) != 1200 {
			t.Fatalf("Insert = %d, %v; hook saw %d; want 1200", n, err, len(seen))
		}
		// A retry of part of the batch with rows of its own: the hook sees
		// only the new ones.
		again := append(series("ten_a", at, 300), series("ten_a", at.Add(time.Hour), 5)...)
		if n, err := s.Insert(ctx, again); err != nil || n != 5 || len(seen) != 5 {
			t.Fatalf("retried Insert = %d, %v; hook saw %d; want 5", n, err, len(seen))
		}
		for _, r := range seen {
			if r.at.Before(at.Add(time.Hour)) {
				t.Errorf("hook saw %v, stored before", r)
			}
		}
		// The Writer's batches and a caller's transaction run it too.
		w := s.Writer()
		if err := w(ctx, series("ten_a", at.Add(2*time.Hour), 7)); err != nil || len(seen) != 7 {
			t.Fatalf("Writer: %v; hook saw %d, want 7", err, len(seen))
		}
		tx, err := d.App.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.InsertTx(ctx, tx, series("ten_a", at.Add(3*time.Hour), 9)); err != nil || n != 9 || len(seen) != 9 {
			t.Fatalf("InsertTx = %d, %v; hook saw %d", n, err, len(seen))
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		// A failing hook: nothing of the write stays.
		fail = true
		if _, err := s.Insert(ctx, series("ten_a", at.Add(4*time.Hour), 3)); err == nil {
			t.Fatal("Insert with a failing hook succeeded")
		}
		if got := count(t, d, "SELECT count(*) FROM check_results"); got != 1200+5+7+9 {
			t.Errorf("%d results stored, want %d", got, 1200+5+7+9)
		}
		if got := count(t, d, "SELECT count(*) FROM usage_events"); got != 4 {
			t.Errorf("%d hook rows stored, want 4 (one per write that added rows)", got)
		}
		if got := count(t, d, "SELECT coalesce(sum(quantity), 0) FROM usage_events"); got != 1200+5+7+9 {
			t.Errorf("hook rows count %d, want %d", got, 1200+5+7+9)
		}
	})
}
