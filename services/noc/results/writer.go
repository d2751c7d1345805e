package results

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
	// BatchSize is the most rows one write carries; a full batch is
	// written at once. Default 1000.
	BatchSize int
	// FlushInterval is the longest a result waits to be written. Default 1s.
	FlushInterval time.Duration
	// MaxPending bounds the results held in memory; Write blocks while
	// that many wait (backpressure). Default 50,000.
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
		return opsward.Errorf(opsward.EINVALID, "results writer: MaxPending (%d) is below BatchSize (%d)", c.MaxPending, c.BatchSize)
	}
	return nil
}

// ErrWriterClosed is returned by Write after Close.
var ErrWriterClosed = errors.New("results writer is closed")

// Writer collects results and writes them in batches from one goroutine.
// A batch that fails stays at the head of the queue and is retried with
// backoff; nothing is dropped. Close writes what is left.
type Writer struct {
	s     *Store
	cfg   WriterConfig
	log   *slog.Logger
	write func(context.Context, []Result) error

	mu      sync.Mutex
	pending []Result
	space   chan struct{} // closed when rows leave the queue
	closed  bool
	days    map[string]bool // days whose partition is known to exist

	kick    chan struct{}
	flushes chan chan error
	stop    chan struct{}
	done    chan struct{}

	written, failures atomic.Int64
}

// WriterStats are a Writer's counters.
type WriterStats struct {
	Written  int64 // rows stored
	Pending  int   // rows waiting
	Failures int64 // batch writes that failed (and were retried)
}

// NewWriter starts a Writer on s.
func (s *Store) NewWriter(cfg WriterConfig) (*Writer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Writer{
		s: s, cfg: cfg, log: s.log.With("component", "results writer"),
		space: make(chan struct{}), days: map[string]bool{},
		kick: make(chan struct{}, 1), flushes: make(chan chan error),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	w.write = w.writeBatch
	go w.run()
	return w, nil
}

// Write queues r. It blocks while the queue is full, until ctx ends.
func (w *Writer) Write(ctx context.Context, r Result) error {
	r, err := normalize(r)
	if err != nil {
		return err
	}
	for {
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return ErrWriterClosed
		}
		if len(w.pending) < w.cfg.MaxPending {
			w.pending = append(w.pending, r)
			full := len(w.pending) >= w.cfg.BatchSize
			w.mu.Unlock()
			if full {
				select {
				case w.kick <- struct{}{}:
				default:
				}
			}
			return nil
		}
		space := w.space
		w.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return fmt.Errorf("results writer is full: %w", context.Cause(ctx))
		}
	}
}

// Flush writes everything queued now and returns the first error; rows of
// a failed batch stay queued for the retry.
func (w *Writer) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case w.flushes <- reply:
	case <-w.done:
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

// Close stops taking results and writes the rest, retrying until ctx
// ends; then it says how many results were not written.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	already := w.closed
	w.closed = true
	w.mu.Unlock()
	if already {
		return ErrWriterClosed
	}
	defer func() {
		close(w.stop)
		<-w.done
	}()
	backoff := 100 * time.Millisecond
	for {
		err := w.Flush(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			n := w.Stats().Pending
			w.log.Error("results not written at close", "count", n, "error", err)
			return fmt.Errorf("%d check results not written: %w", n, err)
		case <-time.After(backoff):
			backoff = min(2*backoff, w.cfg.MaxBackoff)
		}
	}
}

// Stats returns the counters.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	n := len(w.pending)
	w.mu.Unlock()
	return WriterStats{Written: w.written.Load(), Pending: n, Failures: w.failures.Load()}
}

func (w *Writer) run() {
	defer close(w.done)
	t := time.NewTicker(w.cfg.FlushInterval)
	defer t.Stop()
	var (
		backoff time.Duration
		retryAt time.Time
	)
	drain := func(force bool) error {
		if !force && time.Now().Before(retryAt) {
			return nil
		}
		err := w.drain()
		if err == nil {
			backoff, retryAt = 0, time.Time{}
			return nil
		}
		backoff = min(max(2*backoff, 250*time.Millisecond), w.cfg.MaxBackoff)
		retryAt = time.Now().Add(backoff)
		w.log.Error("check results batch failed; retrying", "error", err, "retry_in", backoff, "pending", w.Stats().Pending)
		return err
	}
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			drain(false)
		case <-w.kick:
			drain(false)
		case reply := <-w.flushes:
			reply <- drain(true)
		}
	}
}

// drain writes batches until the queue is empty or a batch fails.
func (w *Writer) drain() error {
	for {
		w.mu.Lock()
		n := min(len(w.pending), w.cfg.BatchSize)
		batch := append([]Result(nil), w.pending[:n]...)
		w.mu.Unlock()
		if n == 0 {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := w.write(ctx, batch)
		cancel()
		if err != nil {
			w.failures.Add(1)
			return err
		}
		w.written.Add(int64(n))
		w.mu.Lock()
		k := copy(w.pending, w.pending[n:])
		clear(w.pending[k:])
		w.pending = w.pending[:k]
		close(w.space)
		w.space = make(chan struct{})
		w.mu.Unlock()
	}
}

// writeBatch makes the partitions of days near now that the batch needs
// (rows of other days land in the default partition) and writes it.
func (w *Writer) writeBatch(ctx context.Context, batch []Result) error {
	if w.s.pg() {
		now := time.Now().UTC()
		for _, r := range batch {
			day := r.CheckedAt.Format(time.DateOnly)
			if w.days[day] || r.CheckedAt.Before(now.Add(-48*time.Hour)) || r.CheckedAt.After(now.Add(48*time.Hour)) {
				continue
			}
			// Today and the next two days at once, so that midnight finds
			// its partition made.
			if _, err := w.s.EnsurePartitions(ctx, r.CheckedAt, 3); err != nil {
				return err
			}
			for i := range 3 {
				w.days[r.CheckedAt.AddDate(0, 0, i).Format(time.DateOnly)] = true
			}
		}
	}
	return w.s.insert(ctx, batch)
}
