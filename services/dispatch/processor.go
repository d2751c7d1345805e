package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
)

// Processor is the worker role: it takes jobs from the tenants' ready
// queues in weighted fair order and runs their handlers.
//
// Fairness: every tenant with ready work has a virtual "pass"; each job
// taken advances it by 1/weight, and the tenant with the lowest pass goes
// next (stride scheduling). A tenant that becomes ready starts at the pass
// of the tenant served last, so it is served at the next free slot however
// long another tenant's backlog is. Jobs are taken only for free slots, so
// nothing waits behind a local prefetch.
type Processor struct {
	c   *Client
	ws  *Workers
	cfg ProcessorConfig
	log *slog.Logger

	results chan result
	wake    chan struct{}

	mu          sync.Mutex
	inUse       int                 // taken from Redis and not yet finished
	running     map[string]*fetched // job id -> job, for heartbeats and hand-back
	active      map[string]*tstate  // tenants with ready work, as last seen
	weights     map[string]int      // last weight seen per tenant
	vtime       float64             // pass of the tenant served last
	lastRefresh time.Time
	started     bool

	// workCtx is the jobs' context; workers counts the running jobs, one
	// goroutine each: a job waiting on the network costs its goroutine,
	// not a slot of a fixed pool, so Concurrency may be in the thousands.
	workCtx context.Context
	workers sync.WaitGroup

	// deferred counts jobs done but acknowledged only once their work is
	// durable (JobAckAfter); quit tells their waits that shutdown gave up.
	deferred sync.WaitGroup
	quit     chan struct{}
}

type tstate struct {
	pass         float64
	weight       int
	blockedUntil time.Time // capped or paused
}

type fetched struct {
	row    *JobRow
	tenant string
	env    envelope
}

type result struct {
	f        *fetched
	err      error
	handback bool
}

// NewProcessor checks cfg and returns a Processor that runs the handlers in
// ws.
func NewProcessor(c *Client, ws *Workers, cfg ProcessorConfig) (*Processor, error) {
	if c == nil || ws == nil {
		return nil, opsward.Errorf(opsward.EINVALID, "dispatch: a client and a worker registry are required")
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Processor{
		c: c, ws: ws, cfg: cfg, log: c.log,
		results: make(chan result, 2*cfg.Concurrency),
		wake:    make(chan struct{}, 1),
		running: map[string]*fetched{},
		quit:    make(chan struct{}),
		active:  map[string]*tstate{},
		weights: map[string]int{},
	}, nil
}

// Run takes and runs jobs until ctx is cancelled, then shuts down
// gracefully: it stops taking jobs, lets running ones finish within
// ShutdownTimeout, cancels the context of the rest and hands them back to
// their queues at once, so that nothing waits for the visibility timeout.
// Redis errors are logged and retried; Run returns only at shutdown.
func (p *Processor) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		return opsward.Errorf(opsward.ECONFLICT, "dispatch: processor already started")
	}
	p.started = true
	p.mu.Unlock()

	// Jobs get their own context: shutdown first waits, then cancels it.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	// Redis calls made on the way out must not be cut short by ctx.
	bg := context.WithoutCancel(ctx)

	p.c.m.slots.Add(float64(p.cfg.Concurrency))
	defer p.c.m.slots.Sub(float64(p.cfg.Concurrency))
	p.workCtx = workCtx
	ackStop := make(chan struct{})
	ackDone := make(chan struct{})
	go p.acker(bg, ackStop, ackDone)
	hbStop := make(chan struct{})
	hbDone := make(chan struct{})
	go p.heartbeat(bg, hbStop, hbDone)

	p.dispatch(ctx, bg)

	// Shutdown: every job taken is running; wait for them.
	var back []*fetched
	finished := make(chan struct{})
	go func() { p.workers.Wait(); close(finished) }()
	timer := time.NewTimer(p.cfg.ShutdownTimeout)
	select {
	case <-finished:
		timer.Stop()
	case <-timer.C:
		cancelWork()
		p.mu.Lock()
		back = back[:0]
		for _, f := range p.running {
			back = append(back, f)
		}
		p.mu.Unlock()
		p.log.Warn("shutdown deadline reached; handing running jobs back", "jobs", len(back))
		p.handBack(bg, back)
	}
	// Jobs whose work is not yet durable: their writes commit within
	// milliseconds; those still waiting at the deadline stay in flight and
	// are reclaimed after the visibility timeout.
	deferredDone := make(chan struct{})
	go func() { p.deferred.Wait(); close(deferredDone) }()
	select {
	case <-deferredDone:
	case <-time.After(p.cfg.ShutdownTimeout):
		close(p.quit)
		<-deferredDone
	}
	close(ackStop)
	<-ackDone
	close(hbStop)
	<-hbDone
	return nil
}

