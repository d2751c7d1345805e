package results

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward/internal/batch"
)

// LocationStat sums one location's checks of a monitor over a range.
type LocationStat struct {
	// Location is the probe location's ID, or "local" for Opsward's own
	// workers (results stored without a location are theirs).
	Location string
	Checks   int64
	Up       int64
	Degraded int64
	Down     int64
	Unknown  int64
	// Answered counts the checks that got an answer (up or degraded): the
	// latency figures are theirs alone, since a failed check's latency is
	// how long it took to fail.
	Answered   int64
	SumLatency time.Duration
	MinLatency time.Duration
	MaxLatency time.Duration
	// Last is the newest check in the range.
	Last time.Time
}

// AvgLatency is the mean latency of the answered checks; zero when none
// answered. It is rounded down to the microsecond, as latencies are stored.
func (l LocationStat) AvgLatency() time.Duration {
	if l.Answered == 0 {
		return 0
	}
	return (l.SumLatency / time.Microsecond / time.Duration(l.Answered)) * time.Microsecond
}

// LocationStats sums a monitor's raw results in [from, to) by the location
// that checked, in the acting tenant only, ordered by location ID byte by
// byte (sorted here, so that the order is the same whatever the
// database's collation).
func (s *Store) LocationStats(ctx context.Context, monitorID string, from, to time.Time) ([]LocationStat, error) {
	tenantID, err := actorTenant(ctx)
	if err != nil {
		return nil, err
	}
	const answered = `status IN ('up', 'degraded')`
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT coalesce(location, 'local'), count(*),
		CAST(sum(CASE WHEN status = 'up' THEN 1 ELSE 0 END) AS bigint),
		CAST(sum(CASE WHEN status = 'degraded' THEN 1 ELSE 0 END) AS bigint),
		CAST(sum(CASE WHEN status = 'down' THEN 1 ELSE 0 END) AS bigint),
		CAST(sum(CASE WHEN status = 'unknown' THEN 1 ELSE 0 END) AS bigint),
		CAST(sum(CASE WHEN `+answered+` THEN latency_us ELSE 0 END) AS bigint),
		min(CASE WHEN `+answered+` THEN latency_us END),
		max(CASE WHEN `+answered+` THEN latency_us END),
		max(checked_at)
		FROM check_results
		WHERE tenant_id = ? AND monitor_id = ? AND checked_at >= ? AND checked_at < ?
		GROUP BY coalesce(location, 'local')`),
		tenantID, monitorID, s.tv(from), s.tv(to))
	if err != nil {
		return nil, fmt.Errorf("read check results by location: %w", err)
	}
	defer rows.Close()
	var out []LocationStat
	for rows.Next() {
		var (
			l          LocationStat
			sum        int64
			minL, maxL sql.NullInt64
		)
		if err := rows.Scan(&l.Location, &l.Checks, &l.Up, &l.Degraded, &l.Down, &l.Unknown,
			&sum, &minL, &maxL, batch.ScanTime(&l.Last)); err != nil {
			return nil, err
		}
		l.Answered = l.Up + l.Degraded
		l.SumLatency = time.Duration(sum) * time.Microsecond
		l.MinLatency = time.Duration(minL.Int64) * time.Microsecond
		l.MaxLatency = time.Duration(maxL.Int64) * time.Microsecond
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b LocationStat) int { return strings.Compare(a.Location, b.Location) })
	return out, nil
}
