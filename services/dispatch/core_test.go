package dispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/dispatch"
)

type echoArgs struct {
	N   int    `json:"n"`
	Tag string `json:"tag,omitempty"`
}

func (echoArgs) Kind() string { return "test.echo" }

type failArgs struct {
	FailTimes int `json:"fail_times"`
}

func (failArgs) Kind() string { return "test.fail" }

type checkArgs struct{}

func (checkArgs) Kind() string { return "test.check" }

func eachBackend(t *testing.T, f func(t *testing.T, b testenv.RedisBackend)) {
	for _, b := range testenv.RedisBackends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

func TestEnqueueAndWorkTyped(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.RedisBackend) {
		ctx := context.Background()
		c, reg := testClient(t, b.Open(t), nil)
		ws := dispatch.NewWorkers()
		var mu sync.Mutex
		got := map[int]string{}
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
			if j.TenantID != "ten_a" || j.Kind != "test.echo" || j.Attempt != 1 || !strings.HasPrefix(j.ID, "job_") {
				t.Errorf("unexpected job row %+v", j.JobRow)
			}
			mu.Lock()
			got[j.Args.N] = j.Args.Tag
			mu.Unlock()
			return nil
		})
		var params []dispatch.EnqueueParams
		for i := range 50 {
			params = append(params, dispatch.EnqueueParams{TenantID: "ten_a", Args: echoArgs{N: i, Tag: "x"}})
		}
		res, err := c.EnqueueMany(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 50 || res[0].Duplicate {
			t.Fatalf("results %+v", res[:1])
		}
		if d, _ := c.QueueDepth(ctx, "ten_a"); d["test.echo"] != 50 {
			t.Fatalf("depth before = %v, want 50", d)
		}
		sys := newSystem(t)
		sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 4})
		waitFor(t, 10*time.Second, "50 jobs", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 50 })
		waitFor(t, 15*time.Second, "depth 0", func() bool { d, _ := c.QueueDepth(ctx, "ten_a"); return len(d) == 0 })
		for _, r := range res {
			if st, _ := c.JobState(ctx, "ten_a", r.ID); st != dispatch.StateGone {
				t.Fatalf("job %s state %s after success", r.ID, st)
			}
		}
		sys.stopAll()
		if n := (counterVec(t, reg, "opsward_dispatch_jobs_succeeded_total", "test.echo")); n != 50 {
			t.Fatalf("succeeded counter = %v", n)
		}
	})
}