// dispatch is the fetch loop. It returns when ctx is cancelled.
func (p *Processor) dispatch(ctx, bg context.Context) {
	poll := time.NewTicker(p.cfg.PollInterval)
	defer poll.Stop()
	errWait := p.cfg.PollInterval
	wait := func() {
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-poll.C:
		}
	}
	for ctx.Err() == nil {
		p.mu.Lock()
		free := p.cfg.Concurrency - p.inUse
		// Three quarters: the poll ticker that wakes an idle loop fires one
		// interval after the previous tick, a hair before a full interval
		// since the previous refresh.
		stale := time.Since(p.lastRefresh) >= p.cfg.PollInterval*3/4
		p.mu.Unlock()
		if free <= 0 {
			wait()
			continue
		}
		if stale {
			if err := p.refresh(bg); err != nil {
				p.log.Warn("dispatch: reading ready tenants failed", "err", err)
				sleepCtx(ctx, errWait)
				errWait = min(2*errWait, 5*time.Second)
				continue
			}
		}
		alloc := p.allocate(free)
		if len(alloc) == 0 {
			wait()
			continue
		}
		got, err := p.fetch(bg, alloc)
		if err != nil {
			p.log.Warn("dispatch: fetch failed", "err", err)
			sleepCtx(ctx, errWait)
			errWait = min(2*errWait, 5*time.Second)
			continue
		}
		errWait = p.cfg.PollInterval
		if got == 0 {
			wait()
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// refresh reads the set of tenants with ready work.
func (p *Processor) refresh(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	members, err := p.c.rdb.SMembers(rctx, p.c.k.readySet()).Result()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastRefresh = time.Now()
	seen := make(map[string]struct{}, len(members))
	for _, t := range members {
		seen[t] = struct{}{}
		if _, ok := p.active[t]; !ok {
			p.active[t] = &tstate{pass: p.vtime, weight: p.weightOf(t)}
		}
	}
	for t := range p.active {
		if _, ok := seen[t]; !ok {
			delete(p.active, t)
		}
	}
	return nil
}

func (p *Processor) weightOf(t string) int {
	if w, ok := p.weights[t]; ok {
		return w
	}
	return p.c.cfg.DefaultPolicy.Weight
}

// allocate hands out free slots to tenants in weighted fair order.
func (p *Processor) allocate(free int) map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	type cand struct {
		t  string
		ts *tstate
	}
	var cands []cand
	for t, ts := range p.active {
		if now.Before(ts.blockedUntil) {
			continue
		}
		cands = append(cands, cand{t, ts})
	}
	if len(cands) == 0 {
		return nil
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].t < cands[j].t })
	alloc := map[string]int{}
	for range free {
		best := -1
		for i, c := range cands {
			if alloc[c.t] >= p.cfg.FetchBatch {
				continue
			}
			if best < 0 || c.ts.pass < cands[best].ts.pass {
				best = i
			}
		}
		if best < 0 {
			break
		}
		c := cands[best]
		p.vtime = c.ts.pass
		c.ts.pass += 1 / float64(c.ts.weight)
		alloc[c.t]++
	}
	p.inUse += sumAlloc(alloc) // reserved; released for what is not obtained
	return alloc
}

