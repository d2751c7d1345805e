package events

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// Store reads and writes security events.
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
	default:
		return fmt.Errorf("event time of type %T", src)
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
		return "", opsward.Errorf(opsward.EFORBIDDEN, "security events are read within a tenant")
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

// eventColumns are written and read in this order.
var eventColumns = []string{"tenant_id", "id", "ts", "received_at", "source_id", "dataset",
	"category", "action", "outcome", "severity", "host_name", "user_name", "source_ip",
	"destination_ip", "destination_port", "process_executable", "event_code", "message",
	"fields", "original"}

var columnList = strings.Join(eventColumns, ", ")

// values are e's columns; times and fields as the dialect takes them.
func (s *Store) values(e *Event) []any {
	var fields any = e.fieldsJSON
	if !s.pg() {
		fields = string(e.fieldsJSON)
	}
	return []any{e.TenantID, e.ID, s.tv(e.Time), s.tv(e.ReceivedAt), e.SourceID, e.Dataset,
		e.Category, e.Action, e.Outcome, nullInt(e.Severity), e.HostName, e.UserName, e.SourceIP,
		e.DestinationIP, nullInt(e.DestinationPort), e.ProcessExecutable, e.EventCode, e.Message,
		fields, e.Original}
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// insert writes events now, in one transaction: COPY on Postgres,
// multi-row INSERT on SQLite. An event already stored (same tenant, time
// and id) is kept as it is, so a batch can be retried safely. Events must
// have been through prepare. It is the writer's path and runs privileged.
func (s *Store) insert(ctx context.Context, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	ctx = tenants.Privileged(ctx, "security event writer")
	if s.pg() {
		return s.copyEvents(ctx, evs)
	}
	return s.insertEvents(ctx, evs)
}

// copyEvents copies into a temporary staging table and moves the rows on
// with INSERT … SELECT: Postgres does not allow COPY FROM into a table
// under row-level security, and the INSERT keeps the policy's check.
func (s *Store) copyEvents(ctx context.Context, evs []Event) error {
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
			return fmt.Errorf("security events: COPY needs a pgx connection, not %T", inner)
		}
		tx, err := sc.Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS security_events_stage
			(LIKE security_events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"security_events_stage"}, eventColumns,
			pgx.CopyFromSlice(len(evs), func(i int) ([]any, error) { return s.values(&evs[i]), nil }))
		if err != nil {
			return fmt.Errorf("copy security events: %w", err)
		}
		// Columns by name: a connection's staging table may predate a
		// column added to security_events.
		if _, err := tx.Exec(ctx, "INSERT INTO security_events ("+columnList+") SELECT "+columnList+
			" FROM security_events_stage ON CONFLICT DO NOTHING"); err != nil {
			return fmt.Errorf("move security events: %w", err)
		}
		return tx.Commit(ctx)
	})
}

// SQLite allows 32,766 variables a statement; 20 a row.
const sqliteRowsPerInsert = 500

func (s *Store) insertEvents(ctx context.Context, evs []Event) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(eventColumns)), ", ") + ")"
	for len(evs) > 0 {
		n := min(len(evs), sqliteRowsPerInsert)
		var b strings.Builder
		b.WriteString("INSERT INTO security_events (" + columnList + ") VALUES ")
		args := make([]any, 0, n*len(eventColumns))
		for i := range evs[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
			args = append(args, s.values(&evs[i])...)
		}
		b.WriteString(" ON CONFLICT DO NOTHING")
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert security events: %w", err)
		}
		evs = evs[n:]
	}
	return tx.Commit()
}

