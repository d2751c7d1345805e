package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// JobArgs is the typed payload of one job kind. Kind names the kind; the
// value itself is stored as JSON.
type JobArgs interface {
	Kind() string
}

// JobRow is what every job carries besides its arguments.
type JobRow struct {
	ID       string
	TenantID string
	Kind     string
	// Attempt counts from 1 for the first run.
	Attempt     int
	MaxAttempts int
	// ScheduleID is set on runs fired by a recurring schedule.
	ScheduleID string
	// DueAt is when the job was meant to start: its schedule slot, its run
	// at time or its last retry time; zero for jobs run as soon as possible.
	DueAt      time.Time
	EnqueuedAt time.Time
	DedupKey   string
	// Payload is the JSON the arguments were decoded from.
	Payload json.RawMessage
}

// Job is one run of a job of kind T.
type Job[T JobArgs] struct {
	*JobRow
	Args T
}

// Worker handles jobs of one kind. Work must respect ctx (it is cancelled
// when the worker shuts down and runs over its deadline), must be
// idempotent (delivery is at least once), and says how it wants to be
// retried through its error: nil completes the job, JobSnooze runs it again
// later without counting an attempt, JobCancel stops retrying, any other
// error retries with backoff until the attempts run out.
type Worker[T JobArgs] interface {
	Work(ctx context.Context, job *Job[T]) error
}

// WorkFunc adapts a function to Worker.
type WorkFunc[T JobArgs] func(ctx context.Context, job *Job[T]) error

// Work calls f.
func (f WorkFunc[T]) Work(ctx context.Context, job *Job[T]) error { return f(ctx, job) }

// Workers maps each job kind to its one handler.
type Workers struct {
	byKind map[string]func(ctx context.Context, row *JobRow) error
}

// NewWorkers returns an empty registry.
func NewWorkers() *Workers {
	return &Workers{byKind: map[string]func(ctx context.Context, row *JobRow) error{}}
}

// AddWorker registers the handler of kind T. It panics when T's kind is
// invalid or already has a handler: both are programming errors found at
// start-up.
func AddWorker[T JobArgs](ws *Workers, w Worker[T]) {
	var zero T
	kind := zero.Kind()
	if err := validKind(kind); err != nil {
		panic(err)
	}
	if _, dup := ws.byKind[kind]; dup {
		panic(fmt.Sprintf("dispatch: a worker for kind %q is already registered", kind))
	}
	ws.byKind[kind] = func(ctx context.Context, row *JobRow) error {
		var args T
		if len(row.Payload) > 0 {
			if err := json.Unmarshal(row.Payload, &args); err != nil {
				return JobCancel(fmt.Errorf("decode %s payload: %w", kind, err))
			}
		}
		return w.Work(ctx, &Job[T]{JobRow: row, Args: args})
	}
}

// AddWorkerFunc registers a function as the handler of kind T.
func AddWorkerFunc[T JobArgs](ws *Workers, f func(ctx context.Context, job *Job[T]) error) {
	AddWorker[T](ws, WorkFunc[T](f))
}

// Kinds lists the registered kinds.
func (ws *Workers) Kinds() []string {
	out := make([]string, 0, len(ws.byKind))
	for k := range ws.byKind {
		out = append(out, k)
	}
	return out
}

type snoozeError struct{ d time.Duration }

func (e *snoozeError) Error() string { return fmt.Sprintf("snoozed for %s", e.d) }

// JobSnooze asks for the job to run again after d without counting an
// attempt (for example, a rate-limited remote said "come back later").
func JobSnooze(d time.Duration) error { return &snoozeError{d: max(d, 0)} }

type cancelError struct{ err error }

func (e *cancelError) Error() string { return "cancelled: " + e.err.Error() }
func (e *cancelError) Unwrap() error { return e.err }

// JobCancel stops the job for good: it goes to the dead-letter queue at
// once, where an admin can still retry it.
func JobCancel(err error) error {
	if err == nil {
		err = errors.New("cancelled by handler")
	}
	return &cancelError{err: err}
}

type ackAfterError struct{ done <-chan struct{} }

func (e *ackAfterError) Error() string { return "acknowledged once its work is durable" }

// JobAckAfter completes the job once done is closed: the handler has
// finished, but what it wrote is not durable yet (a batched write that
// commits within milliseconds). The worker's slot is free at once; the job
// stays in flight, kept by this worker's heartbeat, and is acknowledged
// when done closes. If the process dies first, the job is reclaimed after
// the visibility timeout and runs again: the handler must recognise a run
// whose work was stored and not do it twice.
func JobAckAfter(done <-chan struct{}) error { return &ackAfterError{done: done} }

// AckAfterOf returns the channel of a JobAckAfter error, for callers that
// run a handler themselves and wait for its work to be durable.
func AckAfterOf(err error) (<-chan struct{}, bool) {
	var a *ackAfterError
	if errors.As(err, &a) {
		return a.done, true
	}
	return nil, false
}

// envelope is the stored message of a job. Field order matters: scripts
// find the kind at the start of the message.
type envelope struct {
	Kind     string          `json:"k"`
	Payload  json.RawMessage `json:"p,omitempty"`
	Sched    string          `json:"s,omitempty"`
	Due      int64           `json:"d,omitempty"`
	Enqueued int64           `json:"t,omitempty"`
	Max      int             `json:"m,omitempty"`
	Dedup    string          `json:"u,omitempty"`
}

// backoff returns the wait before attempt+1 after attempt failures:
// exponential, capped, with "equal jitter" (half fixed, half random) so
// that jobs failing together do not retry together.
func backoff(base, maxDelay time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	half := d / 2
	return half + rand.N(half+1)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}
