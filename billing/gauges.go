package billing

import (
	"context"
	"time"

	"github.com/opsward/opsward/tenants"
)

// GaugeFunc reads one gauge of a billing account (a customer and its
// organizations) now.
type GaugeFunc func(ctx context.Context, accountID string) (int64, error)

// Gauges are the readers of the gauge meters, wired in by cmd/opsward
// from the services' public counters (billing imports no service). A nil
// reader is not sampled.
type Gauges struct {
	ActiveMonitors   GaugeFunc
	Assets           GaugeFunc
	StoredEventBytes GaugeFunc
	// Seats lists the users of an account; each is one event a day with
	// the user as its value (the seats meter counts them unique).
	Seats func(ctx context.Context, accountID string) ([]string, error)
}

// SampleGauges records one sample of each gauge for every billing
// account, keyed by meter and UTC hour of now (seats: by UTC day and
// user), so that sampling again within the hour, or from two schedulers at
// once, records nothing twice: the first sample of the hour stands. An
// account whose reading fails is logged and skipped. It is system work,
// on the privileged path, and returns the events recorded.
func (l *Ledger) SampleGauges(ctx context.Context, now time.Time, g Gauges) (int64, error) {
	pctx := tenants.Privileged(ctx, "billing: gauge samples")
	ids, err := l.accountIDs(pctx)
	if err != nil {
		return 0, err
	}
	now = now.UTC()
	hour, day := now.Format("2006010215"), now.Format("20060102")
	gauges := []struct {
		m  Meter
		fn GaugeFunc
	}{{MeterActiveMonitors, g.ActiveMonitors}, {MeterAssets, g.Assets}, {MeterStoredEventBytes, g.StoredEventBytes}}
	var total int64
	for _, id := range ids {
		var evs []UsageEvent
		failed := false
		for _, x := range gauges {
			if x.fn == nil {
				continue
			}
			q, err := x.fn(pctx, id)
			if err != nil {
				l.log.ErrorContext(ctx, "gauge sample", "tenant_id", id, "meter", string(x.m), "err", err)
				failed = true
				break
			}
			evs = append(evs, UsageEvent{TenantID: id, Meter: x.m, Key: string(x.m) + ":" + hour, Quantity: q, At: now})
		}
		if g.Seats != nil && !failed {
			users, err := g.Seats(pctx, id)
			if err != nil {
				l.log.ErrorContext(ctx, "gauge sample", "tenant_id", id, "meter", string(MeterSeats), "err", err)
				failed = true
			}
			for _, u := range users {
				evs = append(evs, UsageEvent{TenantID: id, Meter: MeterSeats, Key: "seats:" + day + ":" + u, Quantity: 1, Value: u, At: now})
			}
		}
		if failed {
			continue
		}
		n, err := l.usage.Record(pctx, evs)
		if err != nil {
			l.log.ErrorContext(ctx, "gauge sample", "tenant_id", id, "err", err)
			continue
		}
		total += n
	}
	return total, nil
}

// accountIDs lists the tenants with a billing account, in order.
func (l *Ledger) accountIDs(ctx context.Context) ([]string, error) {
	rows, err := l.db.QueryContext(ctx, "SELECT tenant_id FROM billing_accounts ORDER BY tenant_id")
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, storeErr(err)
		}
		ids = append(ids, id)
	}
	return ids, storeErr(rows.Err())
}
