// Command nocbench measures the NOC's check pipeline in production mode
// (Postgres and Redis):
//
//	throughput  HTTP checks per second end to end — schedules in Redis, the
//	            scheduler moving due runs to the tenants' queues, workers
//	            running the HTTP probe against a loopback target, the result
//	            batched into check_results, the state machine saved — with
//	            10,000 monitors, against the same HTTP requests made in a
//	            tight loop by as many goroutines as the workers have, the
//	            two measured alternately in rounds
//	memory      memory per active monitor: Go heap of the process running
//	            scheduler and workers, Redis memory, and the database rows,
//	            before and after the monitors exist and run
//
// The services are wired as cmd/opsward wires them; monitors are created
// through the NOC service (sealed settings, quota, schedule). Their
// schedules are then rewritten at a 1 s interval, which no plan allows, so
// that the pipeline always has work and runs at its capacity.
//
// With -metering compare each round also measures the pipeline with
// metering off (check results then record no check_runs usage), in
// alternating order with the pipeline metered, to give metering's cost as
// a ratio measured side by side.
//
//	go run ./bench/noc -monitors 10000 -rounds 3
//	go run ./bench/noc -metering compare -rounds 5
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

var (
	pgAdmin     = flag.String("pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "Postgres admin URL; a fresh database is made and dropped")
	redisURL    = flag.String("redis", "redis://127.0.0.1:6379/0", "Redis URL; keys go under a fresh prefix, removed at the end")
	nMonitors   = flag.Int("monitors", 10000, "monitors")
	nTenants    = flag.Int("tenants", 10, "customers the monitors are spread over")
	concurrency = flag.Int("concurrency", 32, "worker concurrency, and goroutines of the raw loop")
	duration    = flag.Duration("duration", 10*time.Second, "one measurement")
	warmup      = flag.Duration("warmup", 3*time.Second, "least unmeasured run before each pipeline measurement; it lasts at least one pass over the monitors, so that workers run warm")
	rounds      = flag.Int("rounds", 3, "rounds; each measures the raw loop and the pipeline once, alternating which goes first")
	cpuProfile  = flag.String("cpuprofile", "", "write a CPU profile of the pipeline measurements to this file")
	metering    = flag.String("metering", "on", "on or off: check results meter check_runs as cmd/opsward does; compare: each round also measures the pipeline unmetered")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()
	// The process runs with the garbage collector setting of opsward
	// itself (cmd/opsward: 400 unless GOGC is set); both the raw loop and
	// the pipeline run under it.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}

	if *serveTarget != "" {
		serve(*serveTarget)
	}
	if *scaleMode {
		runScale(ctx)
		return
	}
	target := startTarget()
	fmt.Printf("target %s, %d monitors over %d tenants, concurrency %d, %s per measurement, %d rounds\n",
		target, *nMonitors, *nTenants, *concurrency, *duration, *rounds)

	st := newStack(ctx)
	defer st.close()

	heap0 := heapInUse()
	redis0 := st.redisMemory(ctx)
	start := time.Now()
	ids := st.createMonitors(ctx, billing.PlanEnterprise, 30*time.Second, 0, func(_, j int) string {
		return fmt.Sprintf(`{"url":"http://%s/p/%d","expected_status":["200"]}`, target, j)
	})
	fmt.Printf("created %d monitors in %s\n", len(ids), time.Since(start).Round(time.Millisecond))
	// Redis holds each monitor's schedule (at the plan's interval) and
	// nothing else yet.
	redis1 := st.redisMemory(ctx)

	// Every monitor due every second: more than the workers can do.
	var ss []dispatch.Schedule
	for _, m := range ids {
		payload, _ := json.Marshal(monitoring.CheckArgs{MonitorID: m.id})
		ss = append(ss, dispatch.Schedule{ID: m.id, TenantID: m.tenant, Kind: monitoring.CheckArgs{}.Kind(), Interval: time.Second, Payload: payload})
	}
	st.source = benchSource{schedules: slices.Clone(ss)}
	for len(ss) > 0 {
		n := min(500, len(ss))
		if _, err := st.dc.UpsertSchedules(ctx, ss[:n]); err != nil {
			log.Fatal(err)
		}
		ss = ss[n:]
	}

	if *metering == "compare" {
		st.compareMetering(ctx)
		return
	}
	st.setMetering(*metering != "off")

	var raw, pipe []float64
	for r := 0; r < *rounds; r++ {
		measureRaw := func() { raw = append(raw, rawLoop(target)) }
		measurePipe := func() { pipe = append(pipe, st.pipeline(ctx)) }
		if r%2 == 0 {
			measureRaw()
			measurePipe()
		} else {
			measurePipe()
			measureRaw()
		}
		fmt.Printf("round %d: raw loop %.0f req/s, pipeline %.0f checks/s (ratio %.2f)\n",
			r+1, raw[len(raw)-1], pipe[len(pipe)-1], pipe[len(pipe)-1]/raw[len(raw)-1])
	}
	mr, mp := median(raw), median(pipe)
	fmt.Printf("median: raw loop %.0f req/s, pipeline %.0f checks/s, ratio %.2f\n", mr, mp, mp/mr)

	// Memory, with every monitor checked by this process at least once.
	st.stopWorkers()
	heap1 := heapInUse()
	rows := st.tableBytes(ctx, "monitors")
	n := float64(len(ids))
	fmt.Printf("memory per active monitor: Go heap %.0f B (worker process, after the runs), Redis %.0f B (its schedule), database %.0f B (monitors table and indexes)\n",
		float64(heap1-heap0)/n, float64(redis1-redis0)/n, float64(rows)/n)
}

type monitorRef struct{ id, tenant string }

type stack struct {
	admin  *sql.DB
	dbName string
	db     *platform.Database
	client *ent.Client
	rdb    *redis.Client
	prefix string
	dc     *dispatch.Client
	noc    *monitoring.Service
	writer *results.Writer
	// results and usage are the check results store and billing's usage
	// store, for metering on and off.
	results *results.Store
	usage   *billing.UsageStore
	ts      *tenants.Service
	bill    *billing.Service
	probes  *probe.Registry
	source  dispatch.Source
	// onStart sees every scheduled check start (the scale mode's lag).
	onStart  func(*dispatch.JobRow, time.Duration)
	cancel   context.CancelFunc
	done     sync.WaitGroup
	workerOn atomic.Bool
}

func newStack(ctx context.Context) *stack {
	st := &stack{}
	var err error
	st.admin, err = sql.Open("pgx", *pgAdmin)
	if err != nil {
		log.Fatal(err)
	}
	st.dbName = "nocbench_" + strings.ToLower(opsward.NewID("x")[2:14])
	if _, err := st.admin.ExecContext(ctx, "CREATE DATABASE "+st.dbName); err != nil {
		log.Fatalf("create database: %v", err)
	}
	u := strings.Replace(*pgAdmin, "/postgres?", "/"+st.dbName+"?", 1)
	cfg := platform.Config{DatabaseURL: u, MigrateDatabaseURL: u}.WithDefaults()
	mdb, err := platform.OpenMigrationDatabase(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	mg, err := migrations.New(mdb.DB, mdb.Dialect)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := mg.Up(ctx); err != nil {
		log.Fatal(err)
	}
	mdb.Close()
	if st.db, err = platform.OpenDatabase(ctx, cfg, tenants.SessionSettings); err != nil {
		log.Fatal(err)
	}
	st.client = ent.NewClient(ent.Driver(tenants.Driver(dialect.Postgres, st.db.DB)))
	opts, err := redis.ParseURL(*redisURL)
	if err != nil {
		log.Fatal(err)
	}
	opts.PoolSize = 64
	st.rdb = redis.NewClient(opts)
	st.prefix = "nocbench:" + strings.ToLower(opsward.NewID("x")[2:14]) + ":"
	keys, _ := authn.GenerateKeyRing(time.Now())
	sk, _ := authn.GenerateSealKey()
	sealer, _ := authn.NewSealer(authn.SealerConfig{Keys: map[string]string{"b1": sk}, Active: "b1"})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	hook := func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error {
		return st.bill.TenantCreatedHook()(ctx, tx, t)
	}
	st.ts, err = tenants.New(tenants.Config{Argon2: authn.TestArgon2Params}, tenants.Deps{
		Client: st.client, Dialect: dialect.Postgres, Redis: st.rdb, RedisPrefix: st.prefix, Keys: keys, Sealer: sealer,
		Hooks: tenants.Hooks{TenantCreated: hook}, Logger: quiet,
	})
	if err != nil {
		log.Fatal(err)
	}
	st.bill = billing.New(st.client, st.ts, quiet)
	if st.dc, err = dispatch.NewClient(st.rdb, dispatch.Config{Prefix: st.prefix + "dispatch", Logger: quiet}); err != nil {
		log.Fatal(err)
	}
	guard := &egress.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	st.probes = probe.NewRegistry(probe.Deps{Guard: guard})
	rs := results.New(st.db, quiet)
	st.results, st.usage = rs, billing.NewUsageStore(st.db)
	if st.writer, err = rs.NewWriter(results.WriterConfig{}); err != nil {
		log.Fatal(err)
	}
	st.noc, err = monitoring.New(monitoring.Deps{
		Client: st.client, DB: st.db, Tenants: st.ts, Billing: st.bill, Dispatch: st.dc,
		Probes: st.probes, ResultStore: rs, Writer: st.writer,
		Channels: notify.NewRegistry(notify.Deps{}), Sealer: sealer, Logger: quiet,
	})
	if err != nil {
		log.Fatal(err)
	}
	st.bill.SetMonitorCounter(st.noc.CountMonitors)
	return st
}

// setMetering turns the metering of check runs on or off, as
// OPSWARD_METERING does in cmd/opsward.
func (st *stack) setMetering(on bool) {
	if on {
		st.results.Meter(st.usage)
	} else {
		st.results.Meter(nil)
	}
}

// compareMetering measures the pipeline metered and unmetered in each
// round, alternating which goes first, and prints what was metered.
func (st *stack) compareMetering(ctx context.Context) {
	var on, off []float64
	for r := 0; r < *rounds; r++ {
		order := []bool{true, false}
		if r%2 == 1 {
			order = []bool{false, true}
		}
		for _, m := range order {
			st.setMetering(m)
			if m {
				on = append(on, st.pipeline(ctx))
			} else {
				off = append(off, st.pipeline(ctx))
			}
		}
		fmt.Printf("round %d: pipeline metered %.0f checks/s, unmetered %.0f checks/s (ratio %.3f)\n",
			r+1, on[len(on)-1], off[len(off)-1], on[len(on)-1]/off[len(off)-1])
	}
	mon, moff := median(on), median(off)
	// The figure to quote: the median of each round's own ratio, as the
	// two measurements of a round ran next to each other on the same
	// machine; slow drifts of a shared machine's load cancel in it.
	ratios := make([]float64, len(on))
	for i := range on {
		ratios[i] = on[i] / off[i]
	}
	mr := median(ratios)
	fmt.Printf("median of the rounds' ratios: %.3f (metering costs %.1f%%)\n", mr, 100*(1-mr))
	fmt.Printf("median: metered %.0f checks/s, unmetered %.0f checks/s, ratio %.3f (metering costs %.1f%%)\n",
		mon, moff, mon/moff, 100*(1-mon/moff))
	var metered, runs int64
	pctx := tenants.Privileged(ctx, "bench: metered check runs")
	if err := st.db.QueryRowContext(pctx, "SELECT coalesce(sum(quantity), 0), count(*) FROM usage_events WHERE meter = 'check_runs'").Scan(&metered, &runs); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("metered %d check runs in %d usage events (%.0f results per event)\n", metered, runs, float64(metered)/max(float64(runs), 1))
}

// createMonitors makes the tenants (on plan) and their monitors through
// the service, as users would: monitor j of tenant i has settings(i, j),
// the interval and the timeout (0: the default).
func (st *stack) createMonitors(ctx context.Context, plan string, interval, timeout time.Duration, settings func(i, j int) string) []monitorRef {
	pctx := tenants.Privileged(ctx, "bench setup")
	tx, err := st.client.Tx(pctx)
	if err != nil {
		log.Fatal(err)
	}
	id := opsward.NewID(opsward.PrefixTenant)
	root, err := tx.Tenant.Create().SetID(id).SetKind(tenant.KindProvider).SetSlug("msp").SetName("MSP").SetPath("/" + id + "/").Save(pctx)
	if err == nil {
		err = st.bill.TenantCreatedHook()(pctx, tx, root)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		log.Fatal(err)
	}
	per := *nMonitors / *nTenants
	var out []monitorRef
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	// Tenants in parallel, each one's monitors in turn: a tenant's writes
	// (its audit chain) take turns anyway.
	for i := 0; i < *nTenants; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			t, err := st.ts.CreateTenant(pctx, tenants.TenantInput{ParentID: root.ID, Slug: "c" + strconv.Itoa(i), Name: "customer " + strconv.Itoa(i)})
			if err != nil {
				log.Fatal(err)
			}
			if _, err := st.bill.ChangePlan(pctx, t.ID, plan); err != nil {
				log.Fatal(err)
			}
			name, kind := "site", "website"
			a, err := st.noc.CreateAsset(pctx, monitoring.AssetInput{TenantID: t.ID, Name: &name, Kind: &kind})
			if err != nil {
				log.Fatal(err)
			}
			mine := make([]monitorRef, 0, per)
			for j := 0; j < per; j++ {
				name, kind := "page "+strconv.Itoa(j), "http"
				in := monitoring.MonitorInput{AssetID: a.ID, Name: &name, Kind: &kind, Settings: json.RawMessage(settings(i, j)), Interval: &interval}
				if timeout > 0 {
					in.Timeout = &timeout
				}
				nm, err := st.noc.CreateMonitor(pctx, in)
				if err != nil {
					log.Fatal(err)
				}
				mine = append(mine, monitorRef{nm.Monitor.ID, t.ID})
			}
			mu.Lock()
			out = append(out, mine...)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	return out
}

// pipeline runs the scheduler and workers and counts the results stored
// during the measurement.
func (st *stack) pipeline(ctx context.Context) float64 {
	st.startWorkers(ctx)
	// Warm up until every monitor has been checked once by this process
	// (its row cached, as in steady state), and for at least -warmup.
	w0, deadline := st.writer.Stats().Written, time.Now().Add(*warmup)
	for time.Now().Before(deadline) || st.writer.Stats().Written-w0 < int64(*nMonitors) {
		time.Sleep(100 * time.Millisecond)
	}
	st.writer.Flush(ctx)
	before := st.writer.Stats().Written
	t0 := time.Now()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	time.Sleep(*duration)
	st.writer.Flush(ctx)
	n := st.writer.Stats().Written - before
	el := time.Since(t0)
	st.stopWorkers()
	return float64(n) / el.Seconds()
}

func (st *stack) startWorkers(ctx context.Context) {
	if st.workerOn.Swap(true) {
		return
	}
	ws := dispatch.NewWorkers()
	st.noc.Register(ws)
	p, err := dispatch.NewProcessor(st.dc, ws, dispatch.ProcessorConfig{Concurrency: *concurrency, OnStart: st.onStart})
	if err != nil {
		log.Fatal(err)
	}
	s, err := dispatch.NewScheduler(st.dc, st.source, dispatch.SchedulerConfig{MaxCatchUp: 1}) // as cmd/opsward
	if err != nil {
		log.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	st.cancel = cancel
	st.done.Add(2)
	go func() { defer st.done.Done(); _ = p.Run(rctx) }()
	go func() { defer st.done.Done(); _ = s.Run(rctx) }()
}

func (st *stack) stopWorkers() {
	if !st.workerOn.Swap(false) {
		return
	}
	st.cancel()
	st.done.Wait()
}

func (st *stack) close() {
	ctx := context.Background()
	st.stopWorkers()
	st.writer.Close(ctx)
	st.db.Close()
	iter := st.rdb.Scan(ctx, 0, st.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		st.rdb.Del(ctx, iter.Val())
	}
	st.rdb.Close()
	if _, err := st.admin.ExecContext(ctx, "DROP DATABASE "+st.dbName+" WITH (FORCE)"); err != nil {
		log.Printf("drop database: %v", err)
	}
	st.admin.Close()
}

func (st *stack) redisMemory(ctx context.Context) int64 {
	info, err := st.rdb.Info(ctx, "memory").Result()
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

func (st *stack) tableBytes(ctx context.Context, table string) int64 {
	var n int64
	pctx := tenants.Privileged(ctx, "bench: table size")
	if err := st.db.QueryRowContext(pctx, "SELECT pg_total_relation_size($1)", table).Scan(&n); err != nil {
		log.Fatal(err)
	}
	return n
}

// rawLoop makes the probe's requests (a new connection per GET, as the
// HTTP probe does to time DNS, connect and first byte) from as many
// goroutines as the workers have, as fast as they go.
func rawLoop(target string) float64 {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	var n atomic.Int64
	stop := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for g := 0; g < *concurrency; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				resp, err := client.Get(fmt.Sprintf("http://%s/p/%d", target, g*1000+i%1000))
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					n.Add(1)
				}
			}
		}(g)
	}
	wg.Wait()
	return float64(n.Load()) / duration.Seconds()
}

func startTarget() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	})}
	go srv.Serve(l)
	return l.Addr().String()
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// benchSource is what the scheduler rebuilds Redis from: the 1 s
// schedules, and every tenant at the enterprise plan's pace.
type benchSource struct{ schedules []dispatch.Schedule }

func (b benchSource) Schedules(_ context.Context, yield func(dispatch.Schedule) error) error {
	for _, s := range b.schedules {
		if err := yield(s); err != nil {
			return err
		}
	}
	return nil
}

func (b benchSource) Policies(_ context.Context, yield func(string, dispatch.Policy) error) error {
	p, _ := billing.PlanByID(billing.PlanEnterprise)
	seen := map[string]bool{}
	for _, s := range b.schedules {
		if !seen[s.TenantID] {
			seen[s.TenantID] = true
			if err := yield(s.TenantID, dispatch.Policy{Weight: p.Weight, MaxConcurrency: p.MaxConcurrency}); err != nil {
				return err
			}
		}
	}
	return nil
}
