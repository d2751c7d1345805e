package dispatch_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/opsward/opsward/services/dispatch"
)

// lastRunSource is a source that knows when each schedule last ran, as
// the NOC's does from its monitors' last check.
type lastRunSource struct {
	*staticSource
	log *runLog
}

func (s lastRunSource) Schedules(ctx context.Context, yield func(dispatch.Schedule) error) error {
	return s.staticSource.Schedules(ctx, func(sc dispatch.Schedule) error {
		s.log.mu.Lock()
		if d := s.log.dues[sc.ID]; len(d) > 0 {
			sc.LastRun = time.UnixMilli(d[len(d)-1])
		}
		s.log.mu.Unlock()
		return yield(sc)
	})
}

// Redis comes back empty after a slot passed: the rebuild fires each
// schedule's missed slot once, late, so no schedule has a gap of two
// intervals, and no slot runs twice.
func TestRebuildFiresMissedSlotOnce(t *testing.T) {
	t.Parallel()
	rdb := realRedis(t, sharedRedis)
	c, _ := testClient(t, rdb, nil)
	iv := time.Second
	static := &staticSource{}
	for i := range 10 {
		static.schedules = append(static.schedules, dispatch.Schedule{ID: fmt.Sprintf("mon_%02d", i), TenantID: tenantID(i % 2), Kind: "test.check", Interval: iv})
	}
	log := newRunLog()
	src := lastRunSource{static, log}
	sys := newSystem(t)
	sys.processor(c, log.workers(), dispatch.ProcessorConfig{Concurrency: 4})
	_, stopScheduler := sys.scheduler(c, src, dispatch.SchedulerConfig{MaxCatchUp: 1})
	waitFor(t, 10*time.Second, "two runs of every schedule", func() bool {
		for _, s := range static.schedules {
			if log.count(s.ID) < 2 {
				return false
			}
		}
		return true
	})
	// The scheduler is away and Redis loses everything for most of an
	// interval: a slot of most schedules passes unfired (one at most).
	stopScheduler()
	deletePrefix(rdb, c.Prefix())
	back := time.Now().Add(7 * iv / 10)
	time.Sleep(time.Until(back))
	sys.scheduler(c, src, dispatch.SchedulerConfig{MaxCatchUp: 1})
	waitFor(t, 10*time.Second, "two runs of every schedule after Redis came back", func() bool {
		for _, s := range static.schedules {
			if log.countAfter(s.ID, back.UnixMilli()) < 2 {
				return false
			}
		}
		return true
	})
	sys.stopAll()
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, s := range static.schedules {
		ds := append([]int64(nil), log.dues[s.ID]...)
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		for i := 1; i < len(ds); i++ {
			if gap := ds[i] - ds[i-1]; gap != iv.Milliseconds() {
				t.Errorf("%s: slots %d and %d are %dms apart: a slot was skipped or run twice", s.ID, ds[i-1], ds[i], gap)
			}
		}
	}
}
