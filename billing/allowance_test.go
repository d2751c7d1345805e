package billing_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/tenants"
)

// A customer is warned once at 80% and once at 100% of each included
// allowance per period: not again when the job runs again, twice at once,
// or on a new ledger (a restart); a warning whose notifications could not
// be queued is not stored, and is sent on the next run.
func TestAllowanceWarnings(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		led := newLedger(t, e)
		msp := as(e.provider, opsward.RoleOwner)
		v, err := led.AddPriceVersion(msp, "Metered", billing.PriceVersion{PlanID: "metered", Currency: "EUR", Interval: billing.Monthly, BaseFee: 1000,
			Components: []billing.Component{
				{Meter: billing.MeterCheckRuns, Aggregation: billing.AggSum, Model: billing.ModelPerUnit, Unit: billing.Price{Amount: 1, Per: 100}, FreeUnits: 1000},
				{Meter: billing.MeterSecurityEvents, Aggregation: billing.AggSum, Model: billing.ModelPerUnit, Unit: billing.Price{Amount: 1, Per: 10}, FreeUnits: 50},
				{Meter: billing.MeterAssets, Aggregation: billing.AggLatest, Model: billing.ModelPerUnit, Unit: billing.Price{Amount: 100, Per: 1}},
			}})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		if err := led.OpenAccount(ctx, e.custA.ID, e.provider.ID, v.ID, now.Add(-24*time.Hour), billing.Terms{}); err != nil {
			t.Fatal(err)
		}
		sys := tenants.Privileged(ctx, "test: the batch writers")
		var recorded []billing.UsageEvent
		n := 0
		rec := func(m billing.Meter, q int64) {
			t.Helper()
			n++
			ev := billing.UsageEvent{TenantID: e.custA.ID, Meter: m, Key: fmt.Sprintf("k%d", n), Quantity: q, At: now.Add(-time.Hour)}
			if _, err := led.Usage().Record(sys, []billing.UsageEvent{ev}); err != nil {
				t.Fatal(err)
			}
			recorded = append(recorded, ev)
		}
		var mu sync.Mutex
		var sent []billing.AllowanceWarning
		failing := false
		send := func(_ context.Context, tx *sql.Tx, w billing.AllowanceWarning) error {
			if failing {
				return errors.New("the outbox is down")
			}
			mu.Lock()
			defer mu.Unlock()
			sent = append(sent, w)
			return nil
		}
		run := func(l *billing.Ledger, want int) {
			t.Helper()
			got, err := l.WarnAllowances(ctx, now, send)
			if err != nil || got != want {
				t.Fatalf("WarnAllowances = %d, %v; want %d", got, err, want)
			}
		}
		// used is the test's own sum of what was recorded of a meter.
		used := func(m billing.Meter) int64 {
			var s int64
			for _, ev := range recorded {
				if ev.Meter == m {
					s += ev.Quantity
				}
			}
			return s
		}
		rec(billing.MeterCheckRuns, 700)
		rec(billing.MeterAssets, 3)
		run(led, 0)
		rec(billing.MeterCheckRuns, 100) // 80%
		failing = true
		run(led, 0)
		failing = false
		run(led, 1)
		run(led, 0)
		if w := sent[0]; w.Meter != billing.MeterCheckRuns || w.Threshold != 80 || w.Used != used(billing.MeterCheckRuns) || w.Included != 1000 {
			t.Errorf("first warning %+v, want check_runs at 80%% with %d of 1000 used", w, used(billing.MeterCheckRuns))
		}
		rec(billing.MeterCheckRuns, 250) // 105%
		run(led, 1)
		if w := sent[1]; w.Threshold != 100 || w.Used != 1050 {
			t.Errorf("second warning %+v, want 100%% with 1050 used", w)
		}
		// A new ledger on the same database (a restart) sends nothing again.
		led2 := newLedger(t, e)
		run(led2, 0)
		// Both thresholds of another meter at once, from two runs at the
		// same time: each sent once.
		rec(billing.MeterSecurityEvents, 60)
		var wg sync.WaitGroup
		total := make([]int, 2)
		for i, l := range []*billing.Ledger{led, led2} {
			wg.Go(func() {
				n, err := l.WarnAllowances(ctx, now, send)
				if err != nil {
					t.Error(err)
				}
				total[i] = n
			})
		}
		wg.Wait()
		if total[0]+total[1] != 2 || len(sent) != 4 {
			t.Fatalf("concurrent runs sent %d+%d warnings (%d in all), want 2 (4 in all)", total[0], total[1], len(sent))
		}
		for _, w := range sent[2:] {
			if w.Meter != billing.MeterSecurityEvents || w.Used != 60 || w.Included != 50 {
				t.Errorf("warning %+v, want security_events with 60 of 50 used", w)
			}
		}
		// Another customer without an account, and usage of the next
		// period, send nothing now.
		run(led, 0)
	})
}

// newLedger is a ledger on the env's database with the default settings.
func newLedger(t *testing.T, e *env) *billing.Ledger {
	t.Helper()
	led, err := billing.NewLedger(e.pdb, billing.LedgerConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return led
}
