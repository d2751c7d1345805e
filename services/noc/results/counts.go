package results

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opsward/opsward/tenants"
)

// MaxCountTenants bounds the tenants of one StateCounts question.
const MaxCountTenants = 500

// StateCounts sums the results of every monitor of the given tenants in
// [from, to), by monitor id, reading the same sources as Uptime (day
// rollups, hour rollups, raw results at the edges) but grouped in the
// database: one statement per segment of the range (at most five) and
// one for the rollup marks, whatever the number of tenants or monitors.
// Only the state counts are filled in (no latency). Tenants outside the
// actor's reach count nothing: the statements keep to the actor's
// subtree (and row-level security does the same on Postgres).
func (s *Store) StateCounts(ctx context.Context, tenantIDs []string, from, to time.Time) (map[string]Summary, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]Summary{}
	if len(tenantIDs) == 0 {
		return out, nil
	}
	if len(tenantIDs) > MaxCountTenants {
		return nil, fmt.Errorf("state counts: %d tenants, at most %d", len(tenantIDs), MaxCountTenants)
	}
	if !a.IsPrivileged() && a.TenantPath == "" {
		return nil, fmt.Errorf("state counts: %s are read within a tenant", what)
	}
	from, to = from.UTC(), to.UTC()
	hourMark, dayMark, err := s.marks(ctx)
	if err != nil {
		return nil, err
	}
	// The tenants asked for, kept to the actor's subtree.
	where := "tenant_id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(tenantIDs)), ",") + ")"
	scope := make([]any, 0, len(tenantIDs)+2)
	for _, id := range tenantIDs {
		scope = append(scope, id)
	}
	if !a.IsPrivileged() {
		where += " AND tenant_id IN (SELECT id FROM tenants WHERE substr(path, 1, ?) = ?)"
		scope = append(scope, len(a.TenantPath), a.TenantPath)
	}
	add := func(id string, f func(*Summary)) {
		sum := out[id]
		f(&sum)
		out[id] = sum
	}
	for _, sg := range plan(from, to, hourMark, dayMark) {
		args := append(append([]any{}, scope...), s.tv(sg.lo), s.tv(sg.hi))
		if sg.kind == "raw" {
			rows, err := s.db.QueryContext(ctx, s.q(`SELECT monitor_id, status, in_maintenance, count(*) FROM check_results
				WHERE `+where+` AND checked_at >= ? AND checked_at < ? GROUP BY monitor_id, status, in_maintenance`), args...)
			if err != nil {
				return nil, fmt.Errorf("count check results: %w", err)
			}
			for rows.Next() {
				var (
					id, status string
					maint      bool
					n          int64
				)
				if err := rows.Scan(&id, &status, &maint, &n); err != nil {
					rows.Close()
					return nil, err
				}
				add(id, func(sum *Summary) { sum.addCount(status, maint, n) })
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			continue
		}
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT monitor_id, CAST(sum(up_count) AS BIGINT),
			CAST(sum(degraded_count) AS BIGINT), CAST(sum(down_count) AS BIGINT), CAST(sum(unknown_count) AS BIGINT),
			CAST(sum(maintenance_count) AS BIGINT) FROM check_rollups
			WHERE `+where+` AND bucket_start >= ? AND bucket_start < ? AND bucket = ? GROUP BY monitor_id`), append(args, sg.kind)...)
		if err != nil {
			return nil, fmt.Errorf("count rollups: %w", err)
		}
		for rows.Next() {
			var (
				id string
				c  Summary
			)
			if err := rows.Scan(&id, &c.Up, &c.Degraded, &c.Down, &c.Unknown, &c.Maintenance); err != nil {
				rows.Close()
				return nil, err
			}
			add(id, func(sum *Summary) {
				sum.Up += c.Up
				sum.Degraded += c.Degraded
				sum.Down += c.Down
				sum.Unknown += c.Unknown
				sum.Maintenance += c.Maintenance
			})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// addCount counts n results of one state, as add counts one.
func (s *Summary) addCount(status string, inMaintenance bool, n int64) {
	switch {
	case inMaintenance:
		s.Maintenance += n
	case status == "up":
		s.Up += n
	case status == "degraded":
		s.Degraded += n
	case status == "down":
		s.Down += n
	default:
		s.Unknown += n
	}
}
