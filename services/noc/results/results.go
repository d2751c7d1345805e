package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/tenants"
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
	db      *sql.DB
	dialect string
	log     *slog.Logger
}

// New returns a Store on db, the application's pool (on Postgres it acts
// as the application role with each statement's actor from its context).
func New(db *platform.Database, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: db.DB, dialect: db.Dialect, log: log}
}

func (s *Store) pg() bool { return s.dialect == platform.Postgres }

// q turns ? placeholders into Postgres's $n.
func (s *Store) q(query string) string {
	if !s.pg() {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// tv is a time as the dialect stores it: timestamptz on Postgres, Unix
// microseconds on SQLite.
func (s *Store) tv(t time.Time) any {
	if s.pg() {
		return t.UTC()
	}
	return t.UTC().UnixMicro()
}

// scanTime reads either form.
type scanTime struct{ t *time.Time }

func (st scanTime) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*st.t = time.UnixMicro(v).UTC()
	case time.Time:
		*st.t = v.UTC()
	case nil:
		*st.t = time.Time{}
	default:
		return fmt.Errorf("check time of type %T", src)
	}
	return nil
}

// actorTenant is the tenant a read is scoped to: the acting tenant.
func actorTenant(ctx context.Context) (string, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return "", err
	}
	if a.TenantID == "" {
		return "", opsward.Errorf(opsward.EFORBIDDEN, "check results are read within a tenant")
	}
	return a.TenantID, nil
}

func requirePrivileged(ctx context.Context, what string) error {
	a, ok := tenants.FromContext(ctx)
	if !ok || !a.IsPrivileged() {
		return opsward.Errorf(opsward.EFORBIDDEN, "%s is system work and needs the privileged path", what)
	}
	return nil
}

var resultColumns = []string{"tenant_id", "monitor_id", "checked_at", "status", "latency_us",
	"reason", "message", "metrics", "in_maintenance"}

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

// insert writes rows now, in one batch: COPY on Postgres, multi-row
// INSERT on SQLite. A row already stored (same tenant, monitor and time)
// is kept as it is, so a batch can be retried safely. Rows must have been
// through normalize. It is the writer's path and runs privileged.
func (s *Store) insert(ctx context.Context, rows []Result) error {
	if len(rows) == 0 {
		return nil
	}
	ctx = tenants.Privileged(ctx, "result writer")
	if s.pg() {
		return s.copyRows(ctx, rows)
	}
	return s.insertRows(ctx, rows)
}

// copyRows copies into a temporary staging table and moves the rows on
// with INSERT … SELECT: Postgres does not allow COPY FROM into a table
// under row-level security, and the INSERT keeps the policy's check.
func (s *Store) copyRows(ctx context.Context, rows []Result) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		if a, ok := dc.(interface{ ApplySession(context.Context) error }); ok {
			if err := a.ApplySession(ctx); err != nil {
				return err
			}
		}
		inner, err := platform.UnwrapConn(dc)
		if err != nil {
			return err
		}
		sc, ok := inner.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("check results: COPY needs a pgx connection, not %T", inner)
		}
		pc := sc.Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS check_results_stage
			(LIKE check_results INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"check_results_stage"}, resultColumns,
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := &rows[i]
				return []any{r.TenantID, r.MonitorID, r.CheckedAt, string(r.Status), r.Latency.Microseconds(),
					r.Reason, r.Message, metricsJSON(r.Metrics), r.InMaintenance}, nil
			}))
		if err != nil {
			return fmt.Errorf("copy check results: %w", err)
		}
		// Columns by name: a connection's staging table may predate a
		// column added to check_results.
		cols := strings.Join(resultColumns, ", ")
		if _, err := tx.Exec(ctx, "INSERT INTO check_results ("+cols+") SELECT "+cols+
			" FROM check_results_stage ON CONFLICT DO NOTHING"); err != nil {
			return fmt.Errorf("move check results: %w", err)
		}
		return tx.Commit(ctx)
	})
}

// SQLite allows 32,766 variables a statement; 9 a row.
const sqliteRowsPerInsert = 500

func (s *Store) insertRows(ctx context.Context, rows []Result) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for len(rows) > 0 {
		n := min(len(rows), sqliteRowsPerInsert)
		var b strings.Builder
		b.WriteString("INSERT INTO check_results (" + strings.Join(resultColumns, ", ") + ") VALUES ")
		args := make([]any, 0, n*len(resultColumns))
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			var m any
			if j := metricsJSON(r.Metrics); j != nil {
				m = string(j)
			}
			args = append(args, r.TenantID, r.MonitorID, s.tv(r.CheckedAt), string(r.Status),
				r.Latency.Microseconds(), r.Reason, r.Message, m, r.InMaintenance)
		}
		b.WriteString(" ON CONFLICT DO NOTHING")
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert check results: %w", err)
		}
		rows = rows[n:]
	}
	return tx.Commit()
}

// EnsurePartitions makes the daily partitions of the days days from the
// UTC day of from, moving in any of their rows that landed in the default
// partition. Nothing on SQLite. The writer calls it; so may a scheduler.
func (s *Store) EnsurePartitions(ctx context.Context, from time.Time, days int) (int, error) {
	if !s.pg() {
		return 0, nil
	}
	day := from.UTC().Format(time.DateOnly)
	var made int
	err := s.db.QueryRowContext(tenants.Privileged(ctx, "result partitions"),
		"SELECT opsward_check_results_partitions($1::date, $2)", day, days).Scan(&made)
	if err != nil {
		return 0, fmt.Errorf("make check result partitions: %w", err)
	}
	return made, nil
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
		latency_us, reason, message, metrics, in_maintenance FROM check_results
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
		if err := rows.Scan(&r.TenantID, &r.MonitorID, scanTime{&r.CheckedAt}, &status, &latency,
			&r.Reason, &r.Message, &metrics, &r.InMaintenance); err != nil {
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
	if err := requirePrivileged(ctx, "retention"); err != nil {
		return 0, err
	}
	if s.pg() {
		var n int64
		err := s.db.QueryRowContext(ctx, "SELECT opsward_check_results_drop_before($1)", cutoff.UTC()).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("drop check result partitions: %w", err)
		}
		return n, nil
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM check_results WHERE checked_at < ?", s.tv(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete check results: %w", err)
	}
	return res.RowsAffected()
}

// DeleteTenantBefore deletes one tenant's raw results older than cutoff,
// for a plan that keeps less than the partitions do.
func (s *Store) DeleteTenantBefore(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	if err := requirePrivileged(ctx, "retention"); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, s.q("DELETE FROM check_results WHERE tenant_id = ? AND checked_at < ?"),
		tenantID, s.tv(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete check results: %w", err)
	}
	return res.RowsAffected()
}
