package billing

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// UsageRecorder records usage events, idempotently: an event whose
// (tenant, meter, key) is stored already is skipped, whether it came twice
// in one call, in two calls, or in two concurrent calls. Record validates
// every event before it writes any and writes them in one transaction;
// RecordTx writes in the caller's transaction (a *sql.Tx, or the COPY
// transaction a bulk write hands its OnAdded work), so that usage commits
// with the work it measures.
type UsageRecorder interface {
	Record(ctx context.Context, events []UsageEvent) (recorded int64, err error)
	RecordTx(ctx context.Context, tx batch.Tx, events []UsageEvent) (recorded int64, err error)
}

var _ UsageRecorder = (*UsageStore)(nil)

// UsageStore keeps usage events in the usage_events table, written through
// the shared bulk store (internal/batch): COPY through a staging table on
// Postgres, multi-row INSERTs on SQLite and in a caller's transaction,
// each with ON CONFLICT (tenant_id, meter, idempotency_key) DO NOTHING.
//
// The table is not partitioned by time (see migration 00010): a
// partitioned table's unique key must hold the partition key, and a key
// holding occurred_at would store twice an event sent again with another
// time, which idempotency forbids.
type UsageStore struct {
	db      *sql.DB
	dialect string
	rows    *batch.Store[UsageEvent]
	now     func() time.Time
}

// usageTable is usage_events as the bulk store writes it. Events reach it
// with ReceivedAt set.
var usageTable = batch.Table[UsageEvent]{
	Name: "usage_events", What: "usage events", TimeColumn: "occurred_at",
	Columns: []string{"tenant_id", "meter", "idempotency_key", "quantity", "value", "occurred_at", "received_at"},
	Key:     []string{"tenant_id", "meter", "idempotency_key"},
	Row: func(e *UsageEvent, dst []any) []any {
		return append(dst, e.TenantID, string(e.Meter), e.Key, e.Quantity, e.Value, e.At, e.ReceivedAt)
	},
}

// NewUsageStore returns the store on the application's pool.
func NewUsageStore(db *platform.Database) *UsageStore {
	return &UsageStore{db: db.DB, dialect: db.Dialect, rows: batch.NewStore(db, usageTable), now: time.Now}
}

// q turns ? placeholders into Postgres's $n.
func (s *UsageStore) q(query string) string { return s.rows.Q(query) }

// tv is a time as the dialect stores it.
func (s *UsageStore) tv(t time.Time) any { return s.rows.Time(t) }

// scanTime reads a time in either dialect's form.
type scanTime struct{ t *time.Time }

func (st scanTime) Scan(src any) error { return batch.ScanTime(st.t).Scan(src) }

// Record stores events in a transaction of its own; see UsageRecorder.
func (s *UsageStore) Record(ctx context.Context, events []UsageEvent) (int64, error) {
	if len(events) == 0 {
		return 0, nil
	}
	if err := s.check(ctx, events); err != nil {
		return 0, err
	}
	n, err := s.rows.Insert(ctx, s.prepare(events))
	if err != nil {
		return 0, storeErr(fmt.Errorf("record usage: %w", err))
	}
	return n, nil
}

// RecordTx stores events in tx; see UsageRecorder.
func (s *UsageStore) RecordTx(ctx context.Context, tx batch.Tx, events []UsageEvent) (int64, error) {
	if len(events) == 0 {
		return 0, nil
	}
	if err := s.check(ctx, events); err != nil {
		return 0, err
	}
	n, err := s.rows.InsertTx(ctx, tx, s.prepare(events))
	if err != nil {
		return 0, storeErr(fmt.Errorf("record usage: %w", err))
	}
	return n, nil
}

// check validates events and that the actor may record them: the
// privileged path (the batch writers) for any tenant, anyone else for its
// acting tenant only.
func (s *UsageStore) check(ctx context.Context, events []UsageEvent) error {
	a, err := tenants.Require(ctx)
	if err != nil {
		return err
	}
	for i, e := range events {
		f := fmt.Sprintf("events[%d]", i)
		if err := e.Validate(f); err != nil {
			return err
		}
		if !a.IsPrivileged() && e.TenantID != a.TenantID {
			return opsward.FieldErrorf(f+".tenantId", "usage is recorded for the acting tenant %s, not %s", a.TenantID, e.TenantID)
		}
	}
	return nil
}

