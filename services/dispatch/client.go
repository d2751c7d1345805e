package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
)

// Client is the handle every role shares: it enqueues jobs, manages
// schedules, tenant policies and the dead-letter queue. It is safe for
// concurrent use.
type Client struct {
	rdb redis.UniversalClient
	cfg Config
	k   keyspace
	log *slog.Logger
	m   *metrics
}

// NewClient checks cfg and returns a Client on rdb. Metrics are registered
// on cfg.Registerer when it is set.
func NewClient(rdb redis.UniversalClient, cfg Config) (*Client, error) {
	if rdb == nil {
		return nil, opsward.Errorf(opsward.EINVALID, "dispatch: a Redis client is required")
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{rdb: rdb, cfg: cfg, k: keyspace{prefix: cfg.Prefix}, log: cfg.Logger}
	m, err := newMetrics(c, cfg.Registerer)
	if err != nil {
		return nil, err
	}
	c.m = m
	return c, nil
}

// Redis returns the Redis client the Client uses.
func (c *Client) Redis() redis.UniversalClient { return c.rdb }

// Prefix returns the key prefix.
func (c *Client) Prefix() string { return c.cfg.Prefix }

// EnqueueOpts tunes one enqueue. The zero value runs the job as soon as
// possible with the default retry limit.
type EnqueueOpts struct {
	// RunAt delays the job until then. Delay is added to now when RunAt is
	// zero.
	RunAt time.Time
	Delay time.Duration
	// DedupKey makes the enqueue a no-op while another job of the tenant with
	// the same key has not finished (succeeded, died or been purged); the
	// existing job's id is returned.
	DedupKey string
	// MaxAttempts overrides Config.MaxAttempts.
	MaxAttempts int
	// ID sets the job id (it must be unique); default a new "job_" id.
	ID string
}

// EnqueueParams is one job of a batch.
type EnqueueParams struct {
	TenantID string
	Args     JobArgs
	Opts     *EnqueueOpts
}

// EnqueueResult tells what became of one enqueue.
type EnqueueResult struct {
	ID string
	// Duplicate is set when a job holding the same dedup key already
	// existed; ID is then that job's id.
	Duplicate bool
}

// Enqueue adds one job for tenantID.
func (c *Client) Enqueue(ctx context.Context, tenantID string, args JobArgs, opts *EnqueueOpts) (EnqueueResult, error) {
	res, err := c.EnqueueMany(ctx, []EnqueueParams{{TenantID: tenantID, Args: args, Opts: opts}})
	if err != nil {
		return EnqueueResult{}, err
	}
	return res[0], nil
}

// rawJob is a job ready to be stored.
type rawJob struct {
	tenant string
	id     string
	kind   string
	msg    string
	dedup  string
	runAt  int64
}

func (c *Client) prepare(now time.Time, tenantID, kind string, payload json.RawMessage, opts *EnqueueOpts) (rawJob, error) {
	if err := validTenant(tenantID); err != nil {
		return rawJob{}, err
	}
	if err := validKind(kind); err != nil {
		return rawJob{}, err
	}
	var o EnqueueOpts
	if opts != nil {
		o = *opts
	}
	if o.ID == "" {
		o.ID = opsward.NewID(opsward.PrefixJob)
	} else if err := validName("id", o.ID); err != nil {
		return rawJob{}, err
	}
	if o.MaxAttempts < 0 {
		return rawJob{}, opsward.FieldErrorf("opts.maxAttempts", "max attempts must not be negative")
	}
	if len(o.DedupKey) > 200 {
		return rawJob{}, opsward.FieldErrorf("opts.dedupKey", "dedup key is longer than 200 bytes")
	}
	var at int64
	switch {
	case !o.RunAt.IsZero():
		at = ms(o.RunAt)
	case o.Delay > 0:
		at = ms(now.Add(o.Delay))
	}
	env := envelope{Kind: kind, Payload: payload, Enqueued: ms(now), Max: o.MaxAttempts, Dedup: o.DedupKey, Due: at}
	msg, err := json.Marshal(env)
	if err != nil {
		return rawJob{}, opsward.Internal(err)
	}
	return rawJob{tenant: tenantID, id: o.ID, kind: kind, msg: string(msg), dedup: o.DedupKey, runAt: at}, nil
}

// EnqueueMany adds jobs in as few round trips as possible (one script call
// per tenant and chunk, all pipelined).
func (c *Client) EnqueueMany(ctx context.Context, params []EnqueueParams) ([]EnqueueResult, error) {
	now := time.Now()
	jobs := make([]rawJob, len(params))
	for i, p := range params {
		if p.Args == nil {
			return nil, opsward.FieldErrorf("args", "job arguments are required")
		}
		payload, err := json.Marshal(p.Args)
		if err != nil {
			return nil, opsward.FieldErrorf("args", "job arguments of kind %s do not encode as JSON: %v", p.Args.Kind(), err)
		}
		j, err := c.prepare(now, p.TenantID, p.Args.Kind(), payload, p.Opts)
		if err != nil {
			return nil, err
		}
		jobs[i] = j
	}
	return c.enqueueRaw(ctx, now, jobs)
}

const enqueueChunk = 256

func (c *Client) enqueueRaw(ctx context.Context, now time.Time, jobs []rawJob) ([]EnqueueResult, error) {
	// Group by tenant, keeping each job's position.
	byTenant := map[string][]int{}
	var order []string
	for i, j := range jobs {
		if _, ok := byTenant[j.tenant]; !ok {
			order = append(order, j.tenant)
		}
		byTenant[j.tenant] = append(byTenant[j.tenant], i)
	}
	type call struct {
		idx []int
		cmd *redis.Cmd
	}
	var calls []call
	nowMS := ms(now)
	_, err := c.pipeline(ctx, func(p redis.Pipeliner) {
		for _, t := range order {
			tk := c.k.tenant(t)
			idx := byTenant[t]
			var minAt int64
			immediate := false
			for start := 0; start < len(idx); start += enqueueChunk {
				chunk := idx[start:min(start+enqueueChunk, len(idx))]
				args := make([]any, 0, 1+5*len(chunk))
				args = append(args, nowMS)
				for _, i := range chunk {
					j := jobs[i]
					args = append(args, j.id, j.msg, j.kind, j.dedup, j.runAt)
					if j.runAt > nowMS {
						if minAt == 0 || j.runAt < minAt {
							minAt = j.runAt
						}
					} else {
						immediate = true
					}
				}
				cmd := enqueueScript.EvalSha(ctx, p, []string{tk.jobs, tk.ready, tk.delayed, tk.dedup, tk.depth}, args...)
				calls = append(calls, call{idx: chunk, cmd: cmd})
			}
			// Index updates come after the script so that a worker that
			// sees the tenant also sees its jobs.
			if immediate {
				p.SAdd(ctx, c.k.readySet(), t)
			}
			if minAt > 0 {
				p.ZAddLT(ctx, c.k.dueIndex(), redis.Z{Score: float64(minAt), Member: t})
			} else {
				p.ZAddNX(ctx, c.k.dueIndex(), redis.Z{Score: float64(nowMS + 60_000), Member: t})
			}
		}
	})
	if err != nil {
		return nil, opsward.Internal(fmt.Errorf("dispatch: enqueue: %w", err))
	}
	out := make([]EnqueueResult, len(jobs))
	for _, cl := range calls {
		ids, err := cl.cmd.StringSlice()
		if err != nil || len(ids) != len(cl.idx) {
			return nil, opsward.Internal(fmt.Errorf("dispatch: enqueue reply: %v (%d ids)", err, len(ids)))
		}
		for n, i := range cl.idx {
			out[i] = EnqueueResult{ID: ids[n], Duplicate: ids[n] != jobs[i].id}
		}
	}
	return out, nil
}

// pipeline runs build in one pipeline. Scripts missing from the server's
// cache (after a restart or SCRIPT FLUSH) are loaded and the failed calls
// run again, followed by the plain commands queued after the first of them
// (index updates, which are idempotent).
func (c *Client) pipeline(ctx context.Context, build func(p redis.Pipeliner)) ([]redis.Cmder, error) {
	p := c.rdb.Pipeline()
	build(p)
	cmds, err := p.Exec(ctx)
	if err == nil {
		return cmds, nil
	}
	first := -1
	for i, cmd := range cmds {
		if isNoScript(cmd.Err()) {
			first = i
			break
		}
	}
	if first < 0 {
		return cmds, err
	}
	if err := c.loadScripts(ctx); err != nil {
		return cmds, err
	}
	var firstErr error
	for _, cmd := range cmds[first:] {
		rc, isScript := cmd.(*redis.Cmd)
		if isScript && !isNoScript(cmd.Err()) && cmd.Err() == nil {
			continue // ran fine the first time
		}
		if !isScript && cmd.Err() != nil {
			firstErr = cmp(firstErr, cmd.Err())
			continue
		}
		r := c.rdb.Do(ctx, cmd.Args()...)
		if isScript {
			rc.SetVal(r.Val())
			rc.SetErr(r.Err())
		}
		if r.Err() != nil && !errors.Is(r.Err(), redis.Nil) {
			firstErr = cmp(firstErr, r.Err())
		}
	}
	for _, cmd := range cmds[:first] {
		if e := cmd.Err(); e != nil && !errors.Is(e, redis.Nil) {
			firstErr = cmp(firstErr, e)
		}
	}
	return cmds, firstErr
}

func cmp(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func isNoScript(err error) bool {
	return err != nil && (errors.Is(err, redis.ErrNoScript) || strings.HasPrefix(err.Error(), "NOSCRIPT"))
}

func (c *Client) loadScripts(ctx context.Context) error {
	for _, s := range allScripts {
		if err := s.Load(ctx, c.rdb).Err(); err != nil {
			return err
		}
	}
	return nil
}

// ---- tenant policy ----

// SetTenantPolicy stores tenantID's policy. Workers read it on their next
// fetch and the scheduler on its next step, so it applies within moments.
func (c *Client) SetTenantPolicy(ctx context.Context, tenantID string, p Policy) error {
	if err := validTenant(tenantID); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	tk := c.k.tenant(tenantID)
	_, err := c.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		pl.HSet(ctx, tk.policy, "weight", p.Weight, "maxc", p.MaxConcurrency, "paused", boolStr(p.Paused))
		pl.SAdd(ctx, c.k.readySet(), tenantID) // wake workers for a resumed tenant
		pl.ZAddNX(ctx, c.k.dueIndex(), redis.Z{Score: float64(ms(time.Now())), Member: tenantID})
		return nil
	})
	if err != nil {
		return opsward.Internal(fmt.Errorf("dispatch: set policy: %w", err))
	}
	c.log.InfoContext(ctx, "tenant policy set", "tenant_id", tenantID, "weight", p.Weight, "max_concurrency", p.MaxConcurrency, "paused", p.Paused)
	return nil
}