// counterVec reads one labelled counter from a registry.
func counterVec(t *testing.T, reg *prometheus.Registry, name, kind string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func TestValidation(t *testing.T) {
	c, _ := testClient(t, testenv.RedisBackends()[1].Open(t), nil)
	ctx := context.Background()
	cases := []struct {
		name string
		err  error
	}{
		{"empty tenant", func() error { _, err := c.Enqueue(ctx, "", echoArgs{}, nil); return err }()},
		{"brace tenant", func() error { _, err := c.Enqueue(ctx, "a}b", echoArgs{}, nil); return err }()},
		{"bad weight", c.SetTenantPolicy(ctx, "ten_a", dispatch.Policy{Weight: 0})},
		{"short interval", func() error {
			_, err := c.UpsertSchedule(ctx, dispatch.Schedule{ID: "m", TenantID: "ten_a", Kind: "k", Interval: time.Millisecond})
			return err
		}()},
		{"bad payload", func() error {
			_, err := c.UpsertSchedule(ctx, dispatch.Schedule{ID: "m", TenantID: "ten_a", Kind: "k", Interval: time.Second, Payload: json.RawMessage("{")})
			return err
		}()},
	}
	for _, tc := range cases {
		if opsward.ErrorCode(tc.err) != opsward.EINVALID {
			t.Errorf("%s: got %v, want an invalid error", tc.name, tc.err)
		}
	}
	if err := (dispatch.Config{}).Validate(); err == nil {
		t.Error("empty config validated")
	}
	if err := (dispatch.Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	if err := (dispatch.ProcessorConfig{}).WithDefaults().Validate(); err != nil {
		t.Errorf("default processor config: %v", err)
	}
	if err := (dispatch.SchedulerConfig{}).WithDefaults().Validate(); err != nil {
		t.Errorf("default scheduler config: %v", err)
	}
	if err := (dispatch.ProcessorConfig{Concurrency: -1}).WithDefaults().Validate(); opsward.ErrorField(err) != "worker.concurrency" {
		t.Errorf("bad concurrency: %v", err)
	}
}

func TestDedup(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.RedisBackend) {
		ctx := context.Background()
		c, _ := testClient(t, b.Open(t), nil)
		first, err := c.Enqueue(ctx, "ten_a", echoArgs{N: 1}, &dispatch.EnqueueOpts{DedupKey: "k1"})
		if err != nil {
			t.Fatal(err)
		}
		second, err := c.Enqueue(ctx, "ten_a", echoArgs{N: 2}, &dispatch.EnqueueOpts{DedupKey: "k1"})
		if err != nil {
			t.Fatal(err)
		}
		if !second.Duplicate || second.ID != first.ID {
			t.Fatalf("second enqueue = %+v, want duplicate of %s", second, first.ID)
		}
		// Another tenant's key is its own.
		other, _ := c.Enqueue(ctx, "ten_b", echoArgs{N: 3}, &dispatch.EnqueueOpts{DedupKey: "k1"})
		if other.Duplicate {
			t.Fatal("dedup leaked across tenants")
		}
		ws := dispatch.NewWorkers()
		runs := newCounter()
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
			runs.add(j.TenantID)
			return nil
		})
		sys := newSystem(t)
		_, stop := sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 2})
		waitFor(t, 15*time.Second, "both jobs", func() bool { return runs.total() == 2 })
		waitFor(t, 15*time.Second, "first job gone", func() bool {
			st, _ := c.JobState(ctx, "ten_a", first.ID)
			return st == dispatch.StateGone
		})
		stop()
		if runs.get("ten_a") != 1 {
			t.Fatalf("ten_a ran %d times", runs.get("ten_a"))
		}
		// Once the job finished, the key is free again.
		third, _ := c.Enqueue(ctx, "ten_a", echoArgs{N: 4}, &dispatch.EnqueueOpts{DedupKey: "k1"})
		if third.Duplicate {
			t.Fatal("dedup key still held after the job finished")
		}
	})
}

func TestDelayedJob(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.RedisBackend) {
		ctx := context.Background()
		c, _ := testClient(t, b.Open(t), nil)
		far, _ := c.Enqueue(ctx, "ten_a", echoArgs{N: 1}, &dispatch.EnqueueOpts{RunAt: time.Now().Add(time.Hour)})
		runAt := time.Now().Add(300 * time.Millisecond)
		soon, _ := c.Enqueue(ctx, "ten_a", echoArgs{N: 2}, &dispatch.EnqueueOpts{RunAt: runAt})
		ws := dispatch.NewWorkers()
		var started atomic.Int64
		var ran sync.Map
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
			if j.Args.N == 2 {
				started.Store(time.Now().UnixMilli())
				if !j.DueAt.Equal(time.UnixMilli(runAt.UnixMilli())) {
					t.Errorf("DueAt = %v, want %v", j.DueAt, runAt)
				}
			}
			ran.Store(j.Args.N, true)
			return nil
		})
		sys := newSystem(t)
		sys.scheduler(c, &staticSource{}, dispatch.SchedulerConfig{})
		sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 2})
		waitFor(t, 15*time.Second, "delayed job", func() bool { return started.Load() != 0 })
		if started.Load() < runAt.UnixMilli() {
			t.Fatalf("delayed job started %dms before its run-at", runAt.UnixMilli()-started.Load())
		}
		if _, ok := ran.Load(1); ok {
			t.Fatal("job due in an hour ran")
		}
		if st, _ := c.JobState(ctx, "ten_a", far.ID); st != dispatch.StateDelayed {
			t.Fatalf("far job state %s", st)
		}
		_ = soon
	})
}

