package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/noc/probe"
)

// Limits of the stored text, in characters.
const (
	MaxReason  = 64
	MaxMessage = 1024
)

// Result is one check's outcome as stored.
type Result struct {
	TenantID      string
	MonitorID     string
	CheckedAt     time.Time // stored at microsecond precision, UTC
	Status        probe.Status
	Latency       time.Duration
	Reason        string
	Message       string
	Metrics       map[string]float64
	InMaintenance bool
	// RunID is the scheduled job that checked (empty for other results):
	// a job run again after its worker died finds its result by it and is
	// not counted twice.
	RunID string
	// Location is where it was checked from: a probe location's ID, or
	// "local" for a monitor that runs from several; empty for a monitor
	// that runs from Opsward's workers alone.
	Location string
}

// FromProbe is the stored form of a probe's result.
func FromProbe(tenantID, monitorID string, r probe.Result, inMaintenance bool) Result {
	return Result{
		TenantID: tenantID, MonitorID: monitorID, CheckedAt: r.StartedAt,
		Status: r.Status, Latency: r.Latency, Reason: r.Reason, Message: r.Message,
		Metrics: r.Metrics, InMaintenance: inMaintenance,
	}
}

// normalize checks r and bounds its text so that the database never
// refuses it: a batch must not fail for one bad row.
func normalize(r Result) (Result, error) {
	if r.TenantID == "" || r.MonitorID == "" {
		return r, opsward.Errorf(opsward.EINVALID, "a check result needs a tenant and a monitor")
	}
	if r.CheckedAt.IsZero() {
		return r, opsward.Errorf(opsward.EINVALID, "a check result needs the time of the check")
	}
	switch r.Status {
	case probe.StatusUp, probe.StatusDegraded, probe.StatusDown, probe.StatusUnknown:
	default:
		return r, opsward.Errorf(opsward.EINVALID, "unknown check status %q", r.Status)
	}
	r.CheckedAt = r.CheckedAt.UTC().Truncate(time.Microsecond)
	r.Latency = max(r.Latency, 0)
	r.Reason = clip(r.Reason, MaxReason)
	r.Message = clip(r.Message, MaxMessage)
	return r, nil
}

// clip makes s valid UTF-8 without NUL bytes (Postgres refuses both) and
// at most n characters.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, c := 0, 0
	for i = range s {
		if c == n {
			break
		}
		c++
	}
	return s[:i]
}

// Store reads and writes check results.
type Store struct {
	db   *sql.DB
	rows *batch.Store[Result]
	log  *slog.Logger
}

// table is check_results as the bulk store writes it.
var table = batch.Table[Result]{
	Name: "check_results", What: "check results", TimeColumn: "checked_at", Partitioned: true,
	Columns: []string{"tenant_id", "monitor_id", "checked_at", "status", "latency_us",
		"reason", "message", "metrics", "in_maintenance", "run_id", "location"},
	Row: func(r *Result, dst []any) []any {
		var run, loc any
		if r.RunID != "" {
			run = r.RunID
		}
		if r.Location != "" {
			loc = r.Location
		}
		return append(dst, r.TenantID, r.MonitorID, r.CheckedAt, string(r.Status), r.Latency.Microseconds(),
			r.Reason, r.Message, metricsJSON(r.Metrics), r.InMaintenance, run, loc)
	},
	RowTime:  func(r *Result) time.Time { return r.CheckedAt },
	Identity: []string{"tenant_id", "monitor_id", "checked_at"},
}

// New returns a Store on db, the application's pool (on Postgres it acts
// as the application role with each statement's actor from its context).
func New(db *platform.Database, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: db.DB, rows: batch.NewStore(db, table), log: log}
}

func (s *Store) q(query string) string { return s.rows.Q(query) }
func (s *Store) tv(t time.Time) any    { return s.rows.Time(t) }

const what = "check results"

func actorTenant(ctx context.Context) (string, error) { return batch.ActorTenant(ctx, what) }

func requirePrivileged(ctx context.Context, work string) error {
	return batch.RequirePrivileged(ctx, work)
}

func metricsJSON(m map[string]float64) []byte {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil { // NaN or Inf: keep the result, drop the metrics
		return nil
	}
	return b
}