// SetTenantCap sets only the cap on tenantID's jobs in flight (0: none),
// keeping its weight and pause.
func (c *Client) SetTenantCap(ctx context.Context, tenantID string, maxc int) error {
	if err := validTenant(tenantID); err != nil {
		return err
	}
	if maxc < 0 {
		return opsward.FieldErrorf("maxConcurrency", "max concurrency must not be negative, got %d", maxc)
	}
	if err := c.rdb.HSet(ctx, c.k.tenant(tenantID).policy, "maxc", maxc).Err(); err != nil {
		return opsward.Internal(fmt.Errorf("dispatch: set cap: %w", err))
	}
	return nil
}

// TenantPolicy returns tenantID's policy, or the default when none is set.
func (c *Client) TenantPolicy(ctx context.Context, tenantID string) (Policy, error) {
	if err := validTenant(tenantID); err != nil {
		return Policy{}, err
	}
	v, err := c.rdb.HMGet(ctx, c.k.tenant(tenantID).policy, "weight", "maxc", "paused").Result()
	if err != nil {
		return Policy{}, opsward.Internal(err)
	}
	p := c.cfg.DefaultPolicy
	if s, ok := v[0].(string); ok {
		p.Weight, _ = strconv.Atoi(s)
	}
	if s, ok := v[1].(string); ok {
		p.MaxConcurrency, _ = strconv.Atoi(s)
	}
	if s, ok := v[2].(string); ok {
		p.Paused = s == "1"
	}
	return p, nil
}

