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

// growingSource is a source whose later streams also yield late: a
// monitor created while a rebuild streams.
type growingSource struct {
	staticSource
	calls int
	late  dispatch.Schedule
}

func (s *growingSource) Schedules(ctx context.Context, yield func(dispatch.Schedule) error) error {
	s.mu.Lock()
	s.calls++
	first := s.calls == 1
	s.mu.Unlock()
	if err := s.staticSource.Schedules(ctx, yield); err != nil {
		return err
	}
	if first {
		return nil
	}
	return yield(s.late)
}

// A schedule written while a rebuild streams (its row not yet visible to
// the stream) is kept; one the source has no more is removed.
func TestRebuildKeepsScheduleWrittenWhileStreaming(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := realRedis(t, sharedRedis)
	c, _ := testClient(t, rdb, nil)
	old := dispatch.Schedule{ID: "mon_old", TenantID: "ten_a", Kind: "test.check", Interval: time.Minute}
	gone := dispatch.Schedule{ID: "mon_gone", TenantID: "ten_a", Kind: "test.check", Interval: time.Minute}
	late := dispatch.Schedule{ID: "mon_late", TenantID: "ten_a", Kind: "test.check", Interval: time.Minute}
	for _, s := range []dispatch.Schedule{old, gone, late} {
		if _, err := c.UpsertSchedule(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	src := &growingSource{late: late}
	src.schedules = []dispatch.Schedule{old}
	st, err := c.Rebuild(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.NextRun(ctx, "ten_a", late.ID); err != nil {
		t.Errorf("the schedule written while the rebuild streamed was removed: %v", err)
	}
	if _, err := c.NextRun(ctx, "ten_a", gone.ID); err == nil {
		t.Error("a schedule the source no longer has was kept")
	}
	if st.Removed != 1 {
		t.Errorf("removed %d, want 1", st.Removed)
	}
}
