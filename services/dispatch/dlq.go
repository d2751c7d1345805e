package dispatch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
)

// DeadJob is a job in the dead-letter queue.
type DeadJob struct {
	ID         string
	TenantID   string
	Kind       string
	Payload    json.RawMessage
	ScheduleID string
	Attempts   int
	Error      string
	DiedAt     time.Time
	EnqueuedAt time.Time
}

// DeadFilter narrows a dead-letter listing; empty fields match all.
type DeadFilter struct {
	TenantID string
	Kind     string
}

// DeadPage is one page of dead jobs. Next is the cursor of the following
// page, empty on the last one.
type DeadPage struct {
	Jobs []DeadJob
	Next string
}

const maxDeadPage = 100

// DeadJobs lists dead jobs ordered by tenant, then by time of death, then by
// id, starting after the cursor after (empty for the first page). first is
// capped at 100. Listing every tenant is a privileged, cross-tenant
// operation: callers must check the caller may see every tenant.
func (c *Client) DeadJobs(ctx context.Context, f DeadFilter, first int, after string) (DeadPage, error) {
	if first <= 0 || first > maxDeadPage {
		first = maxDeadPage
	}
	var tenants []string
	if f.TenantID != "" {
		if err := validTenant(f.TenantID); err != nil {
			return DeadPage{}, err
		}
		tenants = []string{f.TenantID}
	} else {
		var err error
		tenants, err = c.rdb.SMembers(ctx, c.k.deadSet()).Result()
		if err != nil {
			return DeadPage{}, opsward.Internal(err)
		}
		sort.Strings(tenants)
	}
	cur, err := decodeCursor(after)
	if err != nil {
		return DeadPage{}, err
	}
	var page DeadPage
	for _, t := range tenants {
		if t < cur.tenant {
			continue
		}
		tk := c.k.tenant(t)
		min := "-inf"
		if t == cur.tenant {
			min = strconv.FormatInt(cur.score, 10)
		}
		for {
			zs, err := c.rdb.ZRangeByScoreWithScores(ctx, tk.dead, &redis.ZRangeBy{Min: min, Max: "+inf", Count: 200}).Result()
			if err != nil {
				return DeadPage{}, opsward.Internal(err)
			}
			if len(zs) == 0 {
				break
			}
			ids := make([]string, 0, len(zs))
			for _, z := range zs {
				ids = append(ids, z.Member.(string))
			}
			jobs, err := c.loadDead(ctx, t, zs, ids)
			if err != nil {
				return DeadPage{}, err
			}
			for _, j := range jobs {
				sc := ms(j.DiedAt)
				if t == cur.tenant && (sc < cur.score || sc == cur.score && j.ID <= cur.id) {
					continue
				}
				if f.Kind != "" && j.Kind != f.Kind {
					continue
				}
				if len(page.Jobs) == first {
					last := page.Jobs[len(page.Jobs)-1]
					page.Next = encodeCursor(cursor{tenant: last.TenantID, score: ms(last.DiedAt), id: last.ID})
					return page, nil
				}
				page.Jobs = append(page.Jobs, j)
			}
			if len(zs) < 200 {
				break
			}
			// Go on from the last score; entries at that score are skipped by
			// the cursor test above only for the cursor's tenant, so use it.
			lastZ := zs[len(zs)-1]
			cur = cursor{tenant: t, score: int64(lastZ.Score), id: lastZ.Member.(string)}
			min = strconv.FormatInt(cur.score, 10)
		}
	}
	return page, nil
}

func (c *Client) loadDead(ctx context.Context, t string, zs []redis.Z, ids []string) ([]DeadJob, error) {
	tk := c.k.tenant(t)
	var msgs, errs, atts *redis.SliceCmd
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		msgs = p.HMGet(ctx, tk.jobs, ids...)
		errs = p.HMGet(ctx, tk.errors, ids...)
		atts = p.HMGet(ctx, tk.attempts, ids...)
		return nil
	})
	if err != nil {
		return nil, opsward.Internal(err)
	}
	out := make([]DeadJob, 0, len(ids))
	for i, id := range ids {
		j := DeadJob{ID: id, TenantID: t, DiedAt: fromMS(int64(zs[i].Score))}
		if s, ok := msgs.Val()[i].(string); ok {
			var env envelope
			if json.Unmarshal([]byte(s), &env) == nil {
				j.Kind, j.Payload, j.ScheduleID, j.EnqueuedAt = env.Kind, env.Payload, env.Sched, fromMS(env.Enqueued)
			}
		}
		if s, ok := errs.Val()[i].(string); ok {
			j.Error = s
		}
		if s, ok := atts.Val()[i].(string); ok {
			j.Attempts, _ = strconv.Atoi(s)
		}
		out = append(out, j)
	}
	// Same score: order by id, as the cursor expects.
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].DiedAt.Equal(out[b].DiedAt) {
			return out[a].DiedAt.Before(out[b].DiedAt)
		}
		return out[a].ID < out[b].ID
	})
	return out, nil
}

