package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opsward/opsward/internal/batch"
)

// Bucket sizes of rollups.
const (
	BucketHour = "hour"
	BucketDay  = "day"
)

type rollupKey struct {
	tenantID, monitorID string
	start               time.Time
}

// Rollup computes the hourly rollups of the whole hours in [from, to) from
// raw results and the daily rollups of the whole days in that span from
// the hourly ones. It replaces what was there, so running it again over
// the same range changes nothing. It runs across tenants, privileged.
func (s *Store) Rollup(ctx context.Context, from, to time.Time) error {
	if err := requirePrivileged(ctx, "rollup"); err != nil {
		return err
	}
	h0, h1 := from.UTC().Truncate(time.Hour), to.UTC().Truncate(time.Hour)
	// An hour, then a day, at a time: memory is one summary per monitor.
	// Hours with no results are skipped (their rollups, if any, stay).
	for h := h0; h.Before(h1); h = h.Add(time.Hour) {
		next, err := s.first(ctx, `SELECT min(checked_at) FROM check_results WHERE checked_at >= ? AND checked_at < ?`, h, h1)
		if err != nil || next.IsZero() {
			if err != nil {
				return err
			}
			break
		}
		h = next.Truncate(time.Hour)
		if err := s.rollupHour(ctx, h); err != nil {
			return err
		}
	}
	d1 := truncDay(h1)
	for d := truncDay(h0); d.Before(d1); d = d.AddDate(0, 0, 1) {
		next, err := s.first(ctx, `SELECT min(bucket_start) FROM check_rollups WHERE bucket = 'hour' AND bucket_start >= ? AND bucket_start < ?`, d, d1)
		if err != nil || next.IsZero() {
			if err != nil {
				return err
			}
			break
		}
		d = truncDay(next)
		if err := s.rollupDay(ctx, d); err != nil {
			return err
		}
	}
	if err := s.moveMark(ctx, BucketHour, h1); err != nil {
		return err
	}
	if d1.After(truncDay(h0)) {
		return s.moveMark(ctx, BucketDay, d1)
	}
	return nil
}

// first runs a min() query over [lo, hi); the zero time when empty.
func (s *Store) first(ctx context.Context, query string, lo, hi time.Time) (time.Time, error) {
	var t time.Time
	err := s.db.QueryRowContext(ctx, s.q(query), s.tv(lo), s.tv(hi)).Scan(batch.ScanTime(&t))
	return t, err
}

// moveMark records that rollups of bucket are complete up to through. The
// mark only moves forward, so a rerun of an old range does not pull it
// back.
func (s *Store) moveMark(ctx context.Context, bucket string, through time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO check_rollup_marks (bucket, through) VALUES (?, ?)
		ON CONFLICT (bucket) DO UPDATE SET through = excluded.through
		WHERE check_rollup_marks.through < excluded.through`), bucket, s.tv(through)); err != nil {
		return fmt.Errorf("move the %s rollup mark: %w", bucket, err)
	}
	return nil
}

func (s *Store) rollupHour(ctx context.Context, h time.Time) error {
	hours := map[rollupKey]*Summary{}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT tenant_id, monitor_id, status, latency_us,
		in_maintenance FROM check_results WHERE checked_at >= ? AND checked_at < ?`),
		s.tv(h), s.tv(h.Add(time.Hour)))
	if err != nil {
		return fmt.Errorf("read check results: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k       = rollupKey{start: h}
			status  string
			latency int64
			maint   bool
		)
		if err := rows.Scan(&k.tenantID, &k.monitorID, &status, &latency, &maint); err != nil {
			return err
		}
		sum := hours[k]
		if sum == nil {
			sum = &Summary{}
			hours[k] = sum
		}
		sum.add(status, latency, maint)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	return s.upsertRollups(ctx, BucketHour, hours)
}

func (s *Store) rollupDay(ctx context.Context, d time.Time) error {
	days := map[rollupKey]*Summary{}
	if err := s.readRollups(ctx, `bucket = 'hour' AND bucket_start >= ? AND bucket_start < ?`,
		[]any{s.tv(d), s.tv(d.AddDate(0, 0, 1))}, func(k rollupKey, sum *Summary) {
			k.start = d
			if have := days[k]; have != nil {
				have.merge(sum)
			} else {
				days[k] = sum
			}
		}); err != nil {
		return err
	}
	return s.upsertRollups(ctx, BucketDay, days)
}

