package dispatch_test

import (
	"context"
	"fmt"
	"github.com/opsward/opsward/internal/testenv"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/dispatch"
)

const sharedRedis = "127.0.0.1:6379"

func TestMain(m *testing.M) {
	switch os.Getenv("DISPATCH_TEST_CHILD") {
	case "worker":
		childWorker()
		return
	case "scheduler":
		childScheduler()
		return
	}
	os.Exit(m.Run())
}

// realRedis is a client of the Redis server at addr: the shared one, or a
// server a test starts and stops.
func realRedis(t testing.TB, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 32})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		testenv.Unavailable(t, "Redis at "+addr, err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// testClient returns a Client with a prefix of its own and deletes its keys
// when the test ends.
func testClient(t testing.TB, rdb redis.UniversalClient, tune func(*dispatch.Config)) (*dispatch.Client, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := dispatch.Config{
		Prefix:     "test:dispatch:" + opsward.NewID("t"),
		Logger:     testLogger(t),
		Registerer: reg,
		RetryBase:  20 * time.Millisecond,
		RetryMax:   200 * time.Millisecond,
	}
	if tune != nil {
		tune(&cfg)
	}
	c, err := dispatch.NewClient(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deletePrefix(rdb, cfg.Prefix) })
	return c, reg
}

func deletePrefix(rdb redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			rdb.Del(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		rdb.Del(ctx, batch...)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("DISPATCH_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// system runs processors and schedulers until the test ends.
type system struct {
	t      testing.TB
	wg     sync.WaitGroup
	cancel []context.CancelFunc
	mu     sync.Mutex
}

func (s *system) stopAll() {
	s.mu.Lock()
	cs := s.cancel
	s.cancel = nil
	s.mu.Unlock()
	for _, c := range cs {
		c()
	}
	s.wg.Wait()
}

func newSystem(t testing.TB) *system {
	s := &system{t: t}
	t.Cleanup(s.stopAll)
	return s
}

func (s *system) start(run func(ctx context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.mu.Lock()
	s.cancel = append(s.cancel, cancel)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		if err := run(ctx); err != nil {
			s.t.Errorf("run: %v", err)
		}
	}()
	return func() { cancel(); <-done }
}

func (s *system) processor(c *dispatch.Client, ws *dispatch.Workers, cfg dispatch.ProcessorConfig) (*dispatch.Processor, func()) {
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	p, err := dispatch.NewProcessor(c, ws, cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	return p, s.start(p.Run)
}

func (s *system) scheduler(c *dispatch.Client, src dispatch.Source, cfg dispatch.SchedulerConfig) (*dispatch.Scheduler, func()) {
	if cfg.Tick == 0 {
		cfg.Tick = 20 * time.Millisecond
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = time.Second
	}
	sc, err := dispatch.NewScheduler(c, src, cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	return sc, s.start(sc.Run)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// staticSource is a Source over fixed slices.
type staticSource struct {
	mu        sync.Mutex
	schedules []dispatch.Schedule
	policies  map[string]dispatch.Policy
}

func (s *staticSource) Schedules(ctx context.Context, yield func(dispatch.Schedule) error) error {
	s.mu.Lock()
	list := append([]dispatch.Schedule(nil), s.schedules...)
	s.mu.Unlock()
	for _, sc := range list {
		if err := yield(sc); err != nil {
			return err
		}
	}
	return nil
}

func (s *staticSource) Policies(ctx context.Context, yield func(string, dispatch.Policy) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, p := range s.policies {
		if err := yield(t, p); err != nil {
			return err
		}
	}
	return nil
}

// ownRedis runs a redis-server of the test's own on a free port.
type ownRedis struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
}

func startOwnRedis(t testing.TB) *ownRedis {
	t.Helper()
	if _, err := exec.LookPath("/usr/bin/redis-server"); err != nil {
		testenv.Unavailable(t, "redis-server (for a Redis of the test's own)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	r := &ownRedis{t: t, port: port}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *ownRedis) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *ownRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("/usr/bin/redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer rdb.Close()
	waitFor(r.t, 10*time.Second, "own redis-server to answer", func() bool {
		return rdb.Ping(context.Background()).Err() == nil
	})
}

func (r *ownRedis) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.cmd = nil
}

// counter counts runs per key.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func newCounter() *counter { return &counter{m: map[string]int{}} }

func (c *counter) add(k string) {
	c.mu.Lock()
	c.m[k]++
	c.mu.Unlock()
}

func (c *counter) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.m {
		n += v
	}
	return n
}

func tenantID(i int) string { return fmt.Sprintf("ten_%02d", i) }
