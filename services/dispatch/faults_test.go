package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward/services/dispatch"
)

type slowArgs struct {
	Marker string `json:"marker"`
}

func (slowArgs) Kind() string { return "test.slow" }

// childEnv starts this test binary again in a child role.
func childCmd(t *testing.T, role string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"DISPATCH_TEST_CHILD=" + role}, env...)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func childClient() (*dispatch.Client, *redis.Client) {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("DISPATCH_REDIS")})
	c, err := dispatch.NewClient(rdb, dispatch.Config{Prefix: os.Getenv("DISPATCH_PREFIX")})
	if err != nil {
		panic(err)
	}
	return c, rdb
}

// childWorker takes test.slow jobs, reports that it started them, and
// hangs until killed.
func childWorker() {
	c, rdb := childClient()
	ws := dispatch.NewWorkers()
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[slowArgs]) error {
		rdb.RPush(context.Background(), j.Args.Marker, j.ID)
		select {} // until SIGKILL
	})
	p, err := dispatch.NewProcessor(c, ws, dispatch.ProcessorConfig{Concurrency: 2, VisibilityTimeout: time.Second, PollInterval: 20 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	p.Run(context.Background())
}

// childScheduler runs a scheduler over the schedules in DISPATCH_SCHEDULES.
func childScheduler() {
	c, _ := childClient()
	var src staticSource
	if err := json.Unmarshal([]byte(os.Getenv("DISPATCH_SCHEDULES")), &src.schedules); err != nil {
		panic(err)
	}
	s, err := dispatch.NewScheduler(c, &src, dispatch.SchedulerConfig{
		InstanceID: os.Getenv("DISPATCH_INSTANCE"), Tick: 20 * time.Millisecond, LeaseTTL: time.Second,
	})
	if err != nil {
		panic(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s.Run(ctx)
}

// A worker process killed in the middle of a job: the job is reclaimed after
// the visibility timeout, runs again elsewhere and completes once.
func TestFaultWorkerKilledMidJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := realRedis(t, sharedRedis)
	c, _ := testClient(t, rdb, nil)
	marker := c.Prefix() + ":started"
	job, err := c.Enqueue(ctx, "ten_a", slowArgs{Marker: marker}, nil)
	if err != nil {
		t.Fatal(err)
	}
	child := childCmd(t, "worker", "DISPATCH_REDIS="+sharedRedis, "DISPATCH_PREFIX="+c.Prefix())
	waitFor(t, 20*time.Second, "child worker to start the job", func() bool {
		v, _ := rdb.LRange(ctx, marker, 0, -1).Result()
		return len(v) == 1 && v[0] == job.ID
	})
	if st, _ := c.JobState(ctx, "ten_a", job.ID); st != dispatch.StateRunning {
		t.Fatalf("state while the child runs it: %s", st)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	ws := dispatch.NewWorkers()
	runs := newCounter()
	var attempt int
	var mu sync.Mutex
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[slowArgs]) error {
		mu.Lock()
		attempt = j.Attempt
		mu.Unlock()
		runs.add(j.ID)
		return nil
	})
	sys := newSystem(t)
	sys.scheduler(c, &staticSource{}, dispatch.SchedulerConfig{})
	sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 2})
	waitFor(t, 15*time.Second, "job to complete after reclaim", func() bool {
		st, _ := c.JobState(ctx, "ten_a", job.ID)
		return st == dispatch.StateGone
	})
	sys.stopAll()
	if n := runs.get(job.ID); n != 1 {
		t.Fatalf("job completed %d times, want once", n)
	}
	if attempt != 2 {
		t.Fatalf("attempt %d, want 2 (the dead worker's run counts)", attempt)
	}
	if d, _ := c.QueueDepth(ctx, "ten_a"); len(d) != 0 {
		t.Fatalf("depth after completion %v", d)
	}
}

// runLog records every scheduled run a worker sees.
type runLog struct {
	mu   sync.Mutex
	dues map[string][]int64 // schedule -> slots
	ids  map[string]int
}

func newRunLog() *runLog { return &runLog{dues: map[string][]int64{}, ids: map[string]int{}} }

func (r *runLog) workers() *dispatch.Workers {
	ws := dispatch.NewWorkers()
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[checkArgs]) error {
		r.mu.Lock()
		r.dues[j.ScheduleID] = append(r.dues[j.ScheduleID], j.DueAt.UnixMilli())
		r.ids[j.ID]++
		r.mu.Unlock()
		return nil
	})
	return ws
}

func (r *runLog) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.dues[id])
}

func (r *runLog) countAfter(id string, after int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, d := range r.dues[id] {
		if d > after {
			n++
		}
	}
	return n
}

func (r *runLog) firstAfter(id string, after int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	best := int64(-1)
	for _, d := range r.dues[id] {
		if d > after && (best < 0 || d < best) {
			best = d
		}
	}
	return best
}

