package events

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"
)

func fakeWriter(t *testing.T, cfg WriterConfig, write func(context.Context, []Event) error) *Writer {
	t.Helper()
	w, err := (&Store{log: slog.New(slog.DiscardHandler)}).NewWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.write = write
	return w
}

// A failed batch is retried until it is stored, never dropped, and a full
// queue makes Write wait.
func TestWriterRetriesAndBackpressure(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		fails  = 3
		stored []Event
	)
	w := fakeWriter(t, WriterConfig{BatchSize: 10, MaxPending: 20, FlushInterval: 5 * time.Millisecond,
		MaxBackoff: 20 * time.Millisecond}, func(_ context.Context, b []Event) error {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			return errors.New("database unavailable")
		}
		stored = append(stored, b...)
		return nil
	})
	ev := Event{TenantID: "ten_a"}
	at := func(i int) Event { ev.Time = base.Add(time.Duration(i) * time.Second); return ev }

	// While the first writes fail, the queue fills and Write waits.
	mu.Lock()
	for i := range 20 {
		if err := w.Write(context.Background(), at(i)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	if err := w.Write(ctx, at(1000)); err == nil {
		t.Error("Write did not wait on a full queue")
	}
	cancel()
	mu.Unlock()

	for i := 20; i < 100; i++ {
		if err := w.Write(context.Background(), at(i)); err != nil {
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
		if !s.Time.Equal(at(i).Time) || s.ID == "" {
			t.Fatalf("event %d at %v (id %q), want %v: order or loss", i, s.Time, s.ID, at(i).Time)
		}
	}
	if err := w.Write(context.Background(), at(0)); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("Write after Close = %v", err)
	}
	if err := w.Close(context.Background()); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("second Close = %v", err)
	}
}

// Close with a database that never answers reports what it could not
// write; a bad event is refused at Write, before it can block a batch.
func TestWriterCloseReportsUnwritten(t *testing.T) {
	t.Parallel()
	w := fakeWriter(t, WriterConfig{FlushInterval: time.Hour}, func(context.Context, []Event) error {
		return errors.New("database unavailable")
	})
	if err := w.Write(context.Background(), Event{TenantID: "ten_a"}); err == nil {
		t.Error("an event without a time was queued")
	}
	for i := range 5 {
		if err := w.Write(context.Background(), Event{TenantID: "ten_a", Time: base.Add(time.Duration(i))}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); err == nil || err.Error()[:2] != "5 " {
		t.Fatalf("Close = %v, want 5 events not written", err)
	}
}

func TestWriterConfig(t *testing.T) {
	t.Parallel()
	if _, err := (&Store{log: slog.New(slog.DiscardHandler)}).NewWriter(WriterConfig{BatchSize: 100, MaxPending: 10}); err == nil {
		t.Error("MaxPending below BatchSize accepted")
	}
}