// prepare is a copy of events in key order, received now unless they say
// when. One order for every writer, so that two batches sharing keys wait
// for each other instead of deadlocking.
func (s *UsageStore) prepare(events []UsageEvent) []UsageEvent {
	evs := slices.Clone(events)
	slices.SortFunc(evs, func(a, b UsageEvent) int {
		return cmp.Or(strings.Compare(a.TenantID, b.TenantID), strings.Compare(string(a.Meter), string(b.Meter)), strings.Compare(a.Key, b.Key))
	})
	now := s.now()
	for i := range evs {
		if evs[i].ReceivedAt.IsZero() {
			evs[i].ReceivedAt = now
		}
	}
	return evs
}

const usageCols = "tenant_id, meter, idempotency_key, quantity, value, occurred_at, received_at, invoice_id"

func (s *UsageStore) scan(rows *sql.Rows) ([]Recorded, error) {
	defer rows.Close()
	var out []Recorded
	for rows.Next() {
		var r Recorded
		var inv sql.NullString
		var meter string
		if err := rows.Scan(&r.TenantID, &meter, &r.Key, &r.Quantity, &r.Value,
			scanTime{&r.At}, scanTime{&r.ReceivedAt}, &inv); err != nil {
			return nil, storeErr(err)
		}
		r.Meter, r.Billed = Meter(meter), inv.Valid
		out = append(out, r)
	}
	return out, storeErr(rows.Err())
}

// events reads a tenant's events whose time is in [from, to). The caller
// has scoped ctx (the tenant is in the actor's reach, or ctx is
// privileged); the query filters by tenant on SQLite and Postgres alike.
func (s *UsageStore) events(ctx context.Context, tenantID string, from, to time.Time) ([]Recorded, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+usageCols+" FROM usage_events WHERE tenant_id = ? AND occurred_at >= ? AND occurred_at < ?"),
		tenantID, s.tv(from), s.tv(to))
	if err != nil {
		return nil, storeErr(err)
	}
	return s.scan(rows)
}

// unbilled reads a tenant's events not yet billed that happened before
// before and were recorded by recordedBy.
func (s *UsageStore) unbilled(ctx context.Context, q querier, tenantID string, before, recordedBy time.Time) ([]UsageEvent, error) {
	rows, err := q.QueryContext(ctx, s.q("SELECT "+usageCols+" FROM usage_events WHERE tenant_id = ? AND invoice_id IS NULL AND occurred_at < ? AND received_at <= ?"),
		tenantID, s.tv(before), s.tv(recordedBy))
	if err != nil {
		return nil, storeErr(err)
	}
	return s.scanEvents(rows)
}

// billed reads the events of [from, to) that invoices have billed.
func (s *UsageStore) billed(ctx context.Context, q querier, tenantID string, from, to time.Time) ([]UsageEvent, error) {
	rows, err := q.QueryContext(ctx, s.q("SELECT "+usageCols+" FROM usage_events WHERE tenant_id = ? AND invoice_id IS NOT NULL AND occurred_at >= ? AND occurred_at < ?"),
		tenantID, s.tv(from), s.tv(to))
	if err != nil {
		return nil, storeErr(err)
	}
	return s.scanEvents(rows)
}

// markBilled sets invoiceID on the unbilled events the invoice rated.
func (s *UsageStore) markBilled(ctx context.Context, tx *sql.Tx, tenantID, invoiceID string, before, recordedBy time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, s.q("UPDATE usage_events SET invoice_id = ? WHERE tenant_id = ? AND invoice_id IS NULL AND occurred_at < ? AND received_at <= ?"),
		invoiceID, tenantID, s.tv(before), s.tv(recordedBy))
	if err != nil {
		return 0, storeErr(err)
	}
	return res.RowsAffected()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scanEvents reads rows of usageCols as bare usage events.
func (s *UsageStore) scanEvents(rows *sql.Rows) ([]UsageEvent, error) {
	recs, err := s.scan(rows)
	out := make([]UsageEvent, len(recs))
	for i, r := range recs {
		out[i] = r.UsageEvent
	}
	return out, err
}