// The leader scheduler's process is killed: the standby takes over within
// seconds, and every slot between the first and last seen runs exactly once.
func TestFaultLeaderSchedulerKilled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := realRedis(t, sharedRedis)
	c, _ := testClient(t, rdb, nil)
	iv := 500 * time.Millisecond
	var src staticSource
	for i := range 12 {
		src.schedules = append(src.schedules, dispatch.Schedule{ID: fmt.Sprintf("mon_%02d", i), TenantID: tenantID(i % 3), Kind: "test.check", Interval: iv})
	}
	raw, _ := json.Marshal(src.schedules)
	child := childCmd(t, "scheduler", "DISPATCH_REDIS="+sharedRedis, "DISPATCH_PREFIX="+c.Prefix(),
		"DISPATCH_INSTANCE=child-leader", "DISPATCH_SCHEDULES="+string(raw))
	leaderKey := c.Prefix() + ":leader"
	waitFor(t, 20*time.Second, "child to lead", func() bool { return rdb.Get(ctx, leaderKey).Val() == "child-leader" })

	log := newRunLog()
	sys := newSystem(t)
	sys.processor(c, log.workers(), dispatch.ProcessorConfig{Concurrency: 4})
	standby, _ := sys.scheduler(c, &src, dispatch.SchedulerConfig{InstanceID: "standby"})
	waitFor(t, 10*time.Second, "runs under the first leader", func() bool {
		for _, s := range src.schedules {
			if log.count(s.ID) < 2 {
				return false
			}
		}
		return true
	})
	if standby.IsLeader() {
		t.Fatal("standby leads while the leader lives")
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed := time.Now()
	waitFor(t, 5*time.Second, "standby to take over", standby.IsLeader)
	t.Logf("standby took over %s after the kill", time.Since(killed).Round(time.Millisecond))
	after := killed.UnixMilli() + iv.Milliseconds()
	waitFor(t, 10*time.Second, "runs under the new leader", func() bool {
		for _, s := range src.schedules {
			if log.countAfter(s.ID, after) < 3 {
				return false
			}
		}
		return true
	})
	sys.stopAll()
	log.mu.Lock()
	defer log.mu.Unlock()
	for id, n := range log.ids {
		if n != 1 {
			t.Errorf("run %s happened %d times", id, n)
		}
	}
	for sid, ds := range log.dues {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		for i := 1; i < len(ds); i++ {
			if ds[i]-ds[i-1] != iv.Milliseconds() {
				t.Errorf("%s: slots %d and %d: a run was lost or doubled", sid, ds[i-1], ds[i])
			}
		}
	}
}

// Redis loses everything: the scheduler notices the missing marker,
// rebuilds from the source, and every schedule runs again within one
// interval, at its usual slot.
func TestFaultRedisFlushed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	own := startOwnRedis(t)
	rdb := realRedis(t, own.addr())
	c, _ := testClient(t, rdb, nil)
	iv := 2 * time.Second
	src := &staticSource{}
	for i := range 40 {
		src.schedules = append(src.schedules, dispatch.Schedule{ID: fmt.Sprintf("mon_%02d", i), TenantID: tenantID(i % 4), Kind: "test.check", Interval: iv})
	}
	log := newRunLog()
	sys := newSystem(t)
	sys.processor(c, log.workers(), dispatch.ProcessorConfig{Concurrency: 4})
	sys.scheduler(c, src, dispatch.SchedulerConfig{})
	waitFor(t, 10*time.Second, "every schedule to run", func() bool {
		for _, s := range src.schedules {
			if log.count(s.ID) < 1 {
				return false
			}
		}
		return true
	})
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	flushed := time.Now().UnixMilli()
	waitFor(t, 3*iv+5*time.Second, "every schedule to run after the flush", func() bool {
		for _, s := range src.schedules {
			if log.countAfter(s.ID, flushed) < 1 {
				return false
			}
		}
		return true
	})
	// Within one interval of the scheduler noticing the flush, which it
	// does at its next tick (50 ms); the slack allows for a loaded machine.
	const noticeSlack = 250
	for _, s := range src.schedules {
		if first := log.firstAfter(s.ID, flushed); first-flushed > iv.Milliseconds()+noticeSlack {
			t.Errorf("%s: first run after the flush is due %dms after it, more than one interval and the time to notice", s.ID, first-flushed)
		}
	}
}

// Redis restarts (empty): workers and scheduler reconnect by themselves,
// schedules come back and new jobs flow.
func TestFaultRedisRestarted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	own := startOwnRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: own.addr(), DialTimeout: 200 * time.Millisecond, ReadTimeout: time.Second, MaxRetries: 1})
	t.Cleanup(func() { rdb.Close() })
	c, _ := testClient(t, rdb, nil)
	iv := 500 * time.Millisecond
	src := &staticSource{schedules: []dispatch.Schedule{{ID: "mon_1", TenantID: "ten_a", Kind: "test.check", Interval: iv}}}
	log := newRunLog()
	ws := log.workers()
	echoed := newCounter()
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
		echoed.add(strconv.Itoa(j.Args.N))
		return nil
	})
	sys := newSystem(t)
	sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 2})
	sys.scheduler(c, src, dispatch.SchedulerConfig{})
	if _, err := c.Enqueue(ctx, "ten_b", echoArgs{N: 1}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "first job and a scheduled run", func() bool { return echoed.get("1") == 1 && log.count("mon_1") >= 1 })

	own.stop()
	time.Sleep(300 * time.Millisecond) // the roles see errors meanwhile
	own.start()
	restarted := time.Now().UnixMilli()

	waitFor(t, 15*time.Second, "a new job to be accepted", func() bool {
		_, err := c.Enqueue(ctx, "ten_b", echoArgs{N: 2}, &dispatch.EnqueueOpts{DedupKey: "after-restart"})
		return err == nil
	})
	waitFor(t, 15*time.Second, "the new job to run", func() bool { return echoed.get("2") >= 1 })
	waitFor(t, 15*time.Second, "the schedule to run again", func() bool { return log.countAfter("mon_1", restarted) >= 2 })
}
