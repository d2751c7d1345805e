package billing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/tenants"
)

// Gauges are sampled once per account, meter and hour (seats once per user
// and day), whatever the number of runs; a failing reader skips only its
// account.
func TestSampleGauges(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		led := newLedger(t, e)
		if _, err := led.EnsureDefaultBook(ctx, e.provider.ID); err != nil {
			t.Fatal(err)
		}
		start := time.Now().UTC().Add(-48 * time.Hour)
		for _, c := range []string{e.custA.ID, e.custB.ID} {
			if _, err := led.EnsureAccount(ctx, c, e.provider.ID, billing.DefaultPlan, start); err != nil {
				t.Fatal(err)
			}
		}
		monitors := map[string]int64{e.custA.ID: 7, e.custB.ID: 2}
		g := billing.Gauges{
			ActiveMonitors: func(_ context.Context, id string) (int64, error) { return monitors[id], nil },
			Assets: func(_ context.Context, id string) (int64, error) {
				if id == e.custB.ID {
					return 0, errors.New("assets unreadable")
				}
				return 3, nil
			},
			StoredEventBytes: func(context.Context, string) (int64, error) { return 4096, nil },
			Seats:            func(context.Context, string) ([]string, error) { return []string{"usr_1", "usr_2"}, nil },
		}
		now := time.Now().UTC().Truncate(time.Hour).Add(10 * time.Minute)
		// Account A: three gauges and two seats; account B fails whole.
		if n, err := led.SampleGauges(ctx, now, g); err != nil || n != 5 {
			t.Fatalf("first sample: %d, %v; want 5 events", n, err)
		}
		monitors[e.custA.ID] = 9
		if n, err := led.SampleGauges(ctx, now.Add(20*time.Minute), g); err != nil || n != 0 {
			t.Fatalf("a second sample in the hour: %d, %v; want 0", n, err)
		}
		monitors[e.custA.ID] = 5
		if n, err := led.SampleGauges(ctx, now.Add(-time.Hour), g); err != nil || n != 3 {
			t.Fatalf("the hour before: %d, %v; want 3 (seats counted for the day already)", n, err)
		}
		// What the ledger reads: the first sample of each hour, once.
		hist := func(id string) map[billing.Meter]billing.DailyUsage {
			t.Helper()
			h, err := led.UsageHistory(tenants.Privileged(ctx, "test"), id, now.Add(-24*time.Hour), now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			out := map[billing.Meter]billing.DailyUsage{}
			for _, d := range h {
				x := out[d.Meter]
				x.Events += d.Events
				x.Max = max(x.Max, d.Max)
				out[d.Meter] = x
			}
			return out
		}
		a := hist(e.custA.ID)
		if m := a[billing.MeterActiveMonitors]; m.Events != 2 || m.Max != 7 {
			t.Errorf("active monitors: %d samples, max %d; want 2 and 7 (the first sample of the hour stands, not the 9 after it)", m.Events, m.Max)
		}
		if s := a[billing.MeterSeats]; s.Events != 2 {
			t.Errorf("seats: %d events, want 2 (one per user and day)", s.Events)
		}
		if b := hist(e.custB.ID); len(b) != 0 {
			t.Errorf("account B, whose reading failed, has usage %v, want none", b)
		}
	})
}
