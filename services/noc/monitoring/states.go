package monitoring

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/tenants"
)

// stateWriter saves the state of checks that changed nothing but the
// monitor's own row (no incident opened or closed, no signal) in batches:
// one UPDATE for hundreds of monitors instead of one per check, which is
// what lets a worker keep up with thousands of monitors. The monitor cache
// already holds the new state, so the next check reads it from memory.
//
// Each row is written only if the monitor still has the version the state
// was computed from; a monitor changed meanwhile (an edit, a pause,
// another worker) keeps its row, and its cached copy is dropped so that
// the next check reads it again. At worst a crash loses the last second
// of streak counters, never a transition: those are written at once, in
// the transaction of the incident they open or close.
type stateWriter struct {
	s *Service

	mu      sync.Mutex
	pending map[string]*pendingState // by monitor id
	// flushing is held for a whole flush, so that one called while the
	// background flush writes returns after that write, not before.
	flushing sync.Mutex
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	started  sync.Once
}

type pendingState struct {
	base int64 // the version the stored row must have
	next *ent.Monitor
}

const (
	stateFlushEvery = 500 * time.Millisecond
	stateBatch      = 500
)

func (w *stateWriter) start() {
	w.started.Do(func() {
		w.pending = map[string]*pendingState{}
		w.kick = make(chan struct{}, 1)
		w.stop = make(chan struct{})
		w.done = make(chan struct{})
		go w.run()
	})
}

// add queues the state of a monitor whose stored version is base.
func (w *stateWriter) add(base int64, next *ent.Monitor) {
	w.start()
	w.mu.Lock()
	if p, ok := w.pending[next.ID]; ok {
		p.next = next // checked twice before a flush: keep the first base
	} else {
		w.pending[next.ID] = &pendingState{base: base, next: next}
	}
	full := len(w.pending) >= stateBatch
	w.mu.Unlock()
	if full {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// take removes and returns the pending state of one monitor.
func (w *stateWriter) take(id string) *pendingState {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.pending[id]
	delete(w.pending, id)
	return p
}

// drop forgets a monitor's pending state (it was edited here).
func (w *stateWriter) drop(id string) { w.take(id) }

func (w *stateWriter) run() {
	defer close(w.done)
	t := time.NewTicker(stateFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			w.flush(context.Background())
			return
		case <-t.C:
		case <-w.kick:
		}
		w.flush(context.Background())
	}
}

// flush writes what is pending; a failed batch stays pending for the next
// round unless a newer state replaced it.
func (w *stateWriter) flush(ctx context.Context) {
	w.flushing.Lock()
	defer w.flushing.Unlock()
	w.mu.Lock()
	batch := make([]*pendingState, 0, len(w.pending))
	for _, p := range w.pending {
		batch = append(batch, p)
	}
	w.pending = map[string]*pendingState{}
	w.mu.Unlock()
	for len(batch) > 0 {
		n := min(len(batch), stateBatch)
		if err := w.write(ctx, batch[:n]); err != nil {
			w.s.log.WarnContext(ctx, "save monitor states; retrying", "count", n, "err", err)
			w.mu.Lock()
			for _, p := range batch {
				if _, newer := w.pending[p.next.ID]; !newer {
					w.pending[p.next.ID] = p
				}
			}
			w.mu.Unlock()
			return
		}
		batch = batch[n:]
	}
}

// Close writes what is pending and stops.
func (w *stateWriter) Close() {
	w.mu.Lock()
	started := w.stop != nil
	w.mu.Unlock()
	if !started {
		return
	}
	close(w.stop)
	<-w.done
}

// write saves a batch in one statement. It runs on the privileged path
// (the batch spans tenants) and names each row by tenant, id and version.
func (w *stateWriter) write(ctx context.Context, batch []*pendingState) error {
	ctx = tenants.Privileged(ctx, "save monitor states")
	const cols = 13
	var sb strings.Builder
	args := make([]any, 0, len(batch)*cols)
	pg := w.s.DB.Dialect == "postgres"
	for i, p := range batch {
		m := p.next
		if i > 0 {
			sb.WriteString(", ")
		}
		b := i * cols
		if pg {
			fmt.Fprintf(&sb, "($%d, $%d, $%d::bigint, $%d::bigint, $%d, $%d::boolean, $%d::bytea, $%d::bytea, $%d::timestamptz, $%d::bigint, $%d, $%d, $%d::timestamptz)",
				b+1, b+2, b+3, b+4, b+5, b+6, b+7, b+8, b+9, b+10, b+11, b+12, b+13)
		} else {
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
				b+1, b+2, b+3, b+4, b+5, b+6, b+7, b+8, b+9, b+10, b+11, b+12, b+13)
		}
		args = append(args, m.TenantID, m.ID, p.base, m.Version, string(m.Status), m.Flapping, m.Machine, m.ProbeState,
			m.LastCheckedAt, m.LastLatencyUs, m.LastReason, m.LastMessage, m.StatusSince)
	}
	q := `WITH v(tenant_id, id, base, version, status, flapping, machine, probe_state,
  last_checked_at, last_latency_us, last_reason, last_message, status_since) AS (VALUES ` + sb.String() + `)
UPDATE monitors SET status = v.status, flapping = v.flapping, machine = v.machine,
  probe_state = coalesce(v.probe_state, monitors.probe_state), last_checked_at = v.last_checked_at,
  last_latency_us = v.last_latency_us, last_reason = v.last_reason, last_message = v.last_message,
  status_since = coalesce(v.status_since, monitors.status_since), version = v.version
FROM v
WHERE monitors.tenant_id = v.tenant_id AND monitors.id = v.id AND monitors.version = v.base
RETURNING monitors.id`
	rows, err := w.s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	saved := make(map[string]bool, len(batch))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		saved[id] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, p := range batch {
		if !saved[p.next.ID] {
			// Changed elsewhere: the stored row wins; read it next time.
			w.s.monitors.forget(p.next.ID)
		}
	}
	return nil
}
