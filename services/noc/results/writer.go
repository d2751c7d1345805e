package results

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

// Writer collects results and writes them in batches from one goroutine.
// A batch that fails stays at the head of the queue and is retried with
// backoff; nothing is dropped. Close writes what is left.
type Writer struct {
	b     *batch.Batcher[Result]
	write func(context.Context, []Result) error // the table's write; tests replace it
}

// NewWriter starts a Writer on s.
func (s *Store) NewWriter(cfg WriterConfig) (*Writer, error) {
	// The table's write: partitions near now that a batch needs, then
	// the rows on the privileged path.
	w := &Writer{write: s.rows.Writer()}
	var err error
	if w.b, err = batch.New(cfg, "check results", s.log.With("component", "results writer"),
		func(ctx context.Context, b []Result) error { return w.write(ctx, b) }); err != nil {
		return nil, opsward.Errorf(opsward.EINVALID, "%v", err)
	}
	return w, nil
}

// Write queues r. It blocks while the queue is full, until ctx ends.
func (w *Writer) Write(ctx context.Context, r Result) error {
	r, err := normalize(r)
	if err != nil {
		return err
	}
	return w.b.Add(ctx, r)
}

// WriteSync queues r like Write and returns a channel closed once r is
// stored (within the writer's SyncLinger, batched with whatever else is
// queued): a check's job is acknowledged only then.
func (w *Writer) WriteSync(ctx context.Context, r Result) (<-chan struct{}, error) {
	r, err := normalize(r)
	if err != nil {
		return nil, err
	}
	return w.b.AddSync(ctx, r)
}

// Flush writes everything queued now and returns the first error; rows of
// a failed batch stay queued for the retry.
func (w *Writer) Flush(ctx context.Context) error { return w.b.Flush(ctx) }

// Close stops taking results and writes the rest, retrying until ctx
// ends; then it says how many results were not written.
func (w *Writer) Close(ctx context.Context) error { return w.b.Close(ctx) }

// Stats returns the counters.
func (w *Writer) Stats() WriterStats { return w.b.Stats() }