func sumAlloc(a map[string]int) int {
	n := 0
	for _, v := range a {
		n += v
	}
	return n
}

// fetch takes the allocated jobs in one pipeline and starts a goroutine
// for each.
func (p *Processor) fetch(ctx context.Context, alloc map[string]int) (int, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	now := time.Now()
	deadline := ms(now.Add(p.cfg.VisibilityTimeout))
	defCap := p.c.cfg.DefaultPolicy.MaxConcurrency
	tenants := make([]string, 0, len(alloc))
	for t := range alloc {
		tenants = append(tenants, t)
	}
	cmds := make([]*redis.Cmd, len(tenants))
	_, err := p.c.pipeline(rctx, func(pl redis.Pipeliner) {
		for i, t := range tenants {
			tk := p.c.k.tenant(t)
			cmds[i] = fetchScript.EvalSha(rctx, pl, []string{tk.ready, tk.inflight, tk.jobs, tk.attempts, tk.policy}, alloc[t], deadline, defCap)
		}
		for _, t := range tenants {
			// The scheduler must look at this tenant when the deadline passes.
			pl.ZAddLT(rctx, p.c.k.dueIndex(), redis.Z{Score: float64(deadline), Member: t})
		}
	})
	if err != nil {
		// Whatever was taken is reclaimed after the visibility timeout.
		p.mu.Lock()
		p.inUse -= sumAlloc(alloc)
		p.mu.Unlock()
		return 0, err
	}
	var out []*fetched
	var empty []string
	p.mu.Lock()
	for i, t := range tenants {
		vals, _ := cmds[i].Slice()
		asked := alloc[t]
		ts := p.active[t]
		if len(vals) < 3 {
			p.inUse -= asked
			continue
		}
		status, _ := vals[0].(int64)
		if ws, _ := vals[1].(string); ws != "" {
			if w, err := strconv.Atoi(ws); err == nil && w > 0 {
				p.weights[t] = w
				if ts != nil {
					ts.weight = w
				}
			}
		}
		got := 0
		for j := 3; j+2 < len(vals); j += 3 {
			id, _ := vals[j].(string)
			msg, _ := vals[j+1].(string)
			att, _ := vals[j+2].(string)
			f, err := p.decode(t, id, msg, att)
			if err != nil {
				p.log.Error("dispatch: undecodable job", "tenant_id", t, "job_id", id, "err", err)
				continue
			}
			out = append(out, f)
			p.running[id] = f
			got++
		}
		p.inUse -= asked - got
		if ts != nil && asked > got {
			ts.pass -= float64(asked-got) / float64(ts.weight) // refund
		}
		remaining, _ := vals[2].(int64)
		switch {
		case status == 0 || status > 0 && remaining == 0:
			// Drained: leave the ready set now rather than after another
			// empty fetch.
			delete(p.active, t)
			empty = append(empty, t)
		case status == -1 && ts != nil:
			ts.blockedUntil = now.Add(p.cfg.PollInterval)
		case status == -2 && ts != nil:
			ts.blockedUntil = now.Add(5 * p.cfg.PollInterval)
		}
	}
	p.mu.Unlock()
	for _, f := range out {
		p.workers.Add(1) // inUse bounds how many run
		go func() {
			defer p.workers.Done()
			p.execute(p.workCtx, f)
		}()
	}
	if len(empty) > 0 {
		p.removeEmpty(rctx, empty)
	}
	return len(out), nil
}