// Maintain is the periodic upkeep, run every few minutes on the
// privileged path: partitions for today and the next two days, and the
// rollups of the hours since the last run (the latest whole hour again, a
// few minutes after it ends, for results that were still queued).
func (s *Store) Maintain(ctx context.Context, now time.Time) error {
	if err := requirePrivileged(ctx, "result upkeep"); err != nil {
		return err
	}
	now = now.UTC()
	if _, err := s.EnsurePartitions(ctx, now, 3); err != nil {
		return err
	}
	hourMark, _, err := s.marks(ctx)
	if err != nil {
		return err
	}
	from := now.Add(-48 * time.Hour)
	if !hourMark.IsZero() && hourMark.After(from) {
		from = hourMark.Add(-time.Hour)
	}
	return s.Rollup(ctx, from, now.Add(-5*time.Minute))
}

func truncDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// upsertRollups writes sums.
func (s *Store) upsertRollups(ctx context.Context, bucket string, sums map[rollupKey]*Summary) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO check_rollups (tenant_id, monitor_id, bucket,
		bucket_start, up_count, degraded_count, down_count, unknown_count, maintenance_count,
		latency_count, latency_sum_us, latency_min_us, latency_max_us, latency_hist, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, monitor_id, bucket, bucket_start) DO UPDATE SET
		up_count = excluded.up_count, degraded_count = excluded.degraded_count,
		down_count = excluded.down_count, unknown_count = excluded.unknown_count,
		maintenance_count = excluded.maintenance_count, latency_count = excluded.latency_count,
		latency_sum_us = excluded.latency_sum_us, latency_min_us = excluded.latency_min_us,
		latency_max_us = excluded.latency_max_us, latency_hist = excluded.latency_hist,
		updated_at = excluded.updated_at`))
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := s.tv(time.Now())
	for k, v := range sums {
		if _, err := stmt.ExecContext(ctx, k.tenantID, k.monitorID, bucket, s.tv(k.start),
			v.Up, v.Degraded, v.Down, v.Unknown, v.Maintenance, v.LatencyCount, v.LatencySumUS,
			v.LatencyMinUS, v.LatencyMaxUS, v.histJSON(), now); err != nil {
			return fmt.Errorf("write %s rollup: %w", bucket, err)
		}
	}
	return tx.Commit()
}

func (s *Store) readRollups(ctx context.Context, where string, args []any, fn func(rollupKey, *Summary)) error {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT tenant_id, monitor_id, bucket_start, up_count,
		degraded_count, down_count, unknown_count, maintenance_count, latency_count,
		latency_sum_us, latency_min_us, latency_max_us, latency_hist FROM check_rollups WHERE `+where), args...)
	if err != nil {
		return fmt.Errorf("read rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k    rollupKey
			sum  Summary
			hist []byte
		)
		if err := rows.Scan(&k.tenantID, &k.monitorID, batch.ScanTime(&k.start), &sum.Up, &sum.Degraded,
			&sum.Down, &sum.Unknown, &sum.Maintenance, &sum.LatencyCount, &sum.LatencySumUS,
			&sum.LatencyMinUS, &sum.LatencyMaxUS, &hist); err != nil {
			return err
		}
		if err := sum.setHist(hist); err != nil {
			return fmt.Errorf("rollup histogram: %w", err)
		}
		fn(k, &sum)
	}
	return rows.Err()
}

// Uptime is a monitor's summary over a range and what it was read from.
type Uptime struct {
	Summary
	Percent       float64
	P50, P95, P99 time.Duration
	// Rows read from each source: day rollups, hour rollups, raw results.
	DayRows, HourRows, RawRows int
}