func TestRetryBackoffThenSuccess(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.RedisBackend) {
		ctx := context.Background()
		c, reg := testClient(t, b.Open(t), func(cfg *dispatch.Config) {
			cfg.RetryBase = 100 * time.Millisecond
			cfg.RetryMax = time.Second
		})
		ws := dispatch.NewWorkers()
		var mu sync.Mutex
		var times []time.Time
		var attempts []int
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[failArgs]) error {
			mu.Lock()
			defer mu.Unlock()
			times = append(times, time.Now())
			attempts = append(attempts, j.Attempt)
			if j.Attempt <= j.Args.FailTimes {
				return errors.New("probe timed out")
			}
			return nil
		})
		res, _ := c.Enqueue(ctx, "ten_a", failArgs{FailTimes: 2}, nil)
		sys := newSystem(t)
		sys.scheduler(c, &staticSource{}, dispatch.SchedulerConfig{})
		sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 2})
		waitFor(t, 10*time.Second, "job to finish", func() bool {
			st, _ := c.JobState(ctx, "ten_a", res.ID)
			mu.Lock()
			defer mu.Unlock()
			return st == dispatch.StateGone && len(attempts) == 3
		})
		mu.Lock()
		defer mu.Unlock()
		if attempts[0] != 1 || attempts[1] != 2 || attempts[2] != 3 {
			t.Fatalf("attempts %v", attempts)
		}
		// Equal jitter: the wait after failure n is at least half of base*2^(n-1).
		if d := times[1].Sub(times[0]); d < 50*time.Millisecond {
			t.Fatalf("first retry after %s, below the backoff floor", d)
		}
		if d := times[2].Sub(times[1]); d < 100*time.Millisecond {
			t.Fatalf("second retry after %s, below the backoff floor", d)
		}
		if n := (counterVec(t, reg, "opsward_dispatch_jobs_retried_total", "test.fail")); n != 2 {
			t.Fatalf("retried counter = %v", n)
		}
	})
}

