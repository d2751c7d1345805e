package billing

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// UsageRecorder records usage events, idempotently: an event whose
// (tenant, meter, key) is stored already is skipped, whether it came twice
// in one call, in two calls, or in two concurrent calls. Record validates
// every event before it writes any, and writes a batch in one statement
// per 1,000 events, in one transaction. RecordTx writes in the caller's
// transaction, so that usage commits with the work it measures.
//
// It is an interface so that the bulk writer of time-partitioned tables
// (internal/batch) can take the table over without changing callers.
type UsageRecorder interface {
	Record(ctx context.Context, events []UsageEvent) (recorded int64, err error)
	RecordTx(ctx context.Context, tx *sql.Tx, events []UsageEvent) (recorded int64, err error)
}

var _ UsageRecorder = (*UsageStore)(nil)

// UsageStore keeps usage events in the usage_events table, with its own
// SQL on both dialects.
type UsageStore struct {
	db      *sql.DB
	dialect string
	now     func() time.Time
}

// NewUsageStore returns the store on the application's pool.
func NewUsageStore(db *platform.Database) *UsageStore {
	return &UsageStore{db: db.DB, dialect: db.Dialect, now: time.Now}
}

func (s *UsageStore) pg() bool { return s.dialect == platform.Postgres }

// q turns ? placeholders into Postgres's $n.
func (s *UsageStore) q(query string) string {
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
func (s *UsageStore) tv(t time.Time) any {
	if s.pg() {
		return t.UTC()
	}
	return t.UTC().UnixMicro()
}

type scanTime struct{ t *time.Time }

func (st scanTime) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*st.t = time.UnixMicro(v).UTC()
	case time.Time:
		*st.t = v.UTC()
	default:
		return fmt.Errorf("usage time of type %T", src)
	}
	return nil
}

// Record stores events in a transaction of its own; see UsageRecorder.
func (s *UsageStore) Record(ctx context.Context, events []UsageEvent) (int64, error) {
	if len(events) == 0 {
		return 0, nil
	}
	if err := s.check(ctx, events); err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, opsward.Internal(fmt.Errorf("begin usage write: %w", err))
	}
	defer tx.Rollback()
	n, err := s.insert(ctx, tx, events)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, opsward.Internal(fmt.Errorf("commit usage: %w", err))
	}
	return n, nil
}

// RecordTx stores events in tx; see UsageRecorder.
func (s *UsageStore) RecordTx(ctx context.Context, tx *sql.Tx, events []UsageEvent) (int64, error) {
	if len(events) == 0 {
		return 0, nil
	}
	if err := s.check(ctx, events); err != nil {
		return 0, err
	}
	return s.insert(ctx, tx, events)
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

// rowsPerInsert keeps a statement below both dialects' variable limits
// (7 a row).
const rowsPerInsert = 1000

func (s *UsageStore) insert(ctx context.Context, tx *sql.Tx, events []UsageEvent) (int64, error) {
	// One order for every writer, so that two batches sharing keys wait
	// for each other instead of deadlocking.
	evs := slices.Clone(events)
	slices.SortFunc(evs, func(a, b UsageEvent) int {
		return cmp.Or(strings.Compare(a.TenantID, b.TenantID), strings.Compare(string(a.Meter), string(b.Meter)), strings.Compare(a.Key, b.Key))
	})
	now := s.now()
	var total int64
	for len(evs) > 0 {
		n := min(len(evs), rowsPerInsert)
		var b strings.Builder
		b.Grow(64 + n*24)
		b.WriteString("INSERT INTO usage_events (tenant_id, meter, idempotency_key, quantity, value, occurred_at, received_at) VALUES ")
		args := make([]any, 0, n*7)
		for i, e := range evs[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			rec := e.ReceivedAt
			if rec.IsZero() {
				rec = now
			}
			args = append(args, e.TenantID, string(e.Meter), e.Key, e.Quantity, e.Value, s.tv(e.At), s.tv(rec))
		}
		b.WriteString(" ON CONFLICT (tenant_id, meter, idempotency_key) DO NOTHING")
		res, err := tx.ExecContext(ctx, s.q(b.String()), args...)
		if err != nil {
			return 0, storeErr(fmt.Errorf("record usage: %w", err))
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, opsward.Internal(err)
		}
		total += k
		evs = evs[n:]
	}
	return total, nil
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
