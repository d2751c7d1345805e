// Package batch is the bulk store of time-series rows (check results,
// security events, usage events, flow records), in two halves.
//
// The queue: a Batcher takes items and hands them, in order, to a write
// function in batches from one goroutine, with backpressure when the
// queue is full and retries with backoff when a batch fails, so that
// nothing accepted is dropped; Close writes what is left.
//
// The table: a Store, described by a small Table spec (name, columns, the
// time it is kept by, how a row is encoded), writes rows with COPY through
// a staging table on Postgres (COPY FROM is refused into a table under
// row-level security) and multi-row INSERTs on SQLite or in a caller's
// transaction; keeps daily partitions made ahead of the rows that need
// them (Partitions); drops them by age and deletes one tenant's rows for a
// plan that keeps less. Rows already stored are kept as they are, so that
// a batch can be retried.
//
// It knows nothing of what the rows mean, must never drop an item it took,
// and never reads for a caller: reads stay with the domain packages, which
// scope them to the acting tenant (ActorTenant).
package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Config tunes a Batcher.
type Config struct {
	// BatchSize is the most items one write carries; a full batch is
	// written at once. Default 1000.
	BatchSize int
	// FlushInterval is the longest an item waits to be written. Default 1s.
	FlushInterval time.Duration
	// MaxPending bounds the items held in memory; Add blocks while that
	// many wait (backpressure). Default 50,000.
	MaxPending int
	// MaxBackoff is the longest wait between retries of a failed batch.
	// Default 30s.
	MaxBackoff time.Duration
	// SyncLinger is the longest an item added with AddSync waits for more
	// company before its batch is written (group commit). Default 10ms.
	SyncLinger time.Duration
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
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
	if c.SyncLinger <= 0 {
		c.SyncLinger = 10 * time.Millisecond
	}
	return c
}

// Validate reports a setting that cannot work; what names the writer.
func (c Config) Validate(what string) error {
	if c.MaxPending < c.BatchSize {
		return fmt.Errorf("%s writer: MaxPending (%d) is below BatchSize (%d)", what, c.MaxPending, c.BatchSize)
	}
	return nil
}

// ErrClosed is returned by Add and Flush after Close.
var ErrClosed = errors.New("the writer is closed")

// Stats are a Batcher's counters.
type Stats struct {
	Written  int64 // items stored
	Pending  int   // items waiting
	Failures int64 // batch writes that failed (and were retried)
}

// Batcher queues items and hands them, in order, to write in batches from
// one goroutine, with backpressure and retries.
type Batcher[T any] struct {
	cfg   Config
	what  string // "check results", "security events": for messages
	log   *slog.Logger
	write func(context.Context, []T) error

	mu      sync.Mutex
	pending []T
	space   chan struct{} // closed when items leave the queue
	closed  bool
	// added and removed count items ever queued and ever written; an item
	// queued as number n is durable once removed > n. waiters are the
	// AddSync items not yet written, in order.
	added, removed int64
	waiters        []waiter

	kick    chan struct{}
	soon    chan struct{} // an AddSync item waits: write within SyncLinger
	flushes chan chan error
	stop    chan struct{}
	done    chan struct{}

	written, failures atomic.Int64
}

