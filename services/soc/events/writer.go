package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsward/opsward"
)

// WriterConfig tunes a Writer.
type WriterConfig struct {
	// BatchSize is the most events one write carries; a full batch is
	// written at once. Default 1000.
	BatchSize int
	// FlushInterval is the longest an event waits to be written. Default 1s.
	FlushInterval time.Duration
	// MaxPending bounds the events held in memory; Write blocks while that
	// many wait (backpressure). Default 50,000.
	MaxPending int
	// MaxBackoff is the longest wait between retries of a failed batch.
	// Default 30s.
	MaxBackoff time.Duration
}

// WithDefaults fills unset fields.
func (c WriterConfig) WithDefaults() WriterConfig {
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Second
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 50_000
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	return c
}

// Validate reports a setting that cannot work.
func (c WriterConfig) Validate() error {
	if c.MaxPending < c.BatchSize {
		return opsward.Errorf(opsward.EINVALID, "event writer: MaxPending (%d) is below BatchSize (%d)", c.MaxPending, c.BatchSize)
	}
	return nil
}

// ErrWriterClosed is returned by Write after Close.
var ErrWriterClosed = errors.New("security event writer is closed")

// WriterStats are a Writer's counters.
type WriterStats struct {
	Written  int64 // events stored
	Pending  int   // events waiting
	Failures int64 // batch writes that failed (and were retried)
}

// Writer collects events and writes them in batches from one goroutine. A
// batch is one transaction; one that fails stays at the head of the queue
// and is retried with backoff, so nothing accepted is dropped. Close
// writes what is left.
type Writer struct {
	b    *batcher[Event]
	s    *Store
	days map[string]bool // days whose partition is known to exist; the batch goroutine's
}

// NewWriter starts a Writer on s.
func (s *Store) NewWriter(cfg WriterConfig) (*Writer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Writer{s: s, days: map[string]bool{}}
	w.b = newBatcher(cfg, s.log.With("component", "security event writer"), w.writeBatch)
	return w, nil
}

// Write checks e, bounds it (see FromMap) and queues it. It blocks while
// the queue is full, until ctx ends. An event without an id gets one here.
func (w *Writer) Write(ctx context.Context, e Event) error {
	e, err := e.prepare()
	if err != nil {
		return err
	}
	return w.b.add(ctx, e)
}

// Flush writes everything queued now and returns the first error; events
// of a failed batch stay queued for the retry.
func (w *Writer) Flush(ctx context.Context) error { return w.b.flush(ctx) }

// Close stops taking events and writes the rest, retrying until ctx ends;
// then it says how many events were not written.
func (w *Writer) Close(ctx context.Context) error { return w.b.close(ctx) }

// Stats returns the counters.
func (w *Writer) Stats() WriterStats { return w.b.stats() }

// writeBatch makes the partitions of days near now that the batch needs
// (events of other days land in the default partition) and writes it.
func (w *Writer) writeBatch(ctx context.Context, batch []Event) error {
	if w.s.pg() {
		now := time.Now().UTC()
		for _, e := range batch {
			day := e.Time.Format(time.DateOnly)
			if w.days[day] || e.Time.Before(now.Add(-48*time.Hour)) || e.Time.After(now.Add(48*time.Hour)) {
				continue
			}
			// That day and the next two at once, so that midnight finds its
			// partition made.
			if _, err := w.s.EnsurePartitions(ctx, e.Time, 3); err != nil {
				return err
			}
			for i := range 3 {
				w.days[e.Time.AddDate(0, 0, i).Format(time.DateOnly)] = true
			}
		}
	}
	return w.s.insert(ctx, batch)
}

// batcher queues items and hands them, in order, to write in batches from
// one goroutine, with backpressure and retries. It knows nothing of
// events, so that it could serve any bulk writer.
type batcher[T any] struct {
	cfg   WriterConfig
	log   *slog.Logger
	write func(context.Context, []T) error

	mu      sync.Mutex
	pending []T
	space   chan struct{} // closed when items leave the queue
	closed  bool

	kick    chan struct{}
	flushes chan chan error
	stop    chan struct{}
	done    chan struct{}

	written, failures atomic.Int64
}

func newBatcher[T any](cfg WriterConfig, log *slog.Logger, write func(context.Context, []T) error) *batcher[T] {
	b := &batcher[T]{cfg: cfg, log: log, write: write, space: make(chan struct{}),
		kick: make(chan struct{}, 1), flushes: make(chan chan error),
		stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

func (b *batcher[T]) add(ctx context.Context, v T) error {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return ErrWriterClosed
		}
		if len(b.pending) < b.cfg.MaxPending {
			b.pending = append(b.pending, v)
			full := len(b.pending) >= b.cfg.BatchSize
			b.mu.Unlock()
			if full {
				select {
				case b.kick <- struct{}{}:
				default:
				}
			}
			return nil
		}
		space := b.space
		b.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return fmt.Errorf("security event writer is full: %w", context.Cause(ctx))
		}
	}
}

func (b *batcher[T]) flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case b.flushes <- reply:
	case <-b.done:
		return ErrWriterClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher[T]) close(ctx context.Context) error {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	b.mu.Unlock()
	if already {
		return ErrWriterClosed
	}
	defer func() {
		close(b.stop)
		<-b.done
	}()
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, b.cfg.MaxBackoff) {
		err := b.flush(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			n := b.stats().Pending
			b.log.Error("security events not written at close", "count", n, "error", err)
			return fmt.Errorf("%d security events not written: %w", n, err)
		case <-time.After(backoff):
		}
	}
}

func (b *batcher[T]) stats() WriterStats {
	b.mu.Lock()
	n := len(b.pending)
	b.mu.Unlock()
	return WriterStats{Written: b.written.Load(), Pending: n, Failures: b.failures.Load()}
}

func (b *batcher[T]) run() {
	defer close(b.done)
	t := time.NewTicker(b.cfg.FlushInterval)
	defer t.Stop()
	var (
		backoff time.Duration
		retryAt time.Time
	)
	drain := func(force bool) error {
		if !force && time.Now().Before(retryAt) {
			return nil
		}
		err := b.drain()
		if err == nil {
			backoff, retryAt = 0, time.Time{}
			return nil
		}
		backoff = min(max(2*backoff, 250*time.Millisecond), b.cfg.MaxBackoff)
		retryAt = time.Now().Add(backoff)
		b.log.Error("security event batch failed; retrying", "error", err, "retry_in", backoff, "pending", b.stats().Pending)
		return err
	}
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			drain(false)
		case <-b.kick:
			drain(false)
		case reply := <-b.flushes:
			reply <- drain(true)
		}
	}
}

// drain writes batches until the queue is empty or a batch fails.
func (b *batcher[T]) drain() error {
	for {
		b.mu.Lock()
		n := min(len(b.pending), b.cfg.BatchSize)
		batch := append([]T(nil), b.pending[:n]...)
		b.mu.Unlock()
		if n == 0 {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := b.write(ctx, batch)
		cancel()
		if err != nil {
			b.failures.Add(1)
			return err
		}
		b.written.Add(int64(n))
		b.mu.Lock()
		// Dropped from the front: append moves the rest to a new array
		// when it needs room, so no batch copies the whole queue.
		clear(b.pending[:n])
		b.pending = b.pending[n:]
		close(b.space)
		b.space = make(chan struct{})
		b.mu.Unlock()
	}
}
