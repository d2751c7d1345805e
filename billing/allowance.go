package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opsward/opsward/tenants"
)

// WarnThresholds are the shares of an included allowance, in percent, at
// which a customer is warned, once per period.
var WarnThresholds = []int{80, 100}

// AllowanceWarning says that a customer has used Threshold percent or
// more of an included allowance (a component's free units in the price
// version in force) in its open period.
type AllowanceWarning struct {
	TenantID  string
	Meter     Meter
	Threshold int   // 80 or 100
	Used      int64 // the meter's quantity in the period so far, by the component's aggregation
	Included  int64 // the component's free units
	Period    Period
}

// WarnSender queues the notifications of a warning in tx (the outbox of
// the caller's job system), so that they exist if and only if the warning
// is stored as sent.
type WarnSender func(ctx context.Context, tx *sql.Tx, w AllowanceWarning) error

// WarnAllowances compares every customer's usage of its open period with
// the included allowances of its price version in force now and, for each
// threshold reached and not yet warned of in this period, stores the
// warning and has send queue its notifications, in one transaction: a
// warning is sent once per period, meter and threshold, whether the job
// runs again, twice at once, or after a restart. Allowances are the
// version's free units as written, not prorated by a mid-period change.
// It is system work, on the privileged path, and returns the warnings
// sent. A customer whose check fails is logged and skipped.
func (l *Ledger) WarnAllowances(ctx context.Context, now time.Time, send WarnSender) (int, error) {
	pctx := tenants.Privileged(ctx, "billing: allowance warnings")
	ids, err := l.accountIDs(pctx)
	if err != nil {
		return 0, err
	}
	versions := map[string]PriceVersion{}
	sent := 0
	for _, id := range ids {
		ws, err := l.allowanceUse(pctx, id, now, versions)
		if err != nil {
			l.log.ErrorContext(ctx, "allowance warnings: usage", "tenant_id", id, "err", err)
			continue
		}
		for _, w := range ws {
			ok, err := l.warnOnce(pctx, w, now, send)
			if err != nil {
				l.log.ErrorContext(ctx, "allowance warning", "tenant_id", id, "meter", string(w.Meter), "threshold", w.Threshold, "err", err)
				continue
			}
			if ok {
				sent++
			}
		}
	}
	return sent, nil
}

// allowanceUse lists the thresholds a tenant has reached in its open
// period, for every component of its version in force with free units.
func (l *Ledger) allowanceUse(ctx context.Context, tenantID string, now time.Time, versions map[string]PriceVersion) ([]AllowanceWarning, error) {
	acc, err := l.account(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	phases, err := l.phases(ctx, l.db, acc, versions)
	if err != nil {
		return nil, err
	}
	var v *PriceVersion
	for i := range phases {
		if !phases[i].From.After(now) {
			v = &phases[i].Version
		}
	}
	if v == nil {
		return nil, nil
	}
	p := PeriodAt(acc.Anchor, acc.Interval, now)
	var out []AllowanceWarning
	for _, c := range v.Components {
		if c.FreeUnits <= 0 {
			continue
		}
		used, err := l.usage.aggregate(ctx, tenantID, c.Meter, c.Aggregation, p.Start, p.End)
		if err != nil {
			return nil, err
		}
		for _, th := range WarnThresholds {
			// used and FreeUnits are at most 2^52: the products fit.
			if used*100 >= c.FreeUnits*int64(th) {
				out = append(out, AllowanceWarning{TenantID: tenantID, Meter: c.Meter, Threshold: th,
					Used: used, Included: c.FreeUnits, Period: p})
			}
		}
	}
	return out, nil
}

// warnOnce stores w and queues its notifications in one transaction,
// unless it was stored before; it reports whether it was sent now.
func (l *Ledger) warnOnce(ctx context.Context, w AllowanceWarning, now time.Time, send WarnSender) (bool, error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return false, storeErr(err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, l.q(`INSERT INTO usage_warnings (tenant_id, period_start, meter, threshold, used, included, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, period_start, meter, threshold) DO NOTHING`),
		w.TenantID, l.tv(w.Period.Start), string(w.Meter), w.Threshold, w.Used, w.Included, l.tv(now))
	if err != nil {
		return false, storeErr(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, storeErr(err) // warned before (or concurrently)
	}
	if err := send(ctx, tx, w); err != nil {
		return false, fmt.Errorf("queue the warning's notifications: %w", err)
	}
	return true, storeErr(tx.Commit())
}

// aggregate is a meter's quantity over a tenant's events in [from, to) by
// agg, computed in the database (Aggregate's result on the same events).
func (s *UsageStore) aggregate(ctx context.Context, tenantID string, m Meter, agg Aggregation, from, to time.Time) (int64, error) {
	var expr string
	switch agg {
	case AggSum:
		expr = "coalesce(sum(quantity), 0)"
	case AggCount:
		expr = "count(*)"
	case AggMax:
		expr = "coalesce(max(quantity), 0)"
	case AggUniqueCount:
		expr = "count(DISTINCT value)"
	case AggLatest:
		var q int64
		err := s.db.QueryRowContext(ctx, s.q(`SELECT quantity FROM usage_events
			WHERE tenant_id = ? AND meter = ? AND occurred_at >= ? AND occurred_at < ?
			ORDER BY occurred_at DESC, idempotency_key DESC LIMIT 1`), tenantID, string(m), s.tv(from), s.tv(to)).Scan(&q)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return q, storeErr(err)
	default:
		return 0, fmt.Errorf("aggregation %q is unknown", agg)
	}
	var q int64
	err := s.db.QueryRowContext(ctx, s.q("SELECT "+expr+` FROM usage_events
		WHERE tenant_id = ? AND meter = ? AND occurred_at >= ? AND occurred_at < ?`), tenantID, string(m), s.tv(from), s.tv(to)).Scan(&q)
	return q, storeErr(err)
}
