package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/simtarget"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/probe"
)

// The scale mode: many monitors at their real interval against targets
// that answer after 50–500 ms, a share of which never answer, measuring
// how late checks start behind their slots (overall and per tenant),
// whether any slot is missed, and the memory a check in flight costs.
//
//	go run ./bench/noc -scale -monitors 100000 -tenants 1000 -interval 60s -concurrency 64 -duration 3m
var (
	scaleMode    = flag.Bool("scale", false, "measure schedule lag against slow and dead targets (see scale.go) instead of throughput")
	scaleEvery   = flag.Duration("interval", 60*time.Second, "scale: the monitors' interval")
	slowMin      = flag.Int("slow-min", 50, "scale: fastest answer, ms")
	slowMax      = flag.Int("slow-max", 500, "scale: slowest answer, ms")
	deadShare    = flag.Float64("dead", 0.05, "scale: share of monitors whose target accepts and never answers")
	checkTimeout = flag.Duration("timeout", 10*time.Second, "scale: each check's timeout")
	scalePlan    = flag.String("plan", billing.PlanProfessional, "scale: the customers' plan (its weight and concurrency cap)")
	tenantCap    = flag.Int("tenant-cap", 0, "scale: jobs in flight per tenant instead of the plan's (0: the plan's)")
	serveTarget  = flag.String("serve-target", "", "serve the simulated target on this address and nothing else (the scale mode runs it so, in a child process)")
)

// targetProcess runs the simulated target in a child process, so that
// its goroutines, memory and CPU are not the measured process's; it
// returns the target's URL and a function that stops it.
func targetProcess() (string, func()) {
	cmd := exec.Command(os.Args[0], "-serve-target", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		log.Fatalf("simulated target: %v", err)
	}
	return strings.TrimSpace(line), func() { cmd.Process.Kill(); cmd.Wait() }
}

// serve runs the simulated target until killed, its URL on stdout.
func serve(addr string) {
	sim, err := simtarget.Start(addr, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sim.URL)
	select {}
}

