package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
)

// Source streams the truth that Redis only caches: every schedule and
// every tenant policy, read from the database. The caller implements it
// (the NOC for monitors, billing for policies).
type Source interface {
	// Schedules calls yield for every schedule that must exist.
	Schedules(ctx context.Context, yield func(Schedule) error) error
	// Policies calls yield for every tenant whose policy is not the default.
	Policies(ctx context.Context, yield func(tenantID string, p Policy) error) error
}

// Scheduler is the scheduler role. Several may run; the one holding the
// lease in Redis (SET NX PX, renewed by a compare-and-renew script) fires
// schedules, promotes delayed and retried jobs and reclaims jobs of dead
// workers. A standby takes over within about LeaseTTL of the leader dying.
// Every move is an atomic script, so even two schedulers acting at once
// would never enqueue the same run twice.
type Scheduler struct {
	c   *Client
	src Source
	cfg SchedulerConfig
	log *slog.Logger

	leader     atomic.Bool
	validUntil time.Time
	rebuildReq chan struct{}
	mu         sync.Mutex
	started    bool
	// built is set once this scheduler has built the dispatch data.
	built atomic.Bool
}

// Built reports whether this scheduler has built the dispatch data from
// its source at least once (as the leader).
func (s *Scheduler) Built() bool { return s.built.Load() }

// NewScheduler checks cfg and returns a Scheduler that rebuilds from src.
func NewScheduler(c *Client, src Source, cfg SchedulerConfig) (*Scheduler, error) {
	if c == nil || src == nil {
		return nil, opsward.Errorf(opsward.EINVALID, "dispatch: a client and a schedule source are required")
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Scheduler{c: c, src: src, cfg: cfg, log: c.log.With("scheduler", cfg.InstanceID), rebuildReq: make(chan struct{}, 1)}, nil
}

// IsLeader reports whether this scheduler holds the lease.
func (s *Scheduler) IsLeader() bool { return s.leader.Load() }

// InstanceID is the name this scheduler holds the lease under.
func (s *Scheduler) InstanceID() string { return s.cfg.InstanceID }

// RequestRebuild asks the leader to rebuild every schedule and policy from
// the source at its next step (for example after a bulk import).
func (s *Scheduler) RequestRebuild() {
	select {
	case s.rebuildReq <- struct{}{}:
	default:
	}
}

// Run campaigns for the lease and, while leader, does the scheduler's work
// every Tick. Redis errors are logged and retried. On return (ctx
// cancelled) the lease is released so that a standby takes over at once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return opsward.Errorf(opsward.ECONFLICT, "dispatch: scheduler already started")
	}
	s.started = true
	s.mu.Unlock()

	bg := context.WithoutCancel(ctx)
	tick := time.NewTicker(s.cfg.Tick)
	defer tick.Stop()
	renewEvery := max(s.cfg.LeaseTTL/4, s.cfg.Tick)
	var lastLease, lastSweep time.Time
	needSweep := true
	for {
		select {
		case <-ctx.Done():
			if s.leader.Load() {
				rctx, cancel := context.WithTimeout(bg, 2*time.Second)
				releaseLeaseScript.Run(rctx, s.c.rdb, []string{s.c.k.leader()}, s.cfg.InstanceID)
				cancel()
				s.leader.Store(false)
				s.log.Info("scheduler lease released")
			}
			return nil
		case <-tick.C:
		}
		now := time.Now()
		if now.Sub(lastLease) >= renewEvery || !s.leader.Load() && now.Sub(lastLease) >= min(renewEvery, time.Second) {
			lastLease = now
			was := s.leader.Load()
			s.campaign(bg, now)
			if s.leader.Load() && !was {
				// A new leader starts from the database's truth.
				needSweep = true
				s.RequestRebuild()
			}
		}
		if !s.leader.Load() || !time.Now().Before(s.validUntil.Add(-s.cfg.Tick)) {
			continue
		}
		if err := s.leaderStep(bg, &needSweep, &lastSweep); err != nil {
			s.log.Warn("scheduler step failed", "err", err)
		}
	}
}

// campaign acquires or renews the lease.
func (s *Scheduler) campaign(ctx context.Context, start time.Time) {
	rctx, cancel := context.WithTimeout(ctx, s.cfg.LeaseTTL/2)
	defer cancel()
	ttl := s.cfg.LeaseTTL
	if s.leader.Load() {
		n, err := renewLeaseScript.Run(rctx, s.c.rdb, []string{s.c.k.leader()}, s.cfg.InstanceID, ttl.Milliseconds()).Int()
		switch {
		case err != nil:
			if time.Now().After(s.validUntil) {
				s.leader.Store(false)
				s.log.Warn("scheduler lease lost (Redis unreachable)", "err", err)
			}
		case n == 0:
			s.leader.Store(false)
			s.log.Warn("scheduler lease lost")
		default:
			s.validUntil = start.Add(ttl)
		}
		return
	}
	ok, err := s.c.rdb.SetNX(rctx, s.c.k.leader(), s.cfg.InstanceID, ttl).Result()
	if err != nil {
		s.log.Debug("scheduler lease campaign failed", "err", err)
		return
	}
	if ok {
		s.validUntil = start.Add(ttl)
		s.leader.Store(true)
		s.log.Info("scheduler lease acquired")
	}
}