// removeEmpty drops tenants whose queue was found empty from the global
// ready set, then looks again: a job pushed between the empty fetch and
// the removal puts the tenant back.
func (p *Processor) removeEmpty(ctx context.Context, tenants []string) {
	lens := make([]*redis.IntCmd, len(tenants))
	_, err := p.c.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		pl.SRem(ctx, p.c.k.readySet(), toAny(tenants)...)
		for i, t := range tenants {
			lens[i] = pl.LLen(ctx, p.c.k.tenant(t).ready)
		}
		return nil
	})
	if err != nil {
		p.log.Warn("dispatch: updating ready set failed", "err", err)
		return
	}
	var back []any
	for i, t := range tenants {
		if lens[i].Val() > 0 {
			back = append(back, t)
		}
	}
	if len(back) > 0 {
		p.c.rdb.SAdd(ctx, p.c.k.readySet(), back...)
		p.mu.Lock()
		for _, t := range back {
			if _, ok := p.active[t.(string)]; !ok {
				p.active[t.(string)] = &tstate{pass: p.vtime, weight: p.weightOf(t.(string))}
			}
		}
		p.mu.Unlock()
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func (p *Processor) decode(tenant, id, msg, att string) (*fetched, error) {
	var env envelope
	if err := json.Unmarshal([]byte(msg), &env); err != nil {
		return nil, err
	}
	prior, _ := strconv.Atoi(att)
	maxAtt := env.Max
	if maxAtt == 0 {
		maxAtt = p.c.cfg.MaxAttempts
	}
	row := &JobRow{
		ID: id, TenantID: tenant, Kind: env.Kind, Attempt: prior + 1, MaxAttempts: maxAtt,
		ScheduleID: env.Sched, DueAt: fromMS(env.Due), EnqueuedAt: fromMS(env.Enqueued),
		DedupKey: env.Dedup, Payload: env.Payload,
	}
	return &fetched{row: row, tenant: tenant, env: env}, nil
}

// execute runs one job and reports its outcome to the acker.
func (p *Processor) execute(ctx context.Context, f *fetched) {
	row := f.row
	log := p.log.With("tenant_id", row.TenantID, "job_id", row.ID, "kind", row.Kind, "attempt", row.Attempt)
	var err error
	switch h, ok := p.ws.byKind[row.Kind]; {
	case ctx.Err() != nil:
		p.report(result{f: f, handback: true})
		return
	case row.Attempt > row.MaxAttempts:
		// Reclaimed from dead workers more often than it may run.
		err = JobCancel(fmt.Errorf("attempt %d exceeds the limit of %d (its workers kept dying)", row.Attempt, row.MaxAttempts))
	case !ok:
		err = fmt.Errorf("no worker registered for kind %q", row.Kind)
	default:
		start := time.Now()
		p.c.m.started.WithLabelValues(row.Kind).Inc()
		if !row.DueAt.IsZero() && row.Attempt == 1 {
			lag := max(start.Sub(row.DueAt), 0)
			p.c.m.lag.WithLabelValues(row.Kind).Observe(lag.Seconds())
			if p.cfg.OnStart != nil {
				p.cfg.OnStart(row, lag)
			}
		}
		p.c.m.busy.Inc()
		err = safeRun(ctx, h, row)
		p.c.m.busy.Dec()
		p.c.m.busySeconds.Add(time.Since(start).Seconds())
		var later *ackAfterError
		if errors.As(err, &later) {
			log.Debug("job done; acknowledged once its work is durable")
			p.ackWhen(f, later.done)
			return
		}
		if err != nil && ctx.Err() != nil {
			log.Info("job interrupted by shutdown; handing it back", "err", err)
			p.report(result{f: f, handback: true})
			return
		}
	}
	if err != nil {
		log.Warn("job failed", "err", err)
	} else {
		log.Debug("job done")
	}
	p.report(result{f: f, err: err})
}

func safeRun(ctx context.Context, h func(context.Context, *JobRow) error, row *JobRow) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return h(ctx, row)
}

// ackWhen frees the job's slot now and acknowledges the job once done
// closes (JobAckAfter).
func (p *Processor) ackWhen(f *fetched, done <-chan struct{}) {
	p.mu.Lock()
	p.inUse--
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	p.deferred.Add(1)
	go func() {
		defer p.deferred.Done()
		select {
		case <-done:
			p.results <- result{f: f}
		case <-p.quit:
		}
	}()
}

