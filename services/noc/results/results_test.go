package results_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
)

// base is a UTC day that is a daylight-saving change in Europe: ranges
// here are UTC and do not care.
var base = time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)

func write(t *testing.T, e *env, rs []results.Result) {
	t.Helper()
	w, err := e.store.NewWriter(results.WriterConfig{BatchSize: 100, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, r := range rs {
		if err := w.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Written != int64(len(rs)) || st.Pending != 0 {
		t.Fatalf("writer stats %+v after %d results", st, len(rs))
	}
}

// every returns results of one monitor every step in [from, to).
func every(tenant, monitor string, from, to time.Time, step time.Duration, f func(i int, r *results.Result)) []results.Result {
	var out []results.Result
	for i, at := 0, from; at.Before(to); i, at = i+1, at.Add(step) {
		r := results.Result{TenantID: tenant, MonitorID: monitor, CheckedAt: at,
			Status: probe.StatusUp, Latency: 10 * time.Millisecond}
		if f != nil {
			f(i, &r)
		}
		out = append(out, r)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// 250 results across midnight (23:00 to 01:05), one a half minute.
		from := base.Add(23 * time.Hour)
		rs := every(e.tenantA, "mon_1", from, from.Add(125*time.Minute), 30*time.Second, func(i int, r *results.Result) {
			r.Latency = time.Duration(i+1) * time.Millisecond
			if i == 7 {
				r.Status, r.Reason = probe.StatusDown, "timeout"
				r.Message = strings.Repeat("é", 2000)
				r.Metrics = map[string]float64{"status_code": 503}
				r.InMaintenance = true
			}
		})
		write(t, e, rs)
		// A second write of the same results changes nothing.
		write(t, e, rs[:150])

		ctx := as(e.tenantA)
		var got []results.Result
		cursor := ""
		for pages := 0; ; pages++ {
			page, next, err := e.store.Results(ctx, "mon_1", base, base.Add(48*time.Hour), 100, cursor)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			if next == "" {
				if pages != 2 {
					t.Errorf("%d pages, want 3", pages+1)
				}
				break
			}
			cursor = next
		}
		if len(got) != len(rs) {
			t.Fatalf("read %d results, wrote %d", len(got), len(rs))
		}
		for i, g := range got {
			want := rs[len(rs)-1-i]
			if !g.CheckedAt.Equal(want.CheckedAt) || g.Status != want.Status || g.Latency != want.Latency {
				t.Fatalf("result %d = %v %s %v, want %v %s %v", i, g.CheckedAt, g.Status, g.Latency,
					want.CheckedAt, want.Status, want.Latency)
			}
		}
		down := got[len(got)-1-7]
		if down.Reason != "timeout" || !down.InMaintenance || down.Metrics["status_code"] != 503 ||
			utf8.RuneCountInString(down.Message) != results.MaxMessage {
			t.Errorf("down result = %+v (message %d characters)", down, utf8.RuneCountInString(down.Message))
		}
		// A range of exactly one UTC day: the 120 results from midnight.
		day, _, err := e.store.Results(ctx, "mon_1", base.Add(24*time.Hour), base.Add(48*time.Hour), 1000, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(day) != 130 {
			t.Errorf("results of the second day: %d, want 130", len(day))
		}
		if _, _, err := e.store.Results(context.Background(), "mon_1", base, base.Add(time.Hour), 10, ""); err == nil {
			t.Error("a read with no actor succeeded")
		}
	})
}

func TestDifferentTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		write(t, e, every(e.tenantA, "mon_a", base, base.Add(time.Hour), time.Minute, nil))
		ctxB := as(e.tenantB)
		got, _, err := e.store.Results(ctxB, "mon_a", base, base.Add(time.Hour), 100, "")
		if err != nil || len(got) != 0 {
			t.Fatalf("tenant B read %d of A's results (%v)", len(got), err)
		}
		if err := e.store.Rollup(system(), base, base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		u, err := e.store.Uptime(ctxB, "mon_a", base, base.Add(time.Hour))
		if err != nil || u.Judged() != 0 {
			t.Fatalf("tenant B's uptime of A's monitor counts %d results (%v)", u.Judged(), err)
		}
		if u, _ := e.store.Uptime(as(e.tenantA), "mon_a", base, base.Add(time.Hour)); u.Up != 60 {
			t.Fatalf("tenant A's uptime counts %d up, want 60", u.Up)
		}
		if !e.pg() {
			return
		}
		// Row-level security alone: raw SQL through the application's
		// pool, with no tenant filter.
		for _, c := range []struct {
			name string
			ctx  context.Context
			want int
		}{{"tenant A", as(e.tenantA), 60}, {"tenant B", ctxB, 0}, {"no actor", context.Background(), 0}} {
			for _, tbl := range []string{"check_results", "check_rollups"} {
				var n int
				if err := e.app.QueryRowContext(c.ctx, "SELECT count(*) FROM "+tbl+" WHERE monitor_id = 'mon_a'").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if tbl == "check_rollups" && c.want > 0 {
					c.want = 1
				}
				if n != c.want {
					t.Errorf("%s sees %d rows of %s, want %d", c.name, n, tbl, c.want)
				}
			}
		}
		// Nor can a partition be named to get around the parent's policy.
		if _, err := e.app.ExecContext(ctxB, "SELECT count(*) FROM check_results_default"); err == nil ||
			!strings.Contains(err.Error(), "permission denied") {
			t.Errorf("reading a partition directly: %v", err)
		}
		// Tenant B cannot write as A either.
		_, err = e.app.ExecContext(ctxB, `INSERT INTO check_results (tenant_id, monitor_id, checked_at, status)
			VALUES ($1, 'mon_a', now(), 'down')`, e.tenantA)
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Errorf("tenant B wrote a result of A: %v", err)
		}
	})
}