func (s *Scheduler) leaderStep(ctx context.Context, needSweep *bool, lastSweep *time.Time) error {
	rctx, cancel := context.WithTimeout(ctx, max(s.cfg.LeaseTTL, 10*time.Second))
	defer cancel()
	n, err := s.c.rdb.Exists(rctx, s.c.k.epoch()).Result()
	if err != nil {
		return err
	}
	rebuild := n == 0
	if rebuild {
		if s.cfg.EphemeralRedis && !s.built.Load() {
			s.log.Info("dispatch data not yet in the in-process Redis; building it from the source")
		} else {
			s.log.Warn("dispatch data missing from Redis (flushed or new); rebuilding from the source")
		}
	}
	select {
	case <-s.rebuildReq:
		rebuild = true
	default:
	}
	if rebuild {
		stats, err := s.c.Rebuild(rctx, s.src)
		if err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
		s.log.Info("schedules rebuilt", "schedules", stats.Schedules, "policies", stats.Policies, "removed", stats.Removed)
		s.built.Store(true)
		*needSweep = true
	}
	if *needSweep || time.Since(*lastSweep) >= s.cfg.SweepEvery {
		if err := s.sweep(rctx); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		*needSweep = false
		*lastSweep = time.Now()
	}
	return s.step(rctx)
}

// step handles the tenants whose attention time has come.
func (s *Scheduler) step(ctx context.Context) error {
	deadline := time.Now().Add(s.cfg.Tick * 5)
	for {
		now := time.Now()
		tenants, err := s.c.rdb.ZRangeByScore(ctx, s.c.k.dueIndex(), &redis.ZRangeBy{
			Min: "-inf", Max: fmt.Sprint(ms(now)), Count: 1000,
		}).Result()
		if err != nil {
			return err
		}
		if len(tenants) == 0 {
			return nil
		}
		more, err := s.promote(ctx, tenants)
		if err != nil {
			return err
		}
		if !more && len(tenants) < 1000 || time.Now().After(deadline) {
			return nil
		}
	}
}

// sweep handles every known tenant, whatever the index says: a backstop
// for index entries lost to a crash between two commands.
func (s *Scheduler) sweep(ctx context.Context) error {
	tenants, err := s.c.rdb.ZRange(ctx, s.c.k.dueIndex(), 0, -1).Result()
	if err != nil {
		return err
	}
	ready, err := s.c.rdb.SMembers(ctx, s.c.k.readySet()).Result()
	if err != nil {
		return err
	}
	seen := map[string]struct{}{}
	all := make([]string, 0, len(tenants)+len(ready))
	for _, t := range append(tenants, ready...) {
		if _, ok := seen[t]; !ok {
			seen[t] = struct{}{}
			all = append(all, t)
		}
	}
	for start := 0; start < len(all); start += 200 {
		for {
			more, err := s.promote(ctx, all[start:min(start+200, len(all))])
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	return nil
}

// promote runs the per-tenant step for tenants. The index entry of each is
// first pushed to the idle recheck time, then the script runs, then the
// entry is moved earlier (ZADD LT) to what the script found. Anyone adding
// work after the push lowers the entry with ZADD LT too, so no update is
// lost whatever the interleaving.
func (s *Scheduler) promote(ctx context.Context, tenants []string) (bool, error) {
	now := time.Now()
	nowMS := ms(now)
	cmds := make([]*redis.Cmd, len(tenants))
	_, err := s.c.pipeline(ctx, func(p redis.Pipeliner) {
		for _, t := range tenants {
			p.ZAdd(ctx, s.c.k.dueIndex(), redis.Z{Score: float64(nowMS + s.cfg.IdleRecheck.Milliseconds()), Member: t})
		}
		for i, t := range tenants {
			tk := s.c.k.tenant(t)
			cmds[i] = promoteScript.EvalSha(ctx, p, []string{tk.inflight, tk.ready, tk.delayed, tk.sched, tk.scheddef, tk.jobs, tk.depth, tk.policy, tk.attempts},
				nowMS, s.cfg.BatchLimit, s.cfg.MaxCatchUp)
		}
	})
	if err != nil {
		return false, err
	}
	anyMore := false
	_, err = s.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, t := range tenants {
			v, err := cmds[i].Int64Slice()
			if err != nil || len(v) < 6 {
				return fmt.Errorf("promote reply for %s: %v", t, err)
			}
			next, readyLen, reclaimed, promoted, fired, more := v[0], v[1], v[2], v[3], v[4], v[5]
			if more == 1 {
				anyMore = true
				next = nowMS
			}
			if next >= 0 {
				p.ZAddLT(ctx, s.c.k.dueIndex(), redis.Z{Score: float64(next), Member: t})
			}
			if readyLen > 0 {
				p.SAdd(ctx, s.c.k.readySet(), t)
			}
			if reclaimed > 0 {
				s.log.Warn("jobs reclaimed from workers that stopped answering", "tenant_id", t, "jobs", reclaimed)
			}
			if promoted+fired > 0 {
				s.log.Debug("jobs made ready", "tenant_id", t, "delayed", promoted, "scheduled", fired)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, err
	}
	return anyMore, nil
}
