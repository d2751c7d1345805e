// Command dispatchbench measures services/dispatch against a real Redis:
//
//	throughput  no-op jobs per second through the whole system (enqueue,
//	            fetch, run, ack), side by side with asynq on the same Redis
//	lag         schedule lag (due time to start) of many schedules
//	memory      Redis memory per scheduled monitor, on a redis-server of its own
//
// It lives in its own module so that asynq stays out of the main one.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/dispatch"
)

var (
	addr        = flag.String("redis", "127.0.0.1:6379", "Redis for throughput and lag")
	mode        = flag.String("mode", "all", "throughput, lag, memory or all")
	jobs        = flag.Int("jobs", 100000, "jobs per throughput round")
	rounds      = flag.Int("rounds", 2, "throughput rounds (each runs every system once, alternating)")
	concurrency = flag.Int("concurrency", 32, "worker concurrency of each system")
	enqueuers   = flag.Int("enqueuers", 16, "concurrent enqueueing goroutines")
	schedules   = flag.Int("schedules", 100000, "schedules for lag and memory")
	tenants     = flag.Int("tenants", 1000, "tenants for lag and memory")
	window      = flag.Duration("window", 90*time.Second, "lag measuring window")
	warmup      = flag.Duration("warmup", 15*time.Second, "wait after the scheduler starts before measuring lag")
	server      = flag.String("redis-server", "/usr/bin/redis-server", "redis-server binary for the memory run")
)

func main() {
	flag.Parse()
	switch *mode {
	case "throughput":
		throughput()
	case "lag":
		lag()
	case "memory":
		memory()
	case "all":
		throughput()
		memory()
		lag()
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}

type noop struct{}

func (noop) Kind() string { return "noop" }

// ---- (a) throughput ----

func throughput() {
	fmt.Printf("## throughput: %d no-op jobs per round, concurrency %d, %d enqueuers, Redis %s\n", *jobs, *concurrency, *enqueuers, *addr)
	rdb := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 64})
	defer rdb.Close()
	ctx := context.Background()
	if n, _ := rdb.Keys(ctx, "asynq:*").Result(); len(n) > 0 {
		log.Fatalf("asynq keys already exist on %s; refusing to run beside another asynq", *addr)
	}
	defer deleteMatching(rdb, "asynq:*")
	type res struct {
		name string
		rate []float64
	}
	results := []*res{{name: "dispatch, EnqueueMany (batches of 500)"}, {name: "dispatch, Enqueue (one job per call)"}, {name: "asynq v0.26.0, Enqueue (one job per call)"}}
	for r := 0; r < *rounds; r++ {
		results[0].rate = append(results[0].rate, runDispatch(rdb, true))
		results[1].rate = append(results[1].rate, runDispatch(rdb, false))
		results[2].rate = append(results[2].rate, runAsynq())
	}
	for _, r := range results {
		fmt.Printf("%-45s %s jobs/s (rounds: %s)\n", r.name, fmtf(median(r.rate)), joinf(r.rate))
	}
	fmt.Printf("ratio dispatch batched / asynq: %.2f; dispatch single / asynq: %.2f (medians)\n",
		median(results[0].rate)/median(results[2].rate), median(results[1].rate)/median(results[2].rate))
}

