package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/batch"
)

// UsageCounter adds to counted usage in the caller's transaction: the
// meters of bulk work (check runs, security events and bytes), which a
// write meters as it stores the work. Each event's quantity is added to
// the stored event of the same (tenant, meter, key), or stored when there
// is none; an event already billed is left as it is.
//
// Adding is exactly once because the caller counts only the work its
// transaction added (batch.Added): work stored before, by a batch retried
// or replayed, is not counted again, and work that does not commit takes
// its usage with it.
type UsageCounter interface {
	AddTx(ctx context.Context, tx batch.Tx, events []UsageEvent) error
}

var _ UsageCounter = (*UsageStore)(nil)

// Tally sums the usage of one write of work (a batch of check results, of
// security events) per tenant and meter, so that the write meters it in
// one statement of its own transaction. It is for summed meters. The
// zero Tally is ready.
type Tally struct {
	sums map[tallyKey]int64
}

type tallyKey struct {
	tenantID string
	meter    Meter
}

// Add counts qty of meter for a tenant.
func (t *Tally) Add(tenantID string, m Meter, qty int64) {
	if t.sums == nil {
		t.sums = map[tallyKey]int64{}
	}
	t.sums[tallyKey{tenantID, m}] += qty
}

// Len is the number of events Events makes.
func (t *Tally) Len() int { return len(t.sums) }

// Events are the tally's usage events, one per tenant and meter, in key
// order, counted into the minute of now: keyed prefix + ":" + the UTC
// minute (YYYYMMDDhhmm). Every write of a minute adds to one event per
// tenant and meter, so the usage table holds at most one row per tenant,
// meter and minute however many writes there are. The event happened at
// the first write that made it (a later write of the minute keeps that
// time): usage of the minute in which a billing period ends goes into the
// period its first write fell in.
func (t *Tally) Events(prefix string, now time.Time) []UsageEvent {
	now = now.UTC()
	key := prefix + ":" + now.Format("200601021504")
	out := make([]UsageEvent, 0, len(t.sums))
	for k, q := range t.sums {
		out = append(out, UsageEvent{TenantID: k.tenantID, Meter: k.meter, Key: key, Quantity: q, At: now, ReceivedAt: now})
	}
	slices.SortFunc(out, func(a, b UsageEvent) int {
		return cmp.Or(strings.Compare(a.TenantID, b.TenantID), strings.Compare(string(a.Meter), string(b.Meter)))
	})
	return out
}

// AddTx adds the tally's events (see Events) with c in tx: one statement
// for every tenant and meter of the write.
func (t *Tally) AddTx(ctx context.Context, c UsageCounter, tx batch.Tx, prefix string, now time.Time) error {
	if len(t.sums) == 0 {
		return nil
	}
	return c.AddTx(ctx, tx, t.Events(prefix, now))
}

// AddTx adds events to the counted usage in tx; see UsageCounter. Events
// are validated as Record validates them, and written in key order, so
// that two writers adding to the same events wait for each other instead
// of deadlocking.
func (s *UsageStore) AddTx(ctx context.Context, tx batch.Tx, events []UsageEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := s.check(ctx, events); err != nil {
		return err
	}
	evs := s.prepare(events)
	var b strings.Builder
	b.WriteString("INSERT INTO usage_events (tenant_id, meter, idempotency_key, quantity, value, occurred_at, received_at) VALUES ")
	args := make([]any, 0, 7*len(evs))
	for i, e := range evs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, e.TenantID, string(e.Meter), e.Key, e.Quantity, e.Value, s.tv(e.At), s.tv(e.ReceivedAt))
	}
	b.WriteString(` ON CONFLICT (tenant_id, meter, idempotency_key) DO UPDATE
		SET quantity = usage_events.quantity + excluded.quantity WHERE usage_events.invoice_id IS NULL`)
	if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
		return storeErr(fmt.Errorf("count usage: %w", err))
	}
	return nil
}

// ReportRecorder meters compliance reports: one compliance_reports event
// per report generated, keyed by the report's id, so that a report
// generated again under its id counts once. The compliance service is
// handed one (cmd/opsward passes the ledger's UsageStore) and calls it in
// the transaction that stores the report (tx), or on its own (tx nil).
type ReportRecorder interface {
	ReportGenerated(ctx context.Context, tx batch.Tx, tenantID, reportID string, at time.Time) error
}

var _ ReportRecorder = (*UsageStore)(nil)

// ReportGenerated records a report; see ReportRecorder.
func (s *UsageStore) ReportGenerated(ctx context.Context, tx batch.Tx, tenantID, reportID string, at time.Time) error {
	if reportID == "" {
		return opsward.FieldErrorf("reportId", "a report is metered by its id, and this one has none")
	}
	ev := []UsageEvent{{TenantID: tenantID, Meter: MeterComplianceReports, Key: "report:" + reportID, Quantity: 1, At: at}}
	var err error
	if tx == nil {
		_, err = s.Record(ctx, ev)
	} else {
		_, err = s.RecordTx(ctx, tx, ev)
	}
	return err
}

// CountSQL is the statement that adds, per tenant, the count of the rows
// of a WITH query named added (the rows a bulk write added, on Postgres;
// see batch.AddedSQL) to m's usage of the minute of now, as Tally.AddTx
// adds it: the same key and times, in one statement with the write's.
func (s *UsageStore) CountSQL(m Meter, prefix string, now time.Time) (string, []any) {
	ev := (&Tally{sums: map[tallyKey]int64{{"", m}: 0}}).Events(prefix, now)[0]
	return `INSERT INTO usage_events (tenant_id, meter, idempotency_key, quantity, value, occurred_at, received_at)
		SELECT tenant_id, $1, $2, count(*), '', $3, $3 FROM added GROUP BY tenant_id ORDER BY tenant_id
		ON CONFLICT (tenant_id, meter, idempotency_key) DO UPDATE
		SET quantity = usage_events.quantity + excluded.quantity WHERE usage_events.invoice_id IS NULL`,
		[]any{string(ev.Meter), ev.Key, s.tv(ev.At)}
}
