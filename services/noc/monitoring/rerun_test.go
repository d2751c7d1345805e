package monitoring_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/monitoring"
)

// A scheduled check is stored with its run's id before its job is
// acknowledged; the same run again (its worker died before the
// acknowledgement) finds that result and stores no second one, while a
// new slot is checked as usual.
func TestCheckRunAgainIsRecognised(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		a := e.asset(t, ctx, "db", "high")
		m := e.monitor(t, ctx, a, "tcp", tcpSettings(closedPort(t)), 1).Monitor
		slot := e.clock().Add(-time.Second)
		run := func(id string, attempt int) {
			t.Helper()
			job := &dispatch.Job[monitoring.CheckArgs]{JobRow: &dispatch.JobRow{ID: id, TenantID: m.TenantID, Kind: "noc.check",
				Attempt: attempt, ScheduleID: m.ID, DueAt: slot}, Args: monitoring.CheckArgs{MonitorID: m.ID}}
			if err := e.noc.Check(context.Background(), job); err != nil {
				t.Fatalf("check %s attempt %d: %v", id, attempt, err)
			}
		}
		count := func() int {
			t.Helper()
			var n int
			if err := e.db.QueryRowContext(system, `SELECT count(*) FROM check_results WHERE monitor_id = $1`, m.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		first := fmt.Sprintf("%s@%d", m.ID, slot.UnixMilli())
		run(first, 1)
		// Check returns once the result is stored: no flush needed.
		if n := count(); n != 1 {
			t.Fatalf("%d results after the first run, want 1 (stored before the job is done)", n)
		}
		e.advance(5 * time.Second)
		run(first, 2)
		if n := count(); n != 1 {
			t.Fatalf("%d results after the same run again, want 1", n)
		}
		var runID string
		if err := e.db.QueryRowContext(system, `SELECT run_id FROM check_results WHERE monitor_id = $1`, m.ID).Scan(&runID); err != nil || runID != first {
			t.Fatalf("stored run id %q (%v), want %q", runID, err, first)
		}
		next := fmt.Sprintf("%s@%d", m.ID, slot.Add(time.Minute).UnixMilli())
		run(next, 2) // a new slot's retry with no result yet runs
		if n := count(); n != 2 {
			t.Fatalf("%d results after the next slot, want 2", n)
		}
	})
}