// Uptime sums a monitor's results in [from, to) within the acting tenant:
// whole days that are rolled up from day rollups, whole hours from hour
// rollups, and the rest (the edges of the range and what is not rolled up
// yet) from raw results.
func (s *Store) Uptime(ctx context.Context, monitorID string, from, to time.Time) (*Uptime, error) {
	tenantID, err := actorTenant(ctx)
	if err != nil {
		return nil, err
	}
	from, to = from.UTC(), to.UTC()
	hourMark, dayMark, err := s.marks(ctx)
	if err != nil {
		return nil, err
	}
	segs := plan(from, to, hourMark, dayMark)
	u := &Uptime{}
	for _, sg := range segs {
		if sg.kind == "raw" {
			n, err := s.rawSummary(ctx, tenantID, monitorID, sg.lo, sg.hi, &u.Summary)
			if err != nil {
				return nil, err
			}
			u.RawRows += n
			continue
		}
		n := 0
		err := s.readRollups(ctx, `tenant_id = ? AND monitor_id = ? AND bucket = ? AND bucket_start >= ? AND bucket_start < ?`,
			[]any{tenantID, monitorID, sg.kind, s.tv(sg.lo), s.tv(sg.hi)}, func(_ rollupKey, sum *Summary) {
				u.Summary.merge(sum)
				n++
			})
		if err != nil {
			return nil, err
		}
		if sg.kind == BucketDay {
			u.DayRows += n
		} else {
			u.HourRows += n
		}
	}
	u.Percent = u.UptimePercent()
	u.P50, u.P95, u.P99 = u.Percentile(0.50), u.Percentile(0.95), u.Percentile(0.99)
	return u, nil
}

// segment is a part of a range read from one source: day rollups, hour
// rollups or raw results.
type segment struct {
	kind   string // "day", "hour" or "raw"
	lo, hi time.Time
}

// plan splits [from, to) into segments: whole days rolled up (before
// dayMark) from day rollups, whole hours rolled up (before hourMark) from
// hour rollups, the rest from raw results. Neighbouring segments of one
// kind are joined, so a range has a handful of segments whatever its
// length.
func plan(from, to, hourMark, dayMark time.Time) []segment {
	var segs []segment
	push := func(kind string, lo, hi time.Time) {
		if n := len(segs); n > 0 && segs[n-1].kind == kind && segs[n-1].hi.Equal(lo) {
			segs[n-1].hi = hi
			return
		}
		segs = append(segs, segment{kind, lo, hi})
	}
	for t := from; t.Before(to); {
		switch {
		case t.Equal(truncDay(t)) && !t.AddDate(0, 0, 1).After(to) && !t.AddDate(0, 0, 1).After(dayMark):
			push(BucketDay, t, t.AddDate(0, 0, 1))
			t = t.AddDate(0, 0, 1)
		case t.Equal(t.Truncate(time.Hour)) && !t.Add(time.Hour).After(to) && !t.Add(time.Hour).After(hourMark):
			push(BucketHour, t, t.Add(time.Hour))
			t = t.Add(time.Hour)
		default:
			// Raw up to the next hour, or to the end when nothing more
			// is rolled up.
			next := t.Truncate(time.Hour).Add(time.Hour)
			if !next.Before(hourMark) || next.After(to) {
				next = to
			}
			push("raw", t, next)
			t = next
		}
	}
	return segs
}

func (s *Store) rawSummary(ctx context.Context, tenantID, monitorID string, lo, hi time.Time, sum *Summary) (int, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT status, latency_us, in_maintenance FROM check_results
		WHERE tenant_id = ? AND monitor_id = ? AND checked_at >= ? AND checked_at < ?`),
		tenantID, monitorID, s.tv(lo), s.tv(hi))
	if err != nil {
		return 0, fmt.Errorf("read check results: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			status  string
			latency int64
			maint   bool
		)
		if err := rows.Scan(&status, &latency, &maint); err != nil {
			return 0, err
		}
		sum.add(status, latency, maint)
		n++
	}
	return n, rows.Err()
}

// marks are how far hour and day rollups are complete; the zero time when
// never run.
func (s *Store) marks(ctx context.Context) (hour, day time.Time, err error) {
	for _, m := range []struct {
		bucket string
		t      *time.Time
	}{{BucketHour, &hour}, {BucketDay, &day}} {
		err = s.db.QueryRowContext(ctx, s.q(`SELECT through FROM check_rollup_marks WHERE bucket = ?`),
			m.bucket).Scan(batch.ScanTime(m.t))
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
		if err != nil {
			return hour, day, fmt.Errorf("read rollup marks: %w", err)
		}
	}
	return hour, day, nil
}
