package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
)

func TestChangePlanWithPreview(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
		now := start.Add(10 * 24 * time.Hour) // a third of April
		led, err := billing.NewLedger(e.pdb, billing.LedgerConfig{Clock: func() time.Time { return now }}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := led.EnsureDefaultBook(ctx, e.provider.ID); err != nil {
			t.Fatal(err)
		}
		msp := as(e.provider, opsward.RoleOwner)
		book, _ := led.PriceBook(msp, e.provider.ID)
		ids := map[string]string{}
		for _, v := range book {
			ids[v.PlanID] = v.ID
		}
		usd, err := led.AddPriceVersion(msp, "US", billing.PriceVersion{PlanID: "us", Currency: "USD", Interval: billing.Monthly, BaseFee: 100})
		if err != nil {
			t.Fatal(err)
		}
		if err := led.OpenAccount(ctx, e.custA.ID, e.provider.ID, ids[billing.PlanEssentials], start, billing.Terms{}); err != nil {
			t.Fatal(err)
		}
		owner := as(e.custA, opsward.RoleOwner)
		up := billing.ChangeRequest{TenantID: e.custA.ID, VersionID: ids[billing.PlanProfessional]}
		pv, err := led.PreviewChange(owner, up)
		if err != nil {
			t.Fatal(err)
		}
		// Essentials 4,900 for a third, professional 29,900 for two
		// thirds: 1,633 + 19,933 = 21,566, which is 16,666 more.
		if !pv.Upgrade || !pv.EffectiveAt.Equal(now) || pv.Delta != 16666 || len(pv.Lines) != 2 {
			t.Fatalf("preview %+v", pv)
		}
		if _, err := led.PreviewChange(as(e.custB, opsward.RoleOwner), up); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Errorf("B previewed A's change: %v", err)
		}
		if _, err := led.ChangePlan(owner, billing.ChangeRequest{TenantID: e.custA.ID, VersionID: usd.ID}); opsward.ErrorField(err) != "versionId" {
			t.Errorf("currency mismatch: %v", err)
		}
		done, err := led.ChangePlan(owner, up)
		if err != nil || done.Delta != pv.Delta {
			t.Fatalf("change %+v, %v", done, err)
		}
		// Too many monitors for essentials: refused, nothing written.
		led.SetMonitorCounter(func(context.Context, string) (int, error) { return 60, nil })
		down := billing.ChangeRequest{TenantID: e.custA.ID, VersionID: ids[billing.PlanEssentials]}
		_, err = led.ChangePlan(owner, down)
		if opsward.ErrorCode(err) != opsward.ELIMIT || opsward.ErrorField(err) != "versionId" {
			t.Fatalf("downgrade over the monitor limit: %v", err)
		}
		led.SetMonitorCounter(func(context.Context, string) (int, error) { return 10, nil })
		d, err := led.ChangePlan(owner, down)
		if err != nil {
			t.Fatal(err)
		}
		if d.Upgrade || !d.EffectiveAt.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) || d.Delta != 0 {
			t.Errorf("a downgrade waits for the period's end: %+v", d)
		}
		// The April invoice: essentials then professional, prorated.
		now = time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)
		if n, err := led.CloseDue(ctx, now); err != nil || n != 1 {
			t.Fatalf("close %d, %v", n, err)
		}
		invs, err := led.Invoices(owner, e.custA.ID)
		if err != nil || len(invs) != 1 {
			t.Fatalf("%d invoices, %v", len(invs), err)
		}
		var prorated int64
		for _, l := range invs[0].Lines {
			if l.Kind == billing.LineProration {
				prorated += l.Amount
			}
		}
		if prorated != 21566 {
			t.Errorf("prorated base fees %d, want 21566: %+v", prorated, invs[0].Lines)
		}
	})
}