func TestDeadLetterListRetryPurge(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.RedisBackend) {
		ctx := context.Background()
		c, _ := testClient(t, b.Open(t), nil)
		ws := dispatch.NewWorkers()
		var healed atomic.Bool
		runs := newCounter()
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[failArgs]) error {
			runs.add(j.ID)
			if healed.Load() {
				return nil
			}
			if j.Args.FailTimes < 0 {
				return dispatch.JobCancel(errors.New("monitor deleted"))
			}
			return errors.New("connection refused")
		})
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error { return errors.New("boom") })
		var ids []string
		for _, tn := range []string{"ten_a", "ten_a", "ten_a", "ten_b"} {
			r, _ := c.Enqueue(ctx, tn, failArgs{FailTimes: 99}, &dispatch.EnqueueOpts{MaxAttempts: 2})
			ids = append(ids, r.ID)
		}
		echo, _ := c.Enqueue(ctx, "ten_a", echoArgs{}, &dispatch.EnqueueOpts{MaxAttempts: 1})
		cancelled, _ := c.Enqueue(ctx, "ten_b", failArgs{FailTimes: -1}, nil)
		sys := newSystem(t)
		sys.scheduler(c, &staticSource{}, dispatch.SchedulerConfig{})
		_, stop := sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 4})
		waitFor(t, 10*time.Second, "six dead jobs", func() bool {
			p, err := c.DeadJobs(ctx, dispatch.DeadFilter{}, 100, "")
			return err == nil && len(p.Jobs) == 6
		})
		stop()
		for _, id := range ids {
			if runs.get(id) != 2 {
				t.Fatalf("job %s ran %d times, want 2 (its limit)", id, runs.get(id))
			}
		}
		if runs.get(cancelled.ID) != 1 {
			t.Fatalf("cancelled job ran %d times", runs.get(cancelled.ID))
		}
		// Filters.
		pa, _ := c.DeadJobs(ctx, dispatch.DeadFilter{TenantID: "ten_a"}, 100, "")
		if len(pa.Jobs) != 4 {
			t.Fatalf("ten_a dead = %d", len(pa.Jobs))
		}
		pk, _ := c.DeadJobs(ctx, dispatch.DeadFilter{Kind: "test.echo"}, 100, "")
		if len(pk.Jobs) != 1 || pk.Jobs[0].ID != echo.ID || pk.Jobs[0].Error != "boom" || pk.Jobs[0].Attempts != 1 {
			t.Fatalf("echo dead = %+v", pk.Jobs)
		}
		// Pagination visits every job once.
		seen := map[string]bool{}
		after := ""
		for pages := 0; ; pages++ {
			p, err := c.DeadJobs(ctx, dispatch.DeadFilter{}, 4, after)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range p.Jobs {
				if seen[j.ID] {
					t.Fatalf("job %s listed twice", j.ID)
				}
				seen[j.ID] = true
			}
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		if len(seen) != 6 {
			t.Fatalf("pagination saw %d jobs", len(seen))
		}
		if _, err := c.DeadJobs(ctx, dispatch.DeadFilter{}, 4, "%%%"); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Fatalf("bad cursor: %v", err)
		}
		// Retry one: it runs again and succeeds.
		healed.Store(true)
		if n, err := c.RetryDead(ctx, "ten_b", ids[3]); err != nil || n != 1 {
			t.Fatalf("retry = %d, %v", n, err)
		}
		_, stop = sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 4})
		waitFor(t, 15*time.Second, "retried job to run", func() bool {
			st, _ := c.JobState(ctx, "ten_b", ids[3])
			return st == dispatch.StateGone
		})
		stop()
		if runs.get(ids[3]) != 3 {
			t.Fatalf("retried job ran %d times in all", runs.get(ids[3]))
		}
		// Purge by id and by filter.
		if n, _ := c.PurgeDead(ctx, "ten_a", ids[0]); n != 1 {
			t.Fatalf("purge by id = %d", n)
		}
		if n, _ := c.PurgeDeadMatching(ctx, dispatch.DeadFilter{TenantID: "ten_a", Kind: "test.fail"}); n != 2 {
			t.Fatalf("purge by filter = %d", n)
		}
		left, _ := c.DeadJobs(ctx, dispatch.DeadFilter{}, 100, "")
		if len(left.Jobs) != 2 {
			t.Fatalf("left = %+v", left.Jobs)
		}
		if st, _ := c.JobState(ctx, "ten_a", ids[0]); st != dispatch.StateGone {
			t.Fatalf("purged job state %s", st)
		}
	})
}

func TestSnooze(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.RedisBackend) {
		ctx := context.Background()
		c, _ := testClient(t, b.Open(t), nil)
		ws := dispatch.NewWorkers()
		var mu sync.Mutex
		var att []int
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
			mu.Lock()
			defer mu.Unlock()
			att = append(att, j.Attempt)
			if len(att) < 3 {
				return dispatch.JobSnooze(30 * time.Millisecond)
			}
			return nil
		})
		r, _ := c.Enqueue(ctx, "ten_a", echoArgs{}, &dispatch.EnqueueOpts{MaxAttempts: 1})
		sys := newSystem(t)
		sys.scheduler(c, &staticSource{}, dispatch.SchedulerConfig{})
		sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 1})
		waitFor(t, 15*time.Second, "snoozed job to finish", func() bool {
			st, _ := c.JobState(ctx, "ten_a", r.ID)
			return st == dispatch.StateGone
		})
		mu.Lock()
		defer mu.Unlock()
		// Snoozes do not count: a job limited to one attempt ran three times.
		if len(att) != 3 || att[2] != 1 {
			t.Fatalf("attempts %v", att)
		}
	})
}