// New starts a Batcher that writes batches with write; what names the
// items in messages ("check results").
func New[T any](cfg Config, what string, log *slog.Logger, write func(context.Context, []T) error) (*Batcher[T], error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(what); err != nil {
		return nil, err
	}
	b := &Batcher[T]{cfg: cfg, what: what, log: log, write: write, space: make(chan struct{}),
		kick: make(chan struct{}, 1), soon: make(chan struct{}, 1), flushes: make(chan chan error),
		stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b, nil
}

type waiter struct {
	seq  int64
	done chan struct{}
}

// Add queues v. It blocks while the queue is full, until ctx ends.
func (b *Batcher[T]) Add(ctx context.Context, v T) error {
	_, err := b.add(ctx, v, false)
	return err
}

// AddSync queues v like Add and returns a channel closed once v is
// written: for callers that may say "done" only when their item is
// durable (a check's job is acknowledged after its result is stored). Its
// batch is written within SyncLinger, with whatever else is queued. The
// channel stays open while the write fails (the batch is retried), and
// for good if the Batcher closes without writing it.
func (b *Batcher[T]) AddSync(ctx context.Context, v T) (<-chan struct{}, error) {
	return b.add(ctx, v, true)
}

func (b *Batcher[T]) add(ctx context.Context, v T, sync bool) (<-chan struct{}, error) {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return nil, ErrClosed
		}
		if len(b.pending) < b.cfg.MaxPending {
			b.pending = append(b.pending, v)
			var done chan struct{}
			if sync {
				done = make(chan struct{})
				b.waiters = append(b.waiters, waiter{seq: b.added, done: done})
			}
			b.added++
			full := len(b.pending) >= b.cfg.BatchSize
			b.mu.Unlock()
			wake := b.soon
			if full {
				wake = b.kick
			}
			if full || sync {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
			return done, nil
		}
		space := b.space
		b.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return nil, fmt.Errorf("the %s writer is full: %w", b.what, context.Cause(ctx))
		}
	}
}

// Flush writes everything queued now and returns the first error; items
// of a failed batch stay queued for the retry.
func (b *Batcher[T]) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case b.flushes <- reply:
	case <-b.done:
		return ErrClosed
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

// Close stops taking items and writes the rest, retrying until ctx ends;
// then it says how many were not written.
func (b *Batcher[T]) Close(ctx context.Context) error {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	b.mu.Unlock()
	if already {
		return ErrClosed
	}
	defer func() {
		close(b.stop)
		<-b.done
	}()
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, b.cfg.MaxBackoff) {
		err := b.Flush(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			n := b.Stats().Pending
			b.log.Error(b.what+" not written at close", "count", n, "error", err)
			return fmt.Errorf("%d %s not written: %w", n, b.what, err)
		case <-time.After(backoff):
		}
	}
}

// Stats returns the counters.
func (b *Batcher[T]) Stats() Stats {
	b.mu.Lock()
	n := len(b.pending)
	b.mu.Unlock()
	return Stats{Written: b.written.Load(), Pending: n, Failures: b.failures.Load()}
}

func (b *Batcher[T]) run() {
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
		b.log.Error(b.what+" batch failed; retrying", "error", err, "retry_in", backoff, "pending", b.Stats().Pending)
		return err
	}
	var linger <-chan time.Time // armed while an AddSync item waits
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			drain(false)
		case <-b.kick:
			drain(false)
		case <-b.soon:
			if linger == nil {
				linger = time.After(b.cfg.SyncLinger)
			}
		case <-linger:
			// A failed write is retried at the ticker's pace, after the
			// backoff; its waiters wait on.
			linger = nil
			drain(false)
		case reply := <-b.flushes:
			reply <- drain(true)
		}
	}
}

// drain writes batches until the queue is empty or a batch fails.
func (b *Batcher[T]) drain() error {
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
		b.removed += int64(n)
		k := 0
		for k < len(b.waiters) && b.waiters[k].seq < b.removed {
			close(b.waiters[k].done)
			k++
		}
		b.waiters = b.waiters[k:]
		close(b.space)
		b.space = make(chan struct{})
		b.mu.Unlock()
	}
}

// Partitions remembers which days have their partition made, and makes
// those a batch needs near now (today and the next two at once, so that
// midnight finds its partition; rows of other days land in the default
// partition). It belongs to the one goroutine that writes.
type Partitions struct {
	// Make makes the partitions of days days from the day of from.
	Make func(ctx context.Context, from time.Time, days int) (int, error)
	days map[string]bool
}

// Ensure makes the partition of t's day (and the two after) unless known.
func (p *Partitions) Ensure(ctx context.Context, t time.Time, now time.Time) error {
	day := t.Format(time.DateOnly)
	if p.days[day] || t.Before(now.Add(-48*time.Hour)) || t.After(now.Add(48*time.Hour)) {
		return nil
	}
	if _, err := p.Make(ctx, t, 3); err != nil {
		return err
	}
	if p.days == nil {
		p.days = map[string]bool{}
	}
	for i := range 3 {
		p.days[t.AddDate(0, 0, i).Format(time.DateOnly)] = true
	}
	return nil
}
