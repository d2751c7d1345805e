package results

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward/services/noc/probe"
)

// A failed batch is retried until it is stored, never dropped, and a full
// queue makes Write wait.
func TestWriterRetriesAndBackpressure(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		fails  = 3
		stored []Result
	)
	w, err := (&Store{log: discard()}).NewWriter(WriterConfig{
		BatchSize: 10, MaxPending: 20, FlushInterval: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.write = func(_ context.Context, b []Result) error {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			return errors.New("database unavailable")
		}
		stored = append(stored, b...)
		return nil
	}
	at := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	r := Result{TenantID: "ten_a", MonitorID: "mon_1", Status: probe.StatusUp}

	// While the first writes fail, the queue fills and Write waits.
	mu.Lock()
	for i := range 20 {
		r.CheckedAt = at.Add(time.Duration(i) * time.Second)
		if err := w.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	r.CheckedAt = at.Add(time.Hour)
	if err := w.Write(ctx, r); err == nil {
		t.Error("Write did not wait on a full queue")
	}
	cancel()
	mu.Unlock()

	for i := 20; i < 100; i++ {
		r.CheckedAt = at.Add(time.Duration(i) * time.Second)
		if err := w.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if len(stored) != 100 || st.Written != 100 || st.Pending != 0 || st.Failures != 3 {
		t.Fatalf("stored %d, stats %+v", len(stored), st)
	}
	for i, s := range stored {
		if want := at.Add(time.Duration(i) * time.Second); !s.CheckedAt.Equal(want) {
			t.Fatalf("result %d at %v, want %v (order or loss)", i, s.CheckedAt, want)
		}
	}
	if err := w.Write(context.Background(), r); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("Write after Close = %v", err)
	}
}

// Close with a database that never answers reports what it could not
// write.
func TestWriterCloseReportsUnwritten(t *testing.T) {
	t.Parallel()
	w, err := (&Store{log: discard()}).NewWriter(WriterConfig{FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w.write = func(context.Context, []Result) error { return errors.New("database unavailable") }
	for i := range 5 {
		r := Result{TenantID: "ten_a", MonitorID: "mon_1", Status: probe.StatusDown,
			CheckedAt: time.Unix(int64(i), 0)}
		if err := w.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); err == nil || err.Error()[:1] != "5" {
		t.Fatalf("Close = %v, want 5 results not written", err)
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"ééé", 2, "éé"},
		{"a\x00b", 5, "ab"},
		{"a\xffb", 5, "a\uFFFDb"},
	} {
		if got := clip(c.in, c.n); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestHistogramEdges(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		us   int64
		want int
	}{{0, 0}, {1, 0}, {2, 4}, {3, 6}, {1000, 39}, {1 << 27, 108}, {1 << 40, histBuckets - 1}} {
		if got := histIndex(c.us); got != c.want {
			t.Errorf("histIndex(%d) = %d, want %d", c.us, got, c.want)
		}
	}
	var s Summary
	for us := int64(1000); us <= 100_000; us += 1000 {
		s.add("up", us, false)
	}
	if got := s.LatencyBins(); len(got) != histIndex(100_000)+1 {
		t.Errorf("%d bins, want %d", len(got), histIndex(100_000)+1)
	}
	var back Summary
	if err := back.setHist([]byte(s.histJSON())); err != nil || back.hist != s.hist {
		t.Errorf("histogram does not survive storage: %v", err)
	}
}
