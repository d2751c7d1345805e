package batch_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/internal/testenv"
)

// Rows written into the default partition while their day's partition is
// being made are neither lost nor doubled: the move takes every row
// committed before it, and a write that was waiting for it fails and is
// sent again into the new partition.
func TestPartitionMadeWhileWriting(t *testing.T) {
	t.Parallel()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		d := newDB(t, b)
		if !d.Postgres() {
			t.Skip("partitions are Postgres's")
		}
		s := batch.NewStore(d.App, checks)
		ctx := testenv.System("test: write")
		const writers, batches, per = 4, 20, 10
		for round := range 5 {
			day := time.Date(2031, 1, 1+round, 0, 0, 0, 0, time.UTC)
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range batches {
						rows := make([]check, per)
						for k := range rows {
							rows[k] = check{tenant: "ten_a", monitor: fmt.Sprintf("mon_w%d", w),
								at: day.Add(time.Duration(i*per+k) * time.Millisecond)}
						}
						// As the writer does: a batch that fails is sent again.
						var err error
						for try := 0; try < 5; try++ {
							if err = insertOnce(ctx, d, s, rows); err == nil {
								break
							}
						}
						if err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(round) * 3 * time.Millisecond)
				if _, err := s.EnsurePartitions(context.Background(), day, 1); err != nil {
					t.Error(err)
				}
			}()
			wg.Wait()
			if n := count(t, d, `SELECT count(*) FROM check_results WHERE checked_at >= ? AND checked_at < ?`, day, day.AddDate(0, 0, 1)); n != writers*batches*per {
				t.Fatalf("round %d: %d rows of the day stored, want %d", round, n, writers*batches*per)
			}
		}
	})
}

func insertOnce(ctx context.Context, d *testenv.DB, s *batch.Store[check], rows []check) error {
	tx, err := d.App.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := s.InsertTx(ctx, tx, rows); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