// PauseTenant stops tenantID's schedules from firing and its jobs from being
// taken, keeping the rest of its policy.
func (c *Client) PauseTenant(ctx context.Context, tenantID string) error {
	return c.setPaused(ctx, tenantID, true)
}

// ResumeTenant undoes PauseTenant. Schedules resume at their next slot;
// slots missed while paused are not run.
func (c *Client) ResumeTenant(ctx context.Context, tenantID string) error {
	return c.setPaused(ctx, tenantID, false)
}

func (c *Client) setPaused(ctx context.Context, tenantID string, paused bool) error {
	if err := validTenant(tenantID); err != nil {
		return err
	}
	_, err := c.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		pl.HSet(ctx, c.k.tenant(tenantID).policy, "paused", boolStr(paused))
		pl.SAdd(ctx, c.k.readySet(), tenantID)
		return nil
	})
	if err != nil {
		return opsward.Internal(err)
	}
	c.log.InfoContext(ctx, "tenant paused state set", "tenant_id", tenantID, "paused", paused)
	return nil
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// ---- schedules ----

// Schedule is one recurring job, typically one per monitor.
type Schedule struct {
	// ID identifies the schedule within its tenant (a monitor id). Runs get
	// the job id "<ID>@<slot in ms>", so that a slot can run only once.
	ID       string
	TenantID string
	Kind     string
	Interval time.Duration
	// Payload is the JSON given to every run; empty means {}. Keep it short:
	// schedule id, interval, kind and payload under 64 bytes keep a tenant's
	// schedules in Redis's compact encoding.
	Payload json.RawMessage
	// LastRun, when the source knows it, is when the schedule last ran. A
	// schedule Redis does not hold (a rebuild after Redis was emptied)
	// whose latest slot passed after LastRun starts at that slot, so the
	// slot missed while Redis was away runs once, late, instead of being
	// skipped. Zero: the schedule starts at its next slot.
	LastRun time.Time
}