type cursor struct {
	tenant string
	score  int64
	id     string
}

func encodeCursor(c cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.tenant + "\n" + strconv.FormatInt(c.score, 10) + "\n" + c.id))
}

func decodeCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.Split(string(b), "\n")
	if err != nil || len(parts) != 3 {
		return cursor{}, opsward.FieldErrorf("after", "invalid cursor")
	}
	sc, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return cursor{}, opsward.FieldErrorf("after", "invalid cursor")
	}
	return cursor{tenant: parts[0], score: sc, id: parts[2]}, nil
}

// RetryDead puts dead jobs of tenantID back on its ready queue with a
// fresh attempt count and returns how many it found.
func (c *Client) RetryDead(ctx context.Context, tenantID string, ids ...string) (int, error) {
	if err := validTenant(tenantID); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	tk := c.k.tenant(tenantID)
	v, err := retryDeadScript.Run(ctx, c.rdb, []string{tk.dead, tk.ready, tk.attempts, tk.errors, tk.depth, tk.jobs}, toAny(ids)...).Int64Slice()
	if err != nil {
		return 0, opsward.Internal(err)
	}
	if err := c.afterDeadChange(ctx, tenantID, v[1]); err != nil {
		return 0, err
	}
	if v[0] > 0 {
		if err := c.rdb.SAdd(ctx, c.k.readySet(), tenantID).Err(); err != nil {
			return 0, opsward.Internal(err)
		}
		c.log.InfoContext(ctx, "dead jobs retried", "tenant_id", tenantID, "jobs", v[0])
	}
	return int(v[0]), nil
}

// PurgeDead deletes dead jobs of tenantID for good and returns how many it
// found.
func (c *Client) PurgeDead(ctx context.Context, tenantID string, ids ...string) (int, error) {
	if err := validTenant(tenantID); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	tk := c.k.tenant(tenantID)
	v, err := purgeDeadScript.Run(ctx, c.rdb, []string{tk.dead, tk.jobs, tk.attempts, tk.errors}, toAny(ids)...).Int64Slice()
	if err != nil {
		return 0, opsward.Internal(err)
	}
	if err := c.afterDeadChange(ctx, tenantID, v[1]); err != nil {
		return 0, err
	}
	c.log.InfoContext(ctx, "dead jobs purged", "tenant_id", tenantID, "jobs", v[0])
	return int(v[0]), nil
}

// PurgeDeadMatching deletes every dead job matching f and returns how many.
func (c *Client) PurgeDeadMatching(ctx context.Context, f DeadFilter) (int, error) {
	total := 0
	for {
		page, err := c.DeadJobs(ctx, f, maxDeadPage, "")
		if err != nil {
			return total, err
		}
		if len(page.Jobs) == 0 {
			return total, nil
		}
		byTenant := map[string][]string{}
		for _, j := range page.Jobs {
			byTenant[j.TenantID] = append(byTenant[j.TenantID], j.ID)
		}
		for t, ids := range byTenant {
			n, err := c.PurgeDead(ctx, t, ids...)
			if err != nil {
				return total, err
			}
			total += n
		}
	}
}

// afterDeadChange drops a tenant with no dead jobs left from the dead
// index, then re-checks: a job that died meanwhile puts it back.
func (c *Client) afterDeadChange(ctx context.Context, tenantID string, left int64) error {
	if left > 0 {
		return nil
	}
	if err := c.rdb.SRem(ctx, c.k.deadSet(), tenantID).Err(); err != nil {
		return opsward.Internal(err)
	}
	n, err := c.rdb.ZCard(ctx, c.k.tenant(tenantID).dead).Result()
	if err != nil {
		return opsward.Internal(err)
	}
	if n > 0 {
		return c.rdb.SAdd(ctx, c.k.deadSet(), tenantID).Err()
	}
	return nil
}
