package billing_test

import (
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/tenants"
)

func TestPeriodClose(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		led, err := billing.NewLedger(e.pdb, billing.LedgerConfig{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := led.EnsureDefaultBook(ctx, e.provider.ID); err != nil || n != 3 {
			t.Fatalf("default book: %d, %v", n, err)
		}
		if n, err := led.EnsureDefaultBook(ctx, e.provider.ID); err != nil || n != 0 {
			t.Fatalf("default book again: %d, %v", n, err)
		}
		msp := as(e.provider, opsward.RoleOwner)
		custom := billing.PriceVersion{PlanID: "acme-contract", Currency: "EUR", Interval: billing.Monthly, BaseFee: 10000,
			Components: []billing.Component{{Meter: billing.MeterCheckRuns, Aggregation: billing.AggSum, Model: billing.ModelGraduated,
				Tiers: []billing.Tier{{UpTo: 100, Unit: billing.Price{Amount: 0, Per: 1}}, {Unit: billing.Price{Amount: 1, Per: 10}}}}}}
		if _, err := led.AddPriceVersion(as(e.custA, opsward.RoleOwner), "Acme", custom); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Errorf("a customer edited the price book: %v", err)
		}
		v1, err := led.AddPriceVersion(msp, "Acme contract", custom)
		if err != nil {
			t.Fatal(err)
		}
		custom.BaseFee = 12000
		v2, err := led.AddPriceVersion(msp, "Acme contract", custom)
		if err != nil || v2.Version != 2 || v1.Version != 1 {
			t.Fatalf("versions %d, %d, %v", v1.Version, v2.Version, err)
		}
		usd := custom
		usd.Currency = "USD"
		if _, err := led.AddPriceVersion(msp, "Acme contract", usd); opsward.ErrorField(err) != "currency" {
			t.Errorf("currency change: %v", err)
		}
		book, err := led.PriceBook(msp, e.provider.ID)
		if err != nil || len(book) != 5 {
			t.Fatalf("book %d versions, %v", len(book), err)
		}
		var essentials string
		for _, v := range book {
			if v.PlanID == billing.PlanEssentials {
				essentials = v.ID
			}
		}
		start := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		if err := led.OpenAccount(ctx, e.custA.ID, e.provider.ID, v1.ID, start, billing.Terms{TaxBP: 2000}); err != nil {
			t.Fatal(err)
		}
		if err := led.OpenAccount(ctx, e.custB.ID, e.provider.ID, essentials, start, billing.Terms{}); err != nil {
			t.Fatal(err)
		}
		end1 := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
		sys := tenants.Privileged(ctx, "test: the batch writers")
		rec := func(key string, q int64, at, received time.Time) {
			t.Helper()
			if _, err := led.Usage().Record(sys, []billing.UsageEvent{{TenantID: e.custA.ID, Meter: billing.MeterCheckRuns,
				Key: key, Quantity: q, At: at, ReceivedAt: received}}); err != nil {
				t.Fatal(err)
			}
		}
		rec("a", 600, start.Add(time.Hour), start.Add(time.Hour))
		rec("a", 600, start.Add(time.Hour), start.Add(time.Hour))       // twice: once
		rec("b", 500, end1.Add(-time.Minute), end1.Add(30*time.Minute)) // inside the grace
		rec("c", 1000, end1.Add(-time.Minute), end1.Add(3*time.Hour))   // late: the next invoice
		rec("d", 50, end1.Add(time.Minute), end1.Add(time.Minute))      // the next period

		if n, err := led.CloseDue(ctx, end1.Add(30*time.Minute)); err != nil || n != 0 {
			t.Fatalf("closed %d inside the grace period (%v)", n, err)
		}
		if n, err := led.CloseDue(ctx, end1.Add(2*time.Hour)); err != nil || n != 2 {
			t.Fatalf("closed %d, want 2 (%v)", n, err)
		}
		if n, err := led.CloseDue(ctx, end1.Add(2*time.Hour)); err != nil || n != 0 {
			t.Fatalf("closed %d again (%v)", n, err)
		}
		end2 := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
		if n, err := led.CloseDue(ctx, end2.Add(2*time.Hour)); err != nil || n != 2 {
			t.Fatalf("second close %d (%v)", n, err)
		}
		invs, err := led.Invoices(as(e.custA, opsward.RoleBilling), e.custA.ID)
		if err != nil || len(invs) != 2 {
			t.Fatalf("invoices of A: %d, %v", len(invs), err)
		}
		first, second := invs[1], invs[0]
		// 1,100 check runs, 100 free by the first tier, 1,000 at 0.1 cent:
		// 100 cents; base 10,000; tax 20 % of 10,100.
		if first.Subtotal != 10100 || first.Tax != 2020 || first.Total != 12120 || first.Status != billing.StatusFinalized {
			t.Errorf("first invoice %+v", first.Draft)
		}
		// The late 1,000 runs are charged on the second invoice at the
		// first period's tiers (100 cents), beside its own 50 runs (free).
		var late int64
		for _, l := range second.Lines {
			if l.Kind == billing.LineLateUsage {
				late += l.Amount
				if !l.Late || l.Quantity != 1000 {
					t.Errorf("late line %+v", l)
				}
			}
		}
		if late != 100 || second.Subtotal != 10100 {
			t.Errorf("second invoice: late %d, subtotal %d; lines %+v", late, second.Subtotal, second.Lines)
		}
		// Numbers are sequential per provider, without gaps.
		seen := map[int64]bool{}
		for _, tn := range []string{e.custA.ID, e.custB.ID} {
			is, err := led.Invoices(msp, tn)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range is {
				seen[i.Number] = true
			}
		}
		for n := int64(1); n <= 4; n++ {
			if !seen[n] {
				t.Errorf("invoice number %d is missing: %v", n, seen)
			}
		}
		// A customer sees only its own.
		if _, err := led.Invoices(as(e.custB, opsward.RoleOwner), e.custA.ID); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Errorf("B read A's invoices: %v", err)
		}
		if err := led.SetStatus(as(e.custA, opsward.RoleOwner), e.custA.ID, first.ID, billing.StatusPaid); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Errorf("a customer marked its invoice paid: %v", err)
		}
		if err := led.SetStatus(msp, e.custA.ID, first.ID, billing.StatusPaid); err != nil {
			t.Fatal(err)
		}
		if err := led.SetStatus(msp, e.custA.ID, first.ID, billing.StatusVoid); opsward.ErrorCode(err) != opsward.ECONFLICT {
			t.Errorf("a paid invoice was voided: %v", err)
		}
	})
}