// Validate reports a schedule that cannot be stored.
func (s Schedule) Validate() error {
	if err := validTenant(s.TenantID); err != nil {
		return err
	}
	if err := validName("schedule.id", s.ID); err != nil {
		return err
	}
	if err := validKind(s.Kind); err != nil {
		return err
	}
	if s.Interval < 100*time.Millisecond || s.Interval > 366*24*time.Hour {
		return opsward.FieldErrorf("schedule.interval", "interval must be between 100ms and a year, got %s", s.Interval)
	}
	if len(s.Payload) > 0 && !json.Valid(s.Payload) {
		return opsward.FieldErrorf("schedule.payload", "payload is not valid JSON")
	}
	return nil
}

// firstDue returns the first slot at or after now of a schedule: slots are
// the multiples of the interval shifted by a stable offset derived from the
// id, so that schedules with equal intervals spread over the interval, and
// a rebuilt schedule keeps its phase.
func firstDue(id string, interval time.Duration, now time.Time) int64 {
	iv := interval.Milliseconds()
	off := int64(jitterHash(id) % uint64(iv))
	n := ms(now)
	t := (n-off)/iv*iv + off
	for t < n {
		t += iv
	}
	return t
}

// startAt is where a schedule Redis does not hold starts: its next slot,
// or the latest one already passed when that came after the schedule's
// last run (see Schedule.LastRun).
func startAt(s Schedule, now time.Time) int64 {
	next := firstDue(s.ID, s.Interval, now)
	if s.LastRun.IsZero() {
		return next
	}
	if prev := next - s.Interval.Milliseconds(); prev > ms(s.LastRun) {
		return prev
	}
	return next
}

func jitterHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	v := h.Sum64()
	// fnv's low bits mix poorly for short, similar keys; fold the high bits in.
	v ^= v >> 29
	v *= 0xbf58476d1ce4e5b9
	v ^= v >> 32
	return v
}

func scheduleDef(s Schedule) (string, error) {
	var b bytes.Buffer
	b.WriteString(strconv.FormatInt(s.Interval.Milliseconds(), 10))
	b.WriteByte('|')
	b.WriteString(s.Kind)
	b.WriteByte('|')
	if len(s.Payload) > 0 {
		if err := json.Compact(&b, s.Payload); err != nil {
			return "", opsward.FieldErrorf("schedule.payload", "payload is not valid JSON")
		}
	}
	return b.String(), nil
}

// UpsertSchedule creates or updates one schedule and returns its next run.
// An unchanged interval keeps the next run where it was.
func (c *Client) UpsertSchedule(ctx context.Context, s Schedule) (time.Time, error) {
	next, err := c.UpsertSchedules(ctx, []Schedule{s})
	if err != nil {
		return time.Time{}, err
	}
	return next[0], nil
}

// UpsertSchedules creates or updates schedules in one pipeline and returns
// their next runs.
func (c *Client) UpsertSchedules(ctx context.Context, ss []Schedule) ([]time.Time, error) {
	now := time.Now()
	defs := make([]string, len(ss))
	for i, s := range ss {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		d, err := scheduleDef(s)
		if err != nil {
			return nil, err
		}
		defs[i] = d
	}
	calls := make([]*redis.Cmd, len(ss))
	_, err := c.pipeline(ctx, func(p redis.Pipeliner) {
		for i, s := range ss {
			tk := c.k.tenant(s.TenantID)
			calls[i] = upsertScheduleScript.EvalSha(ctx, p, []string{tk.sched, tk.scheddef},
				s.ID, defs[i], s.Interval.Milliseconds(), startAt(s, now))
		}
	})
	if err != nil {
		return nil, opsward.Internal(fmt.Errorf("dispatch: upsert schedules: %w", err))
	}
	out := make([]time.Time, len(ss))
	earliest := map[string]int64{}
	for i, cmd := range calls {
		v, err := replyInt(cmd)
		if err != nil {
			return nil, opsward.Internal(fmt.Errorf("dispatch: upsert schedule reply: %w", err))
		}
		out[i] = fromMS(v)
		if e, ok := earliest[ss[i].TenantID]; !ok || v < e {
			earliest[ss[i].TenantID] = v
		}
	}
	// After the scripts: the scheduler's index may only move earlier here.
	_, err = c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for t, v := range earliest {
			p.ZAddLT(ctx, c.k.dueIndex(), redis.Z{Score: float64(v), Member: t})
		}
		return nil
	})
	if err != nil {
		return nil, opsward.Internal(fmt.Errorf("dispatch: upsert schedules index: %w", err))
	}
	return out, nil
}

// replyInt reads an integer reply that may come back as a string.
func replyInt(cmd *redis.Cmd) (int64, error) {
	switch v := cmd.Val().(type) {
	case int64:
		return v, nil
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return int64(f), err
	}
	if cmd.Err() != nil {
		return 0, cmd.Err()
	}
	return 0, fmt.Errorf("unexpected reply %T", cmd.Val())
}

