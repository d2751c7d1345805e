package results

import (
	"context"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/batch"
)

// Meter has every write of results meter check_runs into u, in the
// write's transaction: one per result the write added (a result stored
// before is not among them, so it counts once), added to each tenant's
// usage of the minute (see billing.Tally). On Postgres the Writer's
// batches do it in the statement that stores the results (CountSQL);
// elsewhere through MeterCheckRuns. nil stops metering.
func (s *Store) Meter(u *billing.UsageStore) {
	if u == nil {
		s.rows.OnAdded(nil)
		s.rows.OnAddedSQL(nil)
		return
	}
	s.rows.OnAdded(MeterCheckRuns(u))
	s.rows.OnAddedSQL(func() (string, []any) { return u.CountSQL(billing.MeterCheckRuns, checkRunsKey, time.Now()) })
}

// checkRunsKey prefixes the keys of check_runs usage events.
const checkRunsKey = "checks"

// MeterCheckRuns is the OnAdded work that meters the results a write
// added into c (see Meter).
func MeterCheckRuns(c billing.UsageCounter) batch.Added[Result] {
	return func(ctx context.Context, tx batch.Tx, added []Result) error {
		var t billing.Tally
		for i := range added {
			t.Add(added[i].TenantID, billing.MeterCheckRuns, 1)
		}
		return t.AddTx(ctx, c, tx, checkRunsKey, time.Now())
	}
}
