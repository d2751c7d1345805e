package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/subscription"
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
		bill := billing.New(e.client, e.tenants, nil)
		bill.SetLedger(led)
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
		if _, err := bill.ChangePriceVersion(owner, billing.ChangeRequest{TenantID: e.custA.ID, VersionID: usd.ID}); opsward.ErrorField(err) != "versionId" {
			t.Errorf("currency mismatch: %v", err)
		}
		done, err := bill.ChangePriceVersion(owner, up)
		if err != nil || done.Delta != pv.Delta {
			t.Fatalf("change %+v, %v", done, err)
		}
		// Too many monitors for essentials: refused, nothing written.
		led.SetMonitorCounter(func(context.Context, string) (int, error) { return 60, nil })
		down := billing.ChangeRequest{TenantID: e.custA.ID, VersionID: ids[billing.PlanEssentials]}
		_, err = bill.ChangePriceVersion(owner, down)
		if opsward.ErrorCode(err) != opsward.ELIMIT || opsward.ErrorField(err) != "versionId" {
			t.Fatalf("downgrade over the monitor limit: %v", err)
		}
		led.SetMonitorCounter(func(context.Context, string) (int, error) { return 10, nil })
		d, err := bill.ChangePriceVersion(owner, down)
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

// TestEntitlementsFollowThePriceBook: with the ledger, a new customer gets
// an account on the default plan in its creating transaction, its limits
// are those of the price version in force, and a plan change moves the
// account, the limits, the queue policy and the subscription row together.
func TestEntitlementsFollowThePriceBook(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		now := time.Now().UTC().Truncate(time.Second)
		led, err := billing.NewLedger(e.pdb, billing.LedgerConfig{Clock: func() time.Time { return now }}, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.bill.SetLedger(led)
		if n, err := led.EnsureDefaultBook(ctx, e.provider.ID); err != nil || n != 3 {
			t.Fatalf("default book: %d, %v", n, err)
		}
		var heard []billing.Plan
		e.bill.OnPlanChange(func(_ context.Context, tenantID string, p billing.Plan) { heard = append(heard, p) })
		msp := as(e.provider, opsward.RoleOwner)
		cust := e.mustCreate(t, msp, e.provider.ID, "initech")
		org := e.mustCreate(t, as(cust, opsward.RoleAdmin), cust.ID, "initech-eu")
		v, ok, err := led.InForce(ctx, cust.ID, now)
		if err != nil || !ok || v.PlanID != billing.PlanEssentials || v.Version != 1 {
			t.Fatalf("account on creation: %+v ok=%v %v", v, ok, err)
		}
		if _, ok, _ := led.InForce(ctx, org.ID, now); ok {
			t.Error("an organization got an account of its own")
		}
		lim, err := e.bill.Limits(as(org, opsward.RoleViewer), org.ID)
		if err != nil || lim.MaxMonitors != 50 || lim.ID != billing.PlanEssentials {
			t.Fatalf("organization's limits %+v, %v", lim, err)
		}

		// The provider prices professional anew with other limits.
		limits := billing.Plan{MaxMonitors: 777, MinInterval: 45 * time.Second, Weight: 5, MaxConcurrency: 9,
			RetentionDays: 60, EventsPerSecond: 600, BytesPerDay: 1 << 30}
		bad := limits
		bad.Weight = 0
		if _, err := led.AddPriceVersion(msp, "Professional", billing.PriceVersion{PlanID: billing.PlanProfessional,
			Currency: "EUR", Interval: billing.Monthly, BaseFee: 31000, Limits: &bad}); opsward.ErrorField(err) != "limits.weight" {
			t.Fatalf("weight 0 accepted: %v", err)
		}
		v2, err := led.AddPriceVersion(msp, "Professional", billing.PriceVersion{PlanID: billing.PlanProfessional,
			Currency: "EUR", Interval: billing.Monthly, BaseFee: 31000, Limits: &limits})
		if err != nil || v2.Version != 2 {
			t.Fatalf("version 2: %+v, %v", v2, err)
		}
		owner := as(cust, opsward.RoleOwner)
		sub, err := e.bill.ChangePlan(owner, cust.ID, billing.PlanProfessional)
		if err != nil {
			t.Fatal(err)
		}
		if sub.VersionID != v2.ID || sub.Plan.MaxMonitors != 777 || sub.Plan.MonthlyPrice != 31000 || sub.Status != "active" {
			t.Fatalf("after the change: %+v", sub)
		}
		if len(heard) != 2 || heard[0].MaxMonitors != 777 || heard[0].Weight != 5 {
			t.Fatalf("listeners heard %+v, want the new limits for the customer and its organization", heard)
		}
		if lim, _ := e.bill.Limits(as(org, opsward.RoleViewer), org.ID); lim.MaxMonitors != 777 || lim.MinInterval != 45*time.Second {
			t.Errorf("organization's limits after the change %+v", lim)
		}
		row, err := e.client.Subscription.Query().Where(subscription.TenantID(cust.ID)).Only(system)
		if err != nil || row.Plan != billing.PlanProfessional {
			t.Fatalf("subscription row %+v, %v", row, err)
		}
		audited, err := e.client.AuditEntry.Query().Where(auditentry.TenantID(cust.ID), auditentry.Action("billing.plan_change"),
			auditentry.TargetID(v2.ID)).Count(system)
		if err != nil || audited != 1 {
			t.Errorf("audit entries %d, %v", audited, err)
		}
		policies := map[string]billing.Plan{}
		if err := e.bill.Policies(ctx, func(id string, p billing.Plan) error { policies[id] = p; return nil }); err != nil {
			t.Fatal(err)
		}
		if policies[cust.ID].Weight != 5 || policies[org.ID].MaxConcurrency != 9 || policies[e.custB.ID].ID != billing.PlanEssentials {
			t.Errorf("policies %+v", policies)
		}

		// A downgrade waits for the period's end; the limits follow then.
		var ess string
		book, _ := led.PriceBook(msp, e.provider.ID)
		for _, b := range book {
			if b.PlanID == billing.PlanEssentials {
				ess = b.ID
			}
		}
		heard = nil
		pv, err := e.bill.ChangePriceVersion(owner, billing.ChangeRequest{TenantID: cust.ID, VersionID: ess})
		if err != nil || pv.Upgrade || !pv.EffectiveAt.After(now) {
			t.Fatalf("downgrade %+v, %v", pv, err)
		}
		if lim, _ := e.bill.Limits(owner, cust.ID); lim.MaxMonitors != 777 || len(heard) != 0 {
			t.Errorf("a scheduled downgrade changed the limits now: %+v, heard %d", lim, len(heard))
		}
		now = pv.EffectiveAt
		if lim, _ := e.bill.Limits(owner, cust.ID); lim.MaxMonitors != 50 {
			t.Errorf("limits once the downgrade started: %+v", lim)
		}
		if _, err := e.bill.ChangePriceVersion(as(e.custB, opsward.RoleOwner), billing.ChangeRequest{TenantID: cust.ID, VersionID: v2.ID}); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Errorf("another customer changed initech's plan: %v", err)
		}
	})
}