func active(ctx context.Context, url string) int64 {
	st, err := simtarget.RemoteStats(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	return st.Active
}

// lagLog keeps the lag of every check started inside the measured window
// per tenant, and counts the starts of slots due inside it per monitor.
type lagLog struct {
	mu       sync.Mutex
	from, to time.Time
	byTenant map[string][]time.Duration
	starts   map[string]int
}

func (l *lagLog) record(row *dispatch.JobRow, lag time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !now.Before(l.from) && now.Before(l.to) {
		l.byTenant[row.TenantID] = append(l.byTenant[row.TenantID], lag)
	}
	if !row.DueAt.Before(l.from) && row.DueAt.Before(l.to) {
		l.starts[row.ScheduleID]++
	}
}

func runScale(ctx context.Context) {
	simURL, stop := targetProcess()
	defer stop()
	fmt.Printf("scale: %d monitors over %d tenants on %s every %s; targets answer in %d–%d ms, %.0f%% never (timeout %s); worker concurrency %d, tenant cap %d (0: the plan's)\n",
		*nMonitors, *nTenants, *scalePlan, *scaleEvery, *slowMin, *slowMax, *deadShare*100, *checkTimeout, *concurrency, *tenantCap)

	st := newStack(ctx)
	defer st.close()
	per := *nMonitors / *nTenants
	dead := int(float64(per) * *deadShare)
	start := time.Now()
	ids := st.createMonitors(ctx, *scalePlan, *scaleEvery, *checkTimeout, func(_, j int) string {
		path := fmt.Sprintf("/uniform/%d/%d", *slowMin, *slowMax)
		if j < dead {
			path = "/hang"
		}
		return fmt.Sprintf(`{"url":"%s%s?m=%d","expected_status":["200"]}`, simURL, path, j)
	})
	fmt.Printf("created %d monitors in %s\n", len(ids), time.Since(start).Round(time.Second))
	p, _ := billing.PlanByID(*scalePlan)
	policy := dispatch.Policy{Weight: p.Weight, MaxConcurrency: p.MaxConcurrency}
	if *tenantCap > 0 {
		policy.MaxConcurrency = *tenantCap
	}
	st.source = scaleSource{st: st, policy: policy}
	if _, err := st.dc.Rebuild(ctx, st.source); err != nil {
		log.Fatal(err)
	}

	// Warm up one interval, then measure the slots due in -duration.
	heapIdle := heapInUse()
	lags := &lagLog{byTenant: map[string][]time.Duration{}, starts: map[string]int{}}
	lags.from = time.Now().Add(*scaleEvery)
	lags.to = lags.from.Add(*duration)
	st.onStart = lags.record
	var samples []int64 // checks in flight, sampled
	var profile *os.File
	var heaps []uint64
	st.startWorkers(ctx)
	for i := 0; time.Now().Before(lags.to.Add(*checkTimeout + 5*time.Second)); i++ {
		time.Sleep(time.Second)
		if i%15 == 0 {
			lags.mu.Lock()
			n := 0
			for _, ls := range lags.byTenant {
				n += len(ls)
			}
			lags.mu.Unlock()
			depth, _ := st.dc.QueueDepth(ctx, ids[0].tenant)
			next, _ := st.dc.NextRun(ctx, ids[0].tenant, ids[0].id)
			fmt.Printf("  %s: %d starts measured, %d checks at the target, first tenant's queue %v, its first monitor next due in %s\n",
				time.Now().Format("15:04:05"), n, active(ctx, simURL), depth, time.Until(next).Round(time.Second))
		}
		if time.Now().After(lags.from) && time.Now().Before(lags.to) {
			samples = append(samples, active(ctx, simURL))
			heaps = append(heaps, heapInUse())
			if *cpuProfile != "" && profile == nil {
				// The measured window alone.
				var err error
				if profile, err = os.Create(*cpuProfile); err != nil {
					log.Fatal(err)
				}
				pprof.StartCPUProfile(profile)
			}
		}
		if profile != nil && time.Now().After(lags.to) {
			pprof.StopCPUProfile()
			profile.Close()
			profile = nil
			*cpuProfile = ""
		}
	}
	st.stopWorkers()

	var all []time.Duration
	worst, worstTenant, over5 := time.Duration(0), "", 0
	for tn, ls := range lags.byTenant {
		slices.Sort(ls)
		all = append(all, ls...)
		if p := pct(ls, 0.99); p > worst {
			worst, worstTenant = p, tn
		}
		if pct(ls, 0.99) > 5*time.Second {
			over5++
		}
	}
	slices.Sort(all)
	slots := int(*duration / *scaleEvery)
	missed := 0
	for _, m := range ids {
		if n := lags.starts[m.id]; n < slots {
			missed += slots - n
		}
	}
	var meanInFlight float64
	for _, s := range samples {
		meanInFlight += float64(s)
	}
	if len(samples) > 0 {
		meanInFlight /= float64(len(samples))
	}
	var heapBusy uint64
	if len(heaps) > 0 {
		heapBusy = heaps[len(heaps)/2]
	}
	fmt.Printf("checks started in the window: %d (%.0f/s); lag p50 %s, p99 %s, max %s; worst tenant p99 %s (%s); tenants with p99 over 5 s: %d of %d; slots due in the window not started by %s after it: %d of %d\n",
		len(all), float64(len(all))/duration.Seconds(), pct(all, 0.5).Round(time.Millisecond), pct(all, 0.99).Round(time.Millisecond),
		pct(all, 1).Round(time.Millisecond), worst.Round(time.Millisecond), worstTenant, over5, len(lags.byTenant), *checkTimeout+5*time.Second, missed, slots*len(ids))
	fmt.Printf("checks in flight: %.0f on average; Go heap %d MiB while running, %d MiB before\n", meanInFlight, heapBusy>>20, heapIdle>>20)
	inFlightMemory(ctx, st, simURL, 2000)
}

// inFlightMemory measures what n HTTP checks waiting on targets that
// never answer cost: Go heap and goroutines, through the probe registry
// the workers use.
func inFlightMemory(ctx context.Context, st *stack, simURL string, n int) {
	runtime.GC()
	heap0, g0 := heapInUse(), runtime.NumGoroutine()
	base := active(ctx, simURL)
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw := fmt.Appendf(nil, `{"url":"%s/hang?m=%d","expected_status":["200"]}`, simURL, i)
			st.probes.Run(cctx, probe.KindHTTP, raw, probe.Input{Timeout: time.Minute})
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for active(ctx, simURL)-base < int64(n) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	runtime.GC()
	heap1, g1 := heapInUse(), runtime.NumGoroutine()
	cancel()
	wg.Wait()
	fmt.Printf("memory per check in flight (%d HTTP checks waiting on targets that never answer): Go heap %.1f KiB, %.1f goroutines\n",
		n, float64(heap1-heap0)/float64(n)/1024, float64(g1-g0)/float64(n))
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[int(p*float64(len(ds)-1))]
}

// scaleSource rebuilds from the NOC's own schedules, every tenant at the
// scale policy.
type scaleSource struct {
	st     *stack
	policy dispatch.Policy
}

func (s scaleSource) Schedules(ctx context.Context, yield func(dispatch.Schedule) error) error {
	return s.st.noc.Schedules(ctx, yield)
}

func (s scaleSource) Policies(ctx context.Context, yield func(string, dispatch.Policy) error) error {
	seen := map[string]bool{}
	return s.st.noc.Schedules(ctx, func(sc dispatch.Schedule) error {
		if seen[sc.TenantID] {
			return nil
		}
		seen[sc.TenantID] = true
		return yield(sc.TenantID, s.policy)
	})
}
