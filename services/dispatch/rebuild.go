package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
)

// RebuildStats counts what a rebuild wrote.
type RebuildStats struct {
	Schedules int // upserted
	Policies  int // written
	Removed   int // schedules in Redis that the source no longer has
}

// Rebuild makes Redis agree with src: every schedule and policy of the
// source is written (a schedule whose interval did not change keeps its
// next run; a lost one starts at its stable slot, so it runs within one
// interval), and schedules that existed before the rebuild but are not in
// the source are removed. The scheduler calls it at start, on request, and
// when it finds the epoch marker gone (Redis flushed or replaced).
//
// A schedule removed by the application while a rebuild streams may be
// written back if the source had already yielded it; handlers must treat a
// run of a deleted schedule as a no-op and may remove the schedule again.
func (c *Client) Rebuild(ctx context.Context, src Source) (RebuildStats, error) {
	var st RebuildStats
	// The marker goes first: a flush during the rebuild removes it again and
	// triggers another rebuild.
	if err := c.rdb.Set(ctx, c.k.epoch(), time.Now().UnixMilli(), 0).Err(); err != nil {
		return st, opsward.Internal(err)
	}
	fail := func(err error) (RebuildStats, error) {
		c.rdb.Del(context.WithoutCancel(ctx), c.k.epoch())
		return st, err
	}
	before, err := c.scheduleIDs(ctx)
	if err != nil {
		return fail(err)
	}
	seen := map[string]map[string]struct{}{}
	batch := make([]Schedule, 0, 1000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := c.UpsertSchedules(ctx, batch); err != nil {
			return err
		}
		st.Schedules += len(batch)
		batch = batch[:0]
		return nil
	}
	err = src.Schedules(ctx, func(s Schedule) error {
		if err := s.Validate(); err != nil {
			c.log.WarnContext(ctx, "rebuild: skipping invalid schedule", "tenant_id", s.TenantID, "schedule_id", s.ID, "err", err)
			return nil
		}
		m := seen[s.TenantID]
		if m == nil {
			m = map[string]struct{}{}
			seen[s.TenantID] = m
		}
		m[s.ID] = struct{}{}
		batch = append(batch, s)
		if len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fail(fmt.Errorf("dispatch: rebuild schedules: %w", err))
	}

	type pol struct {
		t string
		p Policy
	}
	var pols []pol
	err = src.Policies(ctx, func(tenantID string, p Policy) error {
		if err := validTenant(tenantID); err != nil {
			return nil
		}
		if err := p.Validate(); err != nil {
			c.log.WarnContext(ctx, "rebuild: skipping invalid policy", "tenant_id", tenantID, "err", err)
			return nil
		}
		pols = append(pols, pol{tenantID, p})
		return nil
	})
	if err != nil {
		return fail(fmt.Errorf("dispatch: rebuild policies: %w", err))
	}
	for start := 0; start < len(pols); start += 500 {
		chunk := pols[start:min(start+500, len(pols))]
		_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, x := range chunk {
				p.HSet(ctx, c.k.tenant(x.t).policy, "weight", x.p.Weight, "maxc", x.p.MaxConcurrency, "paused", boolStr(x.p.Paused))
				p.ZAddNX(ctx, c.k.dueIndex(), redis.Z{Score: float64(ms(time.Now())), Member: x.t})
			}
			return nil
		})
		if err != nil {
			return fail(opsward.Internal(err))
		}
		st.Policies += len(chunk)
	}

	// Remove what existed before and the source no longer has. A schedule
	// written while the source streamed (a monitor created meanwhile) is
	// in Redis before its row is visible to the stream: the source is
	// asked again, once, whenever there is anything to remove, so that
	// such a schedule is kept.
	stale := map[string][]any{}
	for t, ids := range before {
		for _, id := range ids {
			if _, ok := seen[t][id]; !ok {
				stale[t] = append(stale[t], id)
			}
		}
	}
	if len(stale) > 0 {
		again := map[string]map[string]struct{}{}
		err := src.Schedules(ctx, func(s Schedule) error {
			if again[s.TenantID] == nil {
				again[s.TenantID] = map[string]struct{}{}
			}
			again[s.TenantID][s.ID] = struct{}{}
			return nil
		})
		if err != nil {
			return fail(fmt.Errorf("dispatch: rebuild schedules: %w", err))
		}
		for t, ids := range stale {
			kept := ids[:0]
			for _, id := range ids {
				if _, ok := again[t][id.(string)]; !ok {
					kept = append(kept, id)
				}
			}
			stale[t] = kept
		}
	}
	for t, stale := range stale {
		if len(stale) == 0 {
			continue
		}
		tk := c.k.tenant(t)
		n, err := removeSchedulesScript.Run(ctx, c.rdb, []string{tk.sched, tk.scheddef}, stale...).Int()
		if err != nil {
			return fail(opsward.Internal(err))
		}
		st.Removed += n
	}
	return st, nil
}

// scheduleIDs lists the schedule ids of every tenant in the index.
func (c *Client) scheduleIDs(ctx context.Context) (map[string][]string, error) {
	tenants, err := c.rdb.ZRange(ctx, c.k.dueIndex(), 0, -1).Result()
	if err != nil {
		return nil, opsward.Internal(err)
	}
	out := map[string][]string{}
	for start := 0; start < len(tenants); start += 500 {
		chunk := tenants[start:min(start+500, len(tenants))]
		cmds := make([]*redis.StringSliceCmd, len(chunk))
		_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, t := range chunk {
				cmds[i] = p.HKeys(ctx, c.k.tenant(t).scheddef)
			}
			return nil
		})
		if err != nil {
			return nil, opsward.Internal(err)
		}
		for i, t := range chunk {
			if ids := cmds[i].Val(); len(ids) > 0 {
				out[t] = ids
			}
		}
	}
	return out, nil
}
