package events

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/internal/platform"
)

// Store reads and writes security events.
type Store struct {
	db   *sql.DB
	rows *batch.Store[Event]
	log  *slog.Logger

	// parts is the partition cache of InsertTx, which any goroutine calls.
	partsMu sync.Mutex
	parts   batch.Partitions
}

// New returns a Store on db, the application's pool (on Postgres it acts
// as the application role with each statement's actor from its context).
func New(db *platform.Database, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := &Store{db: db.DB, rows: batch.NewStore(db, table), log: log}
	st.parts.Make = st.rows.EnsurePartitions
	return st
}

func (s *Store) pg() bool           { return s.rows.Postgres() }
func (s *Store) tv(t time.Time) any { return s.rows.Time(t) }

func actorTenant(ctx context.Context) (string, error) {
	return batch.ActorTenant(ctx, "security events")
}

// eventColumns are written and read in this order.
var eventColumns = []string{"tenant_id", "id", "ts", "received_at", "source_id", "dataset",
	"category", "action", "outcome", "severity", "host_name", "user_name", "source_ip",
	"destination_ip", "destination_port", "process_executable", "event_code", "message",
	"fields", "original"}

var columnList = strings.Join(eventColumns, ", ")

// table is security_events as the bulk store writes it. An event already
// stored (same tenant, time and id) is kept as it is.
var table = batch.Table[Event]{
	Name: "security_events", What: "security events", Columns: eventColumns,
	TimeColumn: "ts", Partitioned: true,
	Row: func(e *Event, dst []any) []any {
		return append(dst, e.TenantID, e.ID, e.Time, e.ReceivedAt, e.SourceID, e.Dataset,
			e.Category, e.Action, e.Outcome, nullInt(e.Severity), e.HostName, e.UserName, e.SourceIP,
			e.DestinationIP, nullInt(e.DestinationPort), e.ProcessExecutable, e.EventCode, e.Message,
			e.fieldsJSON, e.Original)
	},
	RowTime:  func(e *Event) time.Time { return e.Time },
	Identity: []string{"tenant_id", "ts", "id"},
}

// OnAdded sets work that commits with every write of events (the
// writer's batches and InsertTx): fn gets the events the write added, an
// event stored before not among them, in the write's transaction.
// cmd/opsward meters ingest through it. nil removes it.
func (s *Store) OnAdded(fn batch.Added[Event]) { s.rows.OnAdded(fn) }

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// insert writes events now, in one transaction: COPY on Postgres,
// multi-row INSERT on SQLite, with ctx's actor. Events must have been
// through prepare.
func (s *Store) insert(ctx context.Context, evs []Event) error {
	_, err := s.rows.Insert(ctx, evs)
	return err
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
		if err := rows.Scan(&e.TenantID, &e.ID, batch.ScanTime(&e.Time), batch.ScanTime(&e.ReceivedAt), &e.SourceID,
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
	return s.rows.EnsurePartitions(ctx, from, days)
}

// Maintain is the periodic upkeep: the partitions of yesterday (for late
// events), today and the next two days. Retention is separate because its
// cutoffs come from the plans. It runs privileged.
func (s *Store) Maintain(ctx context.Context, now time.Time) error {
	if err := batch.RequirePrivileged(ctx, "security event upkeep"); err != nil {
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
	return s.rows.DropBefore(ctx, cutoff)
}

// DeleteTenantBefore deletes one tenant's events older than cutoff, for a
// plan that keeps less than the partitions do, and returns their number.
func (s *Store) DeleteTenantBefore(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	return s.rows.DeleteTenantBefore(ctx, tenantID, cutoff)
}

// InsertTx writes evs in tx, so that they commit with the caller's work
// (an ingest batch's idempotency key). An event already stored is kept.
// The partitions of days near now that the events need are made first,
// outside tx, as the writer makes them.
func (s *Store) InsertTx(ctx context.Context, tx *sql.Tx, evs []Event) (int64, error) {
	if s.pg() {
		now := time.Now().UTC()
		s.partsMu.Lock()
		for i := range evs {
			if err := s.parts.Ensure(ctx, evs[i].Time.UTC(), now); err != nil {
				s.partsMu.Unlock()
				return 0, err
			}
		}
		s.partsMu.Unlock()
	}
	return s.rows.InsertTx(ctx, tx, evs)
}