func runDispatch(rdb *redis.Client, batched bool) float64 {
	ctx := context.Background()
	prefix := "bench:dispatch:" + opsward.NewID("b")
	defer deleteMatching(rdb, prefix+":*")
	c, err := dispatch.NewClient(rdb, dispatch.Config{Prefix: prefix})
	if err != nil {
		log.Fatal(err)
	}
	var done atomic.Int64
	all := make(chan struct{})
	n := int64(*jobs)
	ws := dispatch.NewWorkers()
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[noop]) error {
		if done.Add(1) == n {
			close(all)
		}
		return nil
	})
	p, err := dispatch.NewProcessor(c, ws, dispatch.ProcessorConfig{Concurrency: *concurrency, PollInterval: 10 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	pctx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { p.Run(pctx); close(stopped) }()
	start := time.Now()
	var wg sync.WaitGroup
	per := *jobs / *enqueuers
	for e := 0; e < *enqueuers; e++ {
		wg.Add(1)
		go func(e int) {
			defer wg.Done()
			tenant := fmt.Sprintf("ten_%02d", e%10)
			if batched {
				for i := 0; i < per; i += 500 {
					ps := make([]dispatch.EnqueueParams, 0, 500)
					for k := i; k < min(i+500, per); k++ {
						ps = append(ps, dispatch.EnqueueParams{TenantID: tenant, Args: noop{}})
					}
					if _, err := c.EnqueueMany(ctx, ps); err != nil {
						log.Fatal(err)
					}
				}
				return
			}
			for i := 0; i < per; i++ {
				if _, err := c.Enqueue(ctx, tenant, noop{}, nil); err != nil {
					log.Fatal(err)
				}
			}
		}(e)
	}
	wg.Wait()
	enq := time.Since(start)
	<-all
	// Done means acknowledged: wait for every tenant's depth to reach zero.
	for {
		left := 0
		for e := 0; e < 10; e++ {
			d, _ := c.QueueDepth(ctx, fmt.Sprintf("ten_%02d", e))
			left += d["noop"]
		}
		if left == 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	took := time.Since(start)
	stop()
	<-stopped
	rate := float64(per**enqueuers) / took.Seconds()
	fmt.Printf("  dispatch batched=%v: enqueued in %s, all acked after %s: %s jobs/s\n", batched, enq.Round(time.Millisecond), took.Round(time.Millisecond), fmtf(rate))
	return rate
}

func runAsynq() float64 {
	ctx := context.Background()
	opt := asynq.RedisClientOpt{Addr: *addr, PoolSize: 64}
	defer func() {
		rdb := redis.NewClient(&redis.Options{Addr: *addr})
		deleteMatching(rdb, "asynq:*")
		rdb.Close()
	}()
	var done atomic.Int64
	all := make(chan struct{})
	n := int64(*jobs / *enqueuers * *enqueuers)
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: *concurrency, LogLevel: asynq.ErrorLevel, Queues: map[string]int{"default": 1}})
	mux := asynq.NewServeMux()
	mux.HandleFunc("noop", func(ctx context.Context, t *asynq.Task) error {
		if done.Add(1) == n {
			close(all)
		}
		return nil
	})
	if err := srv.Start(mux); err != nil {
		log.Fatal(err)
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	start := time.Now()
	var wg sync.WaitGroup
	per := *jobs / *enqueuers
	for e := 0; e < *enqueuers; e++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if _, err := client.EnqueueContext(ctx, asynq.NewTask("noop", nil)); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
	enq := time.Since(start)
	<-all
	for {
		qi, err := insp.GetQueueInfo("default")
		if err == nil && qi.Active == 0 && qi.Pending == 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	took := time.Since(start)
	srv.Shutdown()
	rate := float64(n) / took.Seconds()
	fmt.Printf("  asynq: enqueued in %s, all acked after %s: %s jobs/s\n", enq.Round(time.Millisecond), took.Round(time.Millisecond), fmtf(rate))
	return rate
}

// ---- (b) schedule lag ----

type check struct{}

func (check) Kind() string { return "check" }

type source struct{ list []dispatch.Schedule }

func (s *source) Schedules(ctx context.Context, yield func(dispatch.Schedule) error) error {
	for _, sc := range s.list {
		if err := yield(sc); err != nil {
			return err
		}
	}
	return nil
}

func (s *source) Policies(ctx context.Context, yield func(string, dispatch.Policy) error) error {
	return nil
}

func makeSchedules() *source {
	intervals := []time.Duration{30 * time.Second, 60 * time.Second, 120 * time.Second, 300 * time.Second}
	src := &source{}
	for i := 0; i < *schedules; i++ {
		src.list = append(src.list, dispatch.Schedule{
			ID:       opsward.NewID("mon"),
			TenantID: fmt.Sprintf("ten_%04d", i%*tenants),
			Kind:     "check",
			Interval: intervals[rand.N(len(intervals))],
		})
	}
	return src
}

func lag() {
	fmt.Printf("## lag: %d schedules across %d tenants, intervals 30/60/120/300s, window %s, Redis %s\n", *schedules, *tenants, *window, *addr)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 64})
	defer rdb.Close()
	prefix := "bench:dispatch:" + opsward.NewID("l")
	defer deleteMatching(rdb, prefix+":*")
	c, err := dispatch.NewClient(rdb, dispatch.Config{Prefix: prefix, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	src := makeSchedules()
	var mu sync.Mutex
	var lags []time.Duration
	var at []time.Duration // when each lag was seen, from the window's start
	var measureStart time.Time
	var measuring atomic.Bool
	ws := dispatch.NewWorkers()
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[check]) error {
		if measuring.Load() {
			l := time.Since(j.DueAt)
			mu.Lock()
			lags = append(lags, l)
			at = append(at, time.Since(measureStart))
			mu.Unlock()
		}
		return nil
	})
	p, _ := dispatch.NewProcessor(c, ws, dispatch.ProcessorConfig{Concurrency: 32})
	s, _ := dispatch.NewScheduler(c, src, dispatch.SchedulerConfig{})
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.Run(rctx) }()
	start := time.Now()
	go func() { defer wg.Done(); s.Run(rctx) }()
	// The scheduler rebuilds every schedule from the source when it starts.
	for {
		n, _ := rdb.Exists(ctx, prefix+":epoch").Result()
		if n == 1 && s.IsLeader() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("  scheduler leading and rebuilding after %s\n", time.Since(start).Round(time.Millisecond))
	time.Sleep(*warmup) // past the rebuild and the first sweep
	mu.Lock()
	measureStart = time.Now()
	mu.Unlock()
	measuring.Store(true)
	time.Sleep(*window)
	measuring.Store(false)
	stop()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	// Per segment of the window, to show whether slow runs cluster.
	seg := *window / 6
	for k := 0; k < 6; k++ {
		var part []time.Duration
		for i, a := range at {
			if a >= time.Duration(k)*seg && a < time.Duration(k+1)*seg {
				part = append(part, lags[i])
			}
		}
		if len(part) == 0 {
			continue
		}
		sort.Slice(part, func(i, j int) bool { return part[i] < part[j] })
		fmt.Printf("    %3.0fs-%3.0fs: %6d runs, p50 %s, p99 %s, max %s\n", (time.Duration(k) * seg).Seconds(), (time.Duration(k+1) * seg).Seconds(), len(part),
			part[len(part)/2].Round(time.Millisecond), part[int(.99*float64(len(part)-1))].Round(time.Millisecond), part[len(part)-1].Round(time.Millisecond))
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	q := func(f float64) time.Duration { return lags[int(f*float64(len(lags)-1))] }
	fmt.Printf("  runs measured: %d (%.0f/s); lag p50 %s, p90 %s, p99 %s, p99.9 %s, max %s\n", len(lags), float64(len(lags))/window.Seconds(),
		q(.5).Round(time.Millisecond), q(.9).Round(time.Millisecond), q(.99).Round(time.Millisecond), q(.999).Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond))
}