func TestConcurrencyCapAndPolicyChange(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.RedisBackend) {
		ctx := context.Background()
		c, _ := testClient(t, b.Open(t), nil)
		if err := c.SetTenantPolicy(ctx, "ten_a", dispatch.Policy{Weight: 1, MaxConcurrency: 2}); err != nil {
			t.Fatal(err)
		}
		var cur, peak atomic.Int64
		var done atomic.Int64
		ws := dispatch.NewWorkers()
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(15 * time.Millisecond)
			cur.Add(-1)
			done.Add(1)
			return nil
		})
		enqueue := func(n int) {
			var ps []dispatch.EnqueueParams
			for range n {
				ps = append(ps, dispatch.EnqueueParams{TenantID: "ten_a", Args: echoArgs{}})
			}
			if _, err := c.EnqueueMany(ctx, ps); err != nil {
				t.Fatal(err)
			}
		}
		enqueue(30)
		sys := newSystem(t)
		// Two processes' worth of slots, well above the cap.
		sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 4})
		sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 4})
		waitFor(t, 10*time.Second, "first batch", func() bool { return done.Load() == 30 })
		if p := peak.Load(); p != 2 {
			t.Fatalf("peak concurrency %d under a cap of 2", p)
		}
		// The plan changes; no restart.
		if err := c.SetTenantPolicy(ctx, "ten_a", dispatch.Policy{Weight: 1, MaxConcurrency: 5}); err != nil {
			t.Fatal(err)
		}
		peak.Store(0)
		enqueue(60)
		waitFor(t, 10*time.Second, "second batch", func() bool { return done.Load() == 90 })
		if p := peak.Load(); p <= 2 || p > 5 {
			t.Fatalf("peak concurrency %d after raising the cap to 5", p)
		}
		pol, _ := c.TenantPolicy(ctx, "ten_a")
		if pol.MaxConcurrency != 5 {
			t.Fatalf("policy %+v", pol)
		}
	})
}

func TestSchedulesFirePauseResume(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.RedisBackend) {
		ctx := context.Background()
		c, _ := testClient(t, b.Open(t), nil)
		ws := dispatch.NewWorkers()
		var mu sync.Mutex
		dues := map[string][]time.Time{}
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[checkArgs]) error {
			mu.Lock()
			dues[j.ScheduleID] = append(dues[j.ScheduleID], j.DueAt)
			mu.Unlock()
			return nil
		})
		count := func(id string) int { mu.Lock(); defer mu.Unlock(); return len(dues[id]) }
		iv := 200 * time.Millisecond
		for _, id := range []string{"mon_1", "mon_2"} {
			if _, err := c.UpsertSchedule(ctx, dispatch.Schedule{ID: id, TenantID: "ten_a", Kind: "test.check", Interval: iv, Payload: json.RawMessage(`{"x": 1}`)}); err != nil {
				t.Fatal(err)
			}
		}
		_, _ = c.UpsertSchedule(ctx, dispatch.Schedule{ID: "mon_3", TenantID: "ten_b", Kind: "test.check", Interval: iv})
		sys := newSystem(t)
		src := &staticSource{}
		sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 2})
		// The source knows the same schedules, so the start-up rebuild keeps them.
		src.schedules = []dispatch.Schedule{
			{ID: "mon_1", TenantID: "ten_a", Kind: "test.check", Interval: iv, Payload: json.RawMessage(`{"x":1}`)},
			{ID: "mon_2", TenantID: "ten_a", Kind: "test.check", Interval: iv, Payload: json.RawMessage(`{"x":1}`)},
			{ID: "mon_3", TenantID: "ten_b", Kind: "test.check", Interval: iv},
		}
		sys.scheduler(c, src, dispatch.SchedulerConfig{})
		waitFor(t, 15*time.Second, "three runs each", func() bool { return count("mon_1") >= 3 && count("mon_2") >= 3 && count("mon_3") >= 3 })
		mu.Lock()
		for id, ds := range dues {
			for i := 1; i < len(ds); i++ {
				if ds[i].Sub(ds[i-1]) != iv {
					t.Errorf("%s: slots %v and %v are not one interval apart", id, ds[i-1], ds[i])
				}
			}
		}
		mu.Unlock()
		// Pause ten_a: its schedules stop, ten_b's go on.
		if err := c.PauseTenant(ctx, "ten_a"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // let a run fired before the pause finish
		a1, b1 := count("mon_1"), count("mon_3")
		waitFor(t, 15*time.Second, "ten_b to run on", func() bool { return count("mon_3") >= b1+4 })
		if a := count("mon_1"); a > a1+1 {
			t.Fatalf("paused schedule ran %d more times", a-a1)
		}
		if err := c.ResumeTenant(ctx, "ten_a"); err != nil {
			t.Fatal(err)
		}
		a2 := count("mon_1")
		waitFor(t, 15*time.Second, "ten_a to resume", func() bool { return count("mon_1") >= a2+2 })
		// Remove: no more runs.
		if err := c.RemoveSchedule(ctx, "ten_b", "mon_3"); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveSchedule(ctx, "ten_b", "mon_3"); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Fatalf("second remove: %v", err)
		}
	})
}

func TestGracefulShutdownHandsBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.RedisBackend) {
		ctx := context.Background()
		c, _ := testClient(t, b.Open(t), nil)
		ws := dispatch.NewWorkers()
		started := make(chan string, 10)
		finished := newCounter()
		dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
			started <- j.ID
			if j.Args.N == 1 { // quick: finishes within the deadline
				time.Sleep(50 * time.Millisecond)
				finished.add(j.ID)
				return nil
			}
			<-ctx.Done() // slow: only stops when cancelled
			return ctx.Err()
		})
		quick, _ := c.Enqueue(ctx, "ten_a", echoArgs{N: 1}, nil)
		slow, _ := c.Enqueue(ctx, "ten_a", echoArgs{N: 2}, nil)
		sys := newSystem(t)
		_, stop := sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 2, ShutdownTimeout: 300 * time.Millisecond, VisibilityTimeout: time.Minute})
		<-started
		<-started
		stop()
		if finished.get(quick.ID) != 1 {
			t.Fatal("quick job did not finish during shutdown")
		}
		if st, _ := c.JobState(ctx, "ten_a", quick.ID); st != dispatch.StateGone {
			t.Fatalf("quick job state %s", st)
		}
		// The slow job is back in the queue at once, not waiting a minute.
		if st, _ := c.JobState(ctx, "ten_a", slow.ID); st != dispatch.StateReady {
			t.Fatalf("slow job state %s after shutdown, want ready", st)
		}
	})
}

func TestJitterSpreadsEqualIntervals(t *testing.T) {
	c, _ := testClient(t, testenv.RedisBackends()[1].Open(t), nil)
	ctx := context.Background()
	iv := 60 * time.Second
	buckets := make([]int, 60)
	var ss []dispatch.Schedule
	for i := range 3000 {
		ss = append(ss, dispatch.Schedule{ID: opsward.NewID("mon"), TenantID: tenantID(i % 10), Kind: "test.check", Interval: iv})
	}
	now := time.Now()
	next, err := c.UpsertSchedules(ctx, ss)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range next {
		if n.Before(now.Add(-time.Millisecond)) || n.After(now.Add(iv)) {
			t.Fatalf("next run %v outside one interval", n)
		}
		buckets[(n.UnixMilli()%iv.Milliseconds())/1000]++
		// Stable: the same id and interval give the same phase.
		again, _ := c.UpsertSchedule(ctx, ss[i])
		if !again.Equal(n) && i < 20 {
			t.Fatalf("upsert moved an unchanged schedule from %v to %v", n, again)
		}
		if i >= 20 {
			break
		}
	}
	for _, n := range next[20:] {
		buckets[(n.UnixMilli()%iv.Milliseconds())/1000]++
	}
	// 3000 over 60 one-second buckets: 50 expected each.
	for s, n := range buckets {
		if n > 100 {
			t.Fatalf("second %d of the interval holds %d of 3000 schedules", s, n)
		}
	}
}