func TestCreditNotes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		led, err := billing.NewLedger(e.pdb, billing.LedgerConfig{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := led.EnsureDefaultBook(ctx, e.provider.ID); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := led.EnsureAccount(ctx, e.custA.ID, e.provider.ID, billing.PlanEssentials, start); err != nil {
			t.Fatal(err)
		}
		if n, err := led.CloseDue(ctx, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)); err != nil || n != 2 {
			t.Fatalf("closed %d, %v", n, err)
		}
		msp := as(e.provider, opsward.RoleOwner)
		invs, _ := led.Invoices(msp, e.custA.ID)
		jan, feb := invs[1], invs[0]
		if jan.Total != 4900 {
			t.Fatalf("January %+v", jan.Draft)
		}
		if _, err := led.IssueCreditNote(as(e.custA, opsward.RoleOwner), e.custA.ID, jan.ID, 100, "goodwill"); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Errorf("a customer credited itself: %v", err)
		}
		if _, err := led.IssueCreditNote(msp, e.custA.ID, jan.ID, 4901, "too much"); opsward.ErrorField(err) != "amount" {
			t.Errorf("credit above the total: %v", err)
		}
		if _, err := led.IssueCreditNote(msp, e.custA.ID, jan.ID, 900, "outage on 3 January"); err != nil {
			t.Fatal(err)
		}
		if err := led.SetStatus(msp, e.custA.ID, feb.ID, billing.StatusPaid); err != nil {
			t.Fatal(err)
		}
		if _, err := led.IssueCreditNote(msp, e.custA.ID, feb.ID, 1000, "outage in February"); err != nil {
			t.Fatal(err)
		}
		if _, err := led.IssueCreditNote(msp, e.custA.ID, jan.ID, 4001, "again"); opsward.ErrorField(err) != "amount" {
			t.Errorf("credits above the total together: %v", err)
		}
		invs, _ = led.Invoices(msp, e.custA.ID)
		if invs[1].Credited != 900 || invs[0].Credited != 1000 {
			t.Errorf("credited %d and %d", invs[1].Credited, invs[0].Credited)
		}
		// The paid invoice's credit is applied to the next one.
		if n, err := led.CloseDue(ctx, time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC)); err != nil || n != 1 {
			t.Fatalf("closed %d, %v", n, err)
		}
		invs, _ = led.Invoices(msp, e.custA.ID)
		if mar := invs[0]; mar.Credit != 1000 || mar.Total != 3900 {
			t.Errorf("March credit %d total %d, want 1000 and 3900", mar.Credit, mar.Total)
		}
	})
}