func (p *Processor) report(r result) {
	p.mu.Lock()
	p.inUse--
	p.mu.Unlock()
	p.results <- r
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// acker settles finished jobs in batches: whatever has piled up while the
// previous batch was being written goes in the next pipeline.
func (p *Processor) acker(ctx context.Context, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	batch := make([]result, 0, 256)
	for {
		select {
		case r := <-p.results:
			batch = append(batch[:0], r)
		case <-stop:
			// Settle what is left, then go.
			batch = batch[:0]
			for {
				select {
				case r := <-p.results:
					batch = append(batch, r)
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				p.settle(ctx, batch)
			}
			// Late reports from abandoned handlers (at most Concurrency) fit
			// in the channel's buffer and are dropped: those jobs were
			// handed back.
			return
		}
	more:
		for len(batch) < cap(batch) {
			select {
			case r := <-p.results:
				batch = append(batch, r)
			default:
				break more
			}
		}
		p.settle(ctx, batch)
	}
}

// settle writes the outcome of a batch of jobs. Every script checks that
// the job is still in flight, so a job reclaimed or handed back meanwhile is
// left to its new owner.
func (p *Processor) settle(ctx context.Context, batch []result) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	now := time.Now()
	acks := map[string][]any{}
	requeue := map[string][]any{}
	type one struct {
		r       result
		cmd     *redis.Cmd
		outcome string
		at      int64
	}
	var singles []*one
	for _, r := range batch {
		f := r.f
		switch {
		case r.handback:
			requeue[f.tenant] = append(requeue[f.tenant], f.row.ID)
		case r.err == nil:
			acks[f.tenant] = append(acks[f.tenant], f.row.ID, f.row.Kind, f.env.Dedup)
		default:
			o := &one{r: r}
			var sn *snoozeError
			var cn *cancelError
			switch {
			case errors.As(r.err, &sn):
				o.outcome, o.at = "snooze", ms(now.Add(sn.d))
			case errors.As(r.err, &cn) || f.row.Attempt >= f.row.MaxAttempts:
				o.outcome = "dead"
			default:
				o.outcome, o.at = "retry", ms(now.Add(backoff(p.c.cfg.RetryBase, p.c.cfg.RetryMax, f.row.Attempt)))
			}
			singles = append(singles, o)
		}
	}
	ackCmds := map[string]*redis.Cmd{}
	_, err := p.c.pipeline(rctx, func(pl redis.Pipeliner) {
		for t, args := range acks {
			tk := p.c.k.tenant(t)
			ackCmds[t] = ackScript.EvalSha(rctx, pl, []string{tk.inflight, tk.jobs, tk.attempts, tk.errors, tk.dedup, tk.depth}, args...)
		}
		for t, ids := range requeue {
			tk := p.c.k.tenant(t)
			requeueScript.EvalSha(rctx, pl, []string{tk.inflight, tk.ready}, ids...)
		}
		for _, o := range singles {
			f := o.r.f
			tk := p.c.k.tenant(f.tenant)
			msg := truncate(o.r.err.Error(), 2000)
			switch o.outcome {
			case "snooze":
				o.cmd = retryScript.EvalSha(rctx, pl, []string{tk.inflight, tk.delayed, tk.attempts, tk.errors}, f.row.ID, o.at, "", 0)
			case "retry":
				o.cmd = retryScript.EvalSha(rctx, pl, []string{tk.inflight, tk.delayed, tk.attempts, tk.errors}, f.row.ID, o.at, msg, 1)
			case "dead":
				o.cmd = deadScript.EvalSha(rctx, pl, []string{tk.inflight, tk.dead, tk.errors, tk.dedup, tk.depth, tk.attempts}, f.row.ID, ms(now), msg, f.row.Kind, f.env.Dedup)
			}
		}
		// Index updates after the scripts.
		for t := range requeue {
			pl.SAdd(rctx, p.c.k.readySet(), t)
		}
		for _, o := range singles {
			if o.outcome == "dead" {
				pl.SAdd(rctx, p.c.k.deadSet(), o.r.f.tenant)
			} else {
				pl.ZAddLT(rctx, p.c.k.dueIndex(), redis.Z{Score: float64(o.at), Member: o.r.f.tenant})
			}
		}
	})
	if err != nil {
		p.log.Error("dispatch: settling jobs failed; they will be reclaimed after the visibility timeout", "err", err, "jobs", len(batch))
	}
	p.mu.Lock()
	for _, r := range batch {
		delete(p.running, r.f.row.ID)
		if ts := p.active[r.f.tenant]; ts != nil {
			ts.blockedUntil = time.Time{} // a slot of a capped tenant may be free
		}
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	if err != nil {
		return
	}
	for _, r := range batch {
		if r.err == nil && !r.handback {
			p.c.m.succeeded.WithLabelValues(r.f.row.Kind).Inc()
		}
	}
	for _, o := range singles {
		kind := o.r.f.row.Kind
		if o.outcome != "snooze" {
			p.c.m.failed.WithLabelValues(kind).Inc()
		}
		switch o.outcome {
		case "retry":
			p.c.m.retried.WithLabelValues(kind).Inc()
		case "dead":
			p.c.m.dead.WithLabelValues(kind).Inc()
			p.log.Warn("job moved to the dead-letter queue", "tenant_id", o.r.f.tenant, "job_id", o.r.f.row.ID, "kind", kind, "attempt", o.r.f.row.Attempt, "err", o.r.err)
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// handBack returns jobs to the head of their queues at once.
func (p *Processor) handBack(ctx context.Context, jobs []*fetched) {
	if len(jobs) == 0 {
		return
	}
	byTenant := map[string][]any{}
	for _, f := range jobs {
		byTenant[f.tenant] = append(byTenant[f.tenant], f.row.ID)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := p.c.pipeline(rctx, func(pl redis.Pipeliner) {
		for t, ids := range byTenant {
			tk := p.c.k.tenant(t)
			requeueScript.EvalSha(rctx, pl, []string{tk.inflight, tk.ready}, ids...)
		}
		for t := range byTenant {
			pl.SAdd(rctx, p.c.k.readySet(), t)
		}
	})
	if err != nil {
		p.log.Error("dispatch: handing jobs back failed; they will be reclaimed after the visibility timeout", "err", err)
		return
	}
	p.mu.Lock()
	for _, f := range jobs {
		delete(p.running, f.row.ID)
	}
	p.mu.Unlock()
	p.log.Info("jobs handed back", "jobs", len(jobs))
}

// heartbeat keeps the visibility deadline of running jobs ahead, so that
// only jobs of dead workers are reclaimed.
func (p *Processor) heartbeat(ctx context.Context, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(p.cfg.VisibilityTimeout / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		byTenant := map[string][]any{}
		p.mu.Lock()
		for id, f := range p.running {
			byTenant[f.tenant] = append(byTenant[f.tenant], id)
		}
		p.mu.Unlock()
		if len(byTenant) == 0 {
			continue
		}
		deadline := ms(time.Now().Add(p.cfg.VisibilityTimeout))
		rctx, cancel := context.WithTimeout(ctx, p.cfg.VisibilityTimeout/3)
		_, err := p.c.pipeline(rctx, func(pl redis.Pipeliner) {
			for t, ids := range byTenant {
				extendScript.EvalSha(rctx, pl, []string{p.c.k.tenant(t).inflight}, append([]any{deadline}, ids...)...)
			}
		})
		cancel()
		if err != nil {
			p.log.Warn("dispatch: extending job deadlines failed", "err", err)
		}
	}
}
