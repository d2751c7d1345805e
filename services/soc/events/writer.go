package events

import (
	"context"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/batch"
)

// WriterConfig tunes a Writer (see batch.Config).
type WriterConfig = batch.Config

// ErrWriterClosed is returned by Write after Close.
var ErrWriterClosed = batch.ErrClosed

// WriterStats are a Writer's counters.
type WriterStats = batch.Stats

// Writer collects events and writes them in batches from one goroutine. A
// batch is one transaction; one that fails stays at the head of the queue
// and is retried with backoff, so nothing accepted is dropped. Close
// writes what is left.
type Writer struct {
	b     *batch.Batcher[Event]
	write func(context.Context, []Event) error // the table's write; tests replace it
}

// NewWriter starts a Writer on s.
func (s *Store) NewWriter(cfg WriterConfig) (*Writer, error) {
	// The table's write: partitions near now that a batch needs, then
	// the rows on the privileged path.
	w := &Writer{write: s.rows.Writer()}
	var err error
	if w.b, err = batch.New(cfg, "security events", s.log.With("component", "security event writer"),
		func(ctx context.Context, b []Event) error { return w.write(ctx, b) }); err != nil {
		return nil, opsward.Errorf(opsward.EINVALID, "%v", err)
	}
	return w, nil
}

// Write checks e, bounds it (see FromMap) and queues it. It blocks while
// the queue is full, until ctx ends. An event without an id gets one here.
func (w *Writer) Write(ctx context.Context, e Event) error {
	e, err := e.prepare()
	if err != nil {
		return err
	}
	return w.b.Add(ctx, e)
}

// Flush writes everything queued now and returns the first error; events
// of a failed batch stay queued for the retry.
func (w *Writer) Flush(ctx context.Context) error { return w.b.Flush(ctx) }

// Close stops taking events and writes the rest, retrying until ctx ends;
// then it says how many events were not written.
func (w *Writer) Close(ctx context.Context) error { return w.b.Close(ctx) }

// Stats returns the counters.
func (w *Writer) Stats() WriterStats { return w.b.Stats() }