// ---- (c) memory ----

func memory() {
	fmt.Printf("## memory: %d schedules across %d tenants on a redis-server of its own\n", *schedules, *tenants)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, _ := os.MkdirTemp("", "dispatchbench")
	defer os.RemoveAll(dir)
	cmd := exec.Command(*server, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	defer rdb.Close()
	for rdb.Ping(ctx).Err() != nil {
		time.Sleep(20 * time.Millisecond)
	}
	c, err := dispatch.NewClient(rdb, dispatch.Config{Prefix: "opsward:dispatch"})
	if err != nil {
		log.Fatal(err)
	}
	src := makeSchedules()
	before := usedMemory(rdb)
	if _, err := c.Rebuild(ctx, src); err != nil {
		log.Fatal(err)
	}
	after := usedMemory(rdb)
	enc, _ := rdb.ObjectEncoding(ctx, "opsward:dispatch:{t:ten_0000}:sched").Result()
	enc2, _ := rdb.ObjectEncoding(ctx, "opsward:dispatch:{t:ten_0000}:scheddef").Result()
	keys, _ := rdb.DBSize(ctx).Result()
	fmt.Printf("  used_memory before %d, after %d: %.1f bytes per scheduled monitor (%d keys; per-tenant encodings: sched %s, scheddef %s)\n",
		before, after, float64(after-before)/float64(*schedules), keys, enc, enc2)
}

func usedMemory(rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	log.Fatal("no used_memory in INFO")
	return 0
}

// ---- helpers ----

func deleteMatching(rdb *redis.Client, pattern string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
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

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func fmtf(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

func joinf(v []float64) string {
	var parts []string
	for _, x := range v {
		parts = append(parts, fmtf(x))
	}
	return strings.Join(parts, ", ")
}