// scanEvents reads rows of eventColumns.
func scanEvents(rows *sql.Rows) ([]Event, error) {
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			e              Event
			sev, port      sql.NullInt64
			fields         []byte
			severity, dest *int
		)
		if err := rows.Scan(&e.TenantID, &e.ID, scanTime{&e.Time}, scanTime{&e.ReceivedAt}, &e.SourceID,
			&e.Dataset, &e.Category, &e.Action, &e.Outcome, &sev, &e.HostName, &e.UserName, &e.SourceIP,
			&e.DestinationIP, &port, &e.ProcessExecutable, &e.EventCode, &e.Message, &fields, &e.Original); err != nil {
			return nil, err
		}
		if sev.Valid {
			v := int(sev.Int64)
			severity = &v
		}
		if port.Valid {
			v := int(port.Int64)
			dest = &v
		}
		e.Severity, e.DestinationPort = severity, dest
		d := json.NewDecoder(bytes.NewReader(fields))
		d.UseNumber() // numbers come back exact
		if err := d.Decode(&e.Fields); err != nil {
			return nil, fmt.Errorf("event %s fields: %w", e.ID, err)
		}
		if e.Fields == nil {
			e.Fields = map[string]any{}
		}
		// The column-only names, back where a reader of Fields expects them.
		e.Fields[FieldTimestamp] = e.Time.Format(time.RFC3339Nano)
		if e.Message != "" {
			e.Fields[FieldMessage] = e.Message
		}
		if e.Original != "" {
			e.Fields[FieldOriginal] = e.Original
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EnsurePartitions makes the daily partitions of the days days from the
// UTC day of from, moving in any of their events that landed in the
// default partition, and returns how many it made. Nothing on SQLite.
func (s *Store) EnsurePartitions(ctx context.Context, from time.Time, days int) (int, error) {
	if !s.pg() {
		return 0, nil
	}
	var made int
	err := s.db.QueryRowContext(tenants.Privileged(ctx, "security event partitions"),
		"SELECT opsward_security_events_partitions($1::date, $2)", from.UTC().Format(time.DateOnly), days).Scan(&made)
	if err != nil {
		return 0, fmt.Errorf("make security event partitions: %w", err)
	}
	return made, nil
}

// Maintain is the periodic upkeep: the partitions of yesterday (for late
// events), today and the next two days. Retention is separate because its
// cutoffs come from the plans. It runs privileged.
func (s *Store) Maintain(ctx context.Context, now time.Time) error {
	if err := requirePrivileged(ctx, "security event upkeep"); err != nil {
		return err
	}
	_, err := s.EnsurePartitions(ctx, now.UTC().AddDate(0, 0, -1), 4)
	return err
}

// DropBefore removes events older than cutoff for every tenant: on
// Postgres it drops each daily partition that ends at or before cutoff
// (and deletes older rows from the default partition) and returns the
// number of partitions dropped; on SQLite it deletes the rows and returns
// their number. Use the longest retention of any plan as cutoff and
// DeleteTenantBefore for tenants whose plan keeps less.
func (s *Store) DropBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	if err := requirePrivileged(ctx, "security event retention"); err != nil {
		return 0, err
	}
	if s.pg() {
		var n int64
		err := s.db.QueryRowContext(ctx, "SELECT opsward_security_events_drop_before($1)", cutoff.UTC()).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("drop security event partitions: %w", err)
		}
		return n, nil
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM security_events WHERE ts < ?", s.tv(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete security events: %w", err)
	}
	return res.RowsAffected()
}

// DeleteTenantBefore deletes one tenant's events older than cutoff, for a
// plan that keeps less than the partitions do, and returns their number.
func (s *Store) DeleteTenantBefore(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	if err := requirePrivileged(ctx, "security event retention"); err != nil {
		return 0, err
	}
	if tenantID == "" {
		return 0, opsward.FieldErrorf("tenant_id", "retention of one tenant needs the tenant")
	}
	q := "DELETE FROM security_events WHERE tenant_id = ? AND ts < ?"
	if s.pg() {
		q = "DELETE FROM security_events WHERE tenant_id = $1 AND ts < $2"
	}
	res, err := s.db.ExecContext(ctx, q, tenantID, s.tv(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete security events: %w", err)
	}
	return res.RowsAffected()
}
