package batch_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/batch"
)

// An item added with AddSync is reported durable only once the write that
// carries it succeeded: not before, not while the write fails; items added
// together are written together (one write), well before the flush
// interval.
func TestAddSyncReportsDurability(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		stored  []int
		writes  atomic.Int64
		failing atomic.Bool
	)
	b, err := batch.New(batch.Config{FlushInterval: time.Hour, SyncLinger: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		"test items", slog.New(slog.DiscardHandler), func(ctx context.Context, items []int) error {
			writes.Add(1)
			if failing.Load() {
				return errors.New("database away")
			}
			mu.Lock()
			stored = append(stored, items...)
			mu.Unlock()
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	ctx := context.Background()
	if err := b.Add(ctx, 0); err != nil { // a plain item goes along
		t.Fatal(err)
	}
	var dones []<-chan struct{}
	for i := 1; i <= 5; i++ {
		d, err := b.AddSync(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		dones = append(dones, d)
	}
	for i, d := range dones {
		select {
		case <-d:
		case <-time.After(5 * time.Second):
			t.Fatalf("item %d not reported durable within 5 s (flush interval an hour)", i+1)
		}
	}
	mu.Lock()
	if len(stored) != 6 {
		t.Fatalf("stored %v when the items were reported durable", stored)
	}
	mu.Unlock()
	if n := writes.Load(); n != 1 {
		t.Errorf("%d writes for items added together, want 1", n)
	}
	// While writes fail, nothing is reported durable; once they succeed,
	// it is.
	failing.Store(true)
	d, err := b.AddSync(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-d:
		t.Fatal("an item was reported durable while its write failed")
	case <-time.After(300 * time.Millisecond):
	}
	if writes.Load() < 2 {
		t.Fatal("the failing write was never tried")
	}
	failing.Store(false)
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d:
	case <-time.After(5 * time.Second):
		t.Fatal("an item written after the failure was not reported durable")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(stored) != 7 || stored[6] != 7 {
		t.Errorf("stored %v", stored)
	}
}