// RemoveSchedule deletes a schedule. Runs already queued still run.
func (c *Client) RemoveSchedule(ctx context.Context, tenantID, id string) error {
	if err := validTenant(tenantID); err != nil {
		return err
	}
	tk := c.k.tenant(tenantID)
	n, err := removeSchedulesScript.Run(ctx, c.rdb, []string{tk.sched, tk.scheddef}, id).Int()
	if err != nil {
		return opsward.Internal(err)
	}
	if n == 0 {
		return opsward.Errorf(opsward.ENOTFOUND, "schedule %s not found", id)
	}
	return nil
}

// NextRun returns when a schedule fires next.
func (c *Client) NextRun(ctx context.Context, tenantID, id string) (time.Time, error) {
	if err := validTenant(tenantID); err != nil {
		return time.Time{}, err
	}
	v, err := c.rdb.ZScore(ctx, c.k.tenant(tenantID).sched, id).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, opsward.Errorf(opsward.ENOTFOUND, "schedule %s not found", id)
	}
	if err != nil {
		return time.Time{}, opsward.Internal(err)
	}
	return fromMS(int64(v)), nil
}

// ---- job state ----

// JobState is where a job is.
type JobState string

// Job states.
const (
	StateReady   JobState = "ready"
	StateRunning JobState = "running"
	StateDelayed JobState = "delayed" // waiting for its run-at or retry time
	StateDead    JobState = "dead"
	StateGone    JobState = "gone" // finished, purged or never existed
)

// JobState returns the state of one job.
func (c *Client) JobState(ctx context.Context, tenantID, id string) (JobState, error) {
	if err := validTenant(tenantID); err != nil {
		return "", err
	}
	tk := c.k.tenant(tenantID)
	var inf, del, dead *redis.FloatCmd
	var ex *redis.BoolCmd
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		inf = p.ZScore(ctx, tk.inflight, id)
		del = p.ZScore(ctx, tk.delayed, id)
		dead = p.ZScore(ctx, tk.dead, id)
		ex = p.HExists(ctx, tk.jobs, id)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", opsward.Internal(err)
	}
	switch {
	case !ex.Val():
		return StateGone, nil
	case inf.Err() == nil:
		return StateRunning, nil
	case del.Err() == nil:
		return StateDelayed, nil
	case dead.Err() == nil:
		return StateDead, nil
	}
	return StateReady, nil
}

// QueueDepth returns tenantID's unfinished jobs (ready, delayed, running)
// by kind.
func (c *Client) QueueDepth(ctx context.Context, tenantID string) (map[string]int, error) {
	if err := validTenant(tenantID); err != nil {
		return nil, err
	}
	v, err := c.rdb.HGetAll(ctx, c.k.tenant(tenantID).depth).Result()
	if err != nil {
		return nil, opsward.Internal(err)
	}
	out := make(map[string]int, len(v))
	for k, s := range v {
		n, _ := strconv.Atoi(s)
		if n > 0 {
			out[k] = n
		}
	}
	return out, nil
}

// PurgeTenant deletes every key of tenantID (offboarding, tests).
func (c *Client) PurgeTenant(ctx context.Context, tenantID string) error {
	if err := validTenant(tenantID); err != nil {
		return err
	}
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, c.k.tenant(tenantID).all()...)
		p.SRem(ctx, c.k.readySet(), tenantID)
		p.SRem(ctx, c.k.deadSet(), tenantID)
		p.ZRem(ctx, c.k.dueIndex(), tenantID)
		return nil
	})
	if err != nil {
		return opsward.Internal(err)
	}
	return nil
}

// ---- validation ----

func validTenant(id string) error {
	if err := validName("tenantId", id); err != nil {
		return err
	}
	return nil
}

func validName(field, s string) error {
	if s == "" || len(s) > 100 {
		return opsward.FieldErrorf(field, "%s must be 1 to 100 characters", field)
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.' || b == ':') {
			return opsward.FieldErrorf(field, "%s may contain only letters, digits and _ - . : (got %q)", field, s)
		}
	}
	return nil
}

func validKind(kind string) error {
	return validName("kind", kind)
}