func TestRollups(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Three days, one result a minute: the first of every ten is down,
		// latencies run 1..100 ms, the last hour of each day is maintenance.
		rs := every(e.tenantA, "mon_r", base, base.Add(72*time.Hour), time.Minute, func(i int, r *results.Result) {
			r.Latency = time.Duration(i%100+1) * time.Millisecond
			if i%10 == 0 {
				r.Status = probe.StatusDown
			}
			r.InMaintenance = r.CheckedAt.Hour() == 23
		})
		write(t, e, rs)
		ctx := as(e.tenantA)
		// 90 days, mostly empty, before any rollup: all raw.
		from, to := base.AddDate(0, 0, -87), base.AddDate(0, 0, 3)
		raw, err := e.store.Uptime(ctx, "mon_r", from, to)
		if err != nil {
			t.Fatal(err)
		}
		if raw.DayRows+raw.HourRows != 0 || raw.RawRows != len(rs) {
			t.Fatalf("before rollup read %d/%d/%d rows", raw.DayRows, raw.HourRows, raw.RawRows)
		}
		for range 2 { // idempotent
			if err := e.store.Rollup(system(), from, to); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.store.Rollup(ctx, from, to); err == nil {
			t.Error("a tenant ran the rollup")
		}
		u, err := e.store.Uptime(ctx, "mon_r", from, to)
		if err != nil {
			t.Fatal(err)
		}
		if u.RawRows != 0 || u.HourRows != 0 || u.DayRows != 3 {
			t.Errorf("90 days read %d day, %d hour, %d raw rows; want 3 day rows only", u.DayRows, u.HourRows, u.RawRows)
		}
		// 3 days × 23 hours × 60 minutes judged, a tenth down.
		if u.Judged() != 3*23*60 || u.Maintenance != 3*60 || u.Down != 3*23*6 {
			t.Errorf("counts up %d degraded %d down %d maintenance %d", u.Up, u.Degraded, u.Down, u.Maintenance)
		}
		if math.Abs(u.Percent-90) > 1e-9 || u.Percent != raw.Percent {
			t.Errorf("uptime %.4f%% (raw %.4f%%), want 90%%", u.Percent, raw.Percent)
		}
		if u.Summary.Judged() != raw.Summary.Judged() || u.P99 != raw.P99 || u.LatencyMaxUS != raw.LatencyMaxUS {
			t.Errorf("rollups and raw disagree: %+v vs %+v", u.Summary, raw.Summary)
		}
		// Latencies are close to uniform on 1..100 ms.
		for _, p := range []struct {
			got  time.Duration
			want float64
		}{{u.P50, 50}, {u.P95, 95}, {u.P99, 99}} {
			ms := float64(p.got) / float64(time.Millisecond)
			if math.Abs(ms-p.want)/p.want > 0.1 {
				t.Errorf("percentile %.2f ms, want %.0f ms within the histogram's 10%%", ms, p.want)
			}
		}
		// A range with ragged edges mixes the sources and counts the same.
		ragged, err := e.store.Uptime(ctx, "mon_r", base.Add(90*time.Minute+30*time.Second), base.Add(50*time.Hour+10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if ragged.DayRows != 0 && ragged.HourRows == 0 || ragged.RawRows == 0 {
			t.Errorf("ragged range read %d day, %d hour, %d raw rows", ragged.DayRows, ragged.HourRows, ragged.RawRows)
		}
		// Minutes 91 to 3009 from base.
		if n := ragged.Judged() + ragged.Maintenance + ragged.Unknown; n != 3009-91+1 {
			t.Errorf("ragged range counts %d results, want %d", n, 3009-91+1)
		}
	})
}

func TestRetention(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Five days of results; on Postgres they land in the default
		// partition first, and making the partitions moves them.
		rs := every(e.tenantA, "mon_k", base, base.Add(120*time.Hour), 10*time.Minute, nil)
		write(t, e, rs)
		made, err := e.store.EnsurePartitions(system(), base, 5)
		if err != nil {
			t.Fatal(err)
		}
		if e.pg() {
			if made != 5 {
				t.Errorf("made %d partitions, want 5", made)
			}
			if n := count(t, e, "SELECT count(*) FROM check_results_default"); n != 0 {
				t.Errorf("%d results left in the default partition", n)
			}
			// Partitions made at run time belong to the schema owner and
			// are reached only through the parent and its policy.
			var owner string
			if err := e.owner.QueryRow(`SELECT pg_get_userbyid(relowner) FROM pg_class
				WHERE relname = 'check_results_20260330'`).Scan(&owner); err != nil || owner == "opsward_app" {
				t.Errorf("partition owner %q (%v)", owner, err)
			}
			if _, err := e.app.ExecContext(system(), "SELECT count(*) FROM check_results_20260330"); err == nil ||
				!strings.Contains(err.Error(), "permission denied") {
				t.Errorf("reading a new partition directly: %v", err)
			}
		}
		if _, err := e.store.DropBefore(as(e.tenantA), base); err == nil {
			t.Error("a tenant ran retention")
		}
		// The cutoff is inside the third day: Postgres drops two whole
		// days and keeps the third; SQLite deletes rows up to the cutoff.
		dropped, err := e.store.DropBefore(system(), base.Add(54*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want, wantLeft := int64(2), 3*144
		if !e.pg() {
			want, wantLeft = 54*6, 720-54*6
		}
		if dropped != want {
			t.Errorf("dropped %d, want %d", dropped, want)
		}
		left, _, err := e.store.Results(as(e.tenantA), "mon_k", base, base.Add(120*time.Hour), 1000, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != wantLeft {
			t.Errorf("%d results left, want %d", len(left), wantLeft)
		}
		if e.pg() {
			for d := 0; d < 5; d++ {
				name := fmt.Sprintf("check_results_%s", base.AddDate(0, 0, d).Format("20060102"))
				exists := count(t, e, fmt.Sprintf("SELECT count(*) FROM pg_class WHERE relname = '%s'", name)) == 1
				if exists != (d >= 2) {
					t.Errorf("partition %s exists: %v", name, exists)
				}
			}
		}
		// A plan that keeps less: that tenant's rows only.
		n, err := e.store.DeleteTenantBefore(system(), e.tenantA, base.Add(96*time.Hour))
		if want := int64(4*144 - len(rs) + wantLeft); err != nil || n != want {
			t.Errorf("DeleteTenantBefore = %d, %v; want %d", n, err, want)
		}
	})
}

func count(t *testing.T, e *env, q string) int {
	t.Helper()
	var n int
	if err := e.owner.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMaintain(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		now := time.Now().UTC()
		from := now.Add(-3 * time.Hour).Truncate(time.Hour)
		rs := every(e.tenantA, "mon_m", from, now, time.Minute, nil)
		write(t, e, rs)
		if err := e.store.Maintain(as(e.tenantA), now); err == nil {
			t.Error("a tenant ran the upkeep")
		}
		for range 2 {
			if err := e.store.Maintain(system(), now); err != nil {
				t.Fatal(err)
			}
		}
		u, err := e.store.Uptime(as(e.tenantA), "mon_m", from, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if u.HourRows < 2 || u.Up != int64(len(rs)) {
			t.Errorf("after upkeep: %d hour rows, %d raw rows, %d up of %d", u.HourRows, u.RawRows, u.Up, len(rs))
		}
		if e.pg() {
			if n := count(t, e, "SELECT count(*) FROM check_results_default"); n != 0 {
				t.Errorf("%d of today's results in the default partition", n)
			}
		}
	})
}