// OnAdded sets work that commits with every write of results (the
// writer's batches): fn gets the results the write added, a result stored
// before not among them, in the write's transaction. cmd/opsward meters
// check runs through it. nil removes it.
func (s *Store) OnAdded(fn batch.Added[Result]) { s.rows.OnAdded(fn) }

// EnsurePartitions makes the daily partitions of the days days from the
// UTC day of from, moving in any of their rows that landed in the default
// partition. Nothing on SQLite. The writer calls it; so may a scheduler.
func (s *Store) EnsurePartitions(ctx context.Context, from time.Time, days int) (int, error) {
	return s.rows.EnsurePartitions(ctx, from, days)
}

// HasRun reports whether a result of the run runID of a monitor, checked
// at since or later, is stored: a job run again after its worker died
// before acknowledging it finds its first run's result. It reads within
// the acting tenant only.
func (s *Store) HasRun(ctx context.Context, monitorID, runID string, since time.Time) (bool, error) {
	tenantID, err := actorTenant(ctx)
	if err != nil {
		return false, err
	}
	var one int
	err = s.db.QueryRowContext(ctx, s.q(`SELECT 1 FROM check_results
		WHERE tenant_id = ? AND monitor_id = ? AND checked_at >= ? AND run_id = ? LIMIT 1`),
		tenantID, monitorID, s.tv(since), runID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for the result of run %s: %w", runID, err)
	}
	return true, nil
}

// Results lists a monitor's results in [from, to), newest first, at most
// limit (1 to 1000, default 100), starting after cursor (empty for the
// first page). It returns the cursor of the next page, empty at the end.
// It reads within the acting tenant only.
func (s *Store) Results(ctx context.Context, monitorID string, from, to time.Time, limit int, cursor string) ([]Result, string, error) {
	tenantID, err := actorTenant(ctx)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = 100
	}
	if limit > 1000 {
		return nil, "", opsward.Errorf(opsward.EINVALID, "at most 1000 results a page")
	}
	upper := to
	if cursor != "" {
		us, err := strconv.ParseInt(cursor, 36, 64)
		if err != nil {
			return nil, "", opsward.Errorf(opsward.EINVALID, "the cursor is not one this API gave")
		}
		if c := time.UnixMicro(us); c.Before(upper) {
			upper = c
		}
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT tenant_id, monitor_id, checked_at, status,
		latency_us, reason, message, metrics, in_maintenance, coalesce(location, ''), coalesce(run_id, '') FROM check_results
		WHERE tenant_id = ? AND monitor_id = ? AND checked_at >= ? AND checked_at < ?
		ORDER BY checked_at DESC LIMIT ?`),
		tenantID, monitorID, s.tv(from), s.tv(upper), limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("read check results: %w", err)
	}
	defer rows.Close()
	var out []Result
	for rows.Next() {
		var (
			r       Result
			status  string
			latency int64
			metrics []byte
		)
		if err := rows.Scan(&r.TenantID, &r.MonitorID, batch.ScanTime(&r.CheckedAt), &status, &latency,
			&r.Reason, &r.Message, &metrics, &r.InMaintenance, &r.Location, &r.RunID); err != nil {
			return nil, "", err
		}
		r.Status, r.Latency = probe.Status(status), time.Duration(latency)*time.Microsecond
		if len(metrics) > 0 {
			if err := json.Unmarshal(metrics, &r.Metrics); err != nil {
				return nil, "", err
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].CheckedAt.UnixMicro(), 36)
	}
	return out, next, nil
}

// DropBefore removes raw results older than cutoff for every tenant: on
// Postgres it drops each daily partition that ends at or before cutoff
// (and deletes older rows from the default partition) and returns the
// number of partitions dropped; on SQLite it deletes the rows and returns
// their number. Use the longest retention of any plan as cutoff and
// DeleteTenantBefore for tenants whose plan keeps less. Rollups stay.
func (s *Store) DropBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	return s.rows.DropBefore(ctx, cutoff)
}

// DeleteTenantBefore deletes one tenant's raw results older than cutoff,
// for a plan that keeps less than the partitions do.
func (s *Store) DeleteTenantBefore(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	return s.rows.DeleteTenantBefore(ctx, tenantID, cutoff)
}
