package main

import (
	"context"
	"fmt"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/tenants"
)

// seedBilling gives each customer billing objects for the cross-tenant
// suite: the default price book, an account that started two months ago
// (so that its periods closed into invoices, one of them with late usage)
// and usage of the open period.
func seedBilling(ctx context.Context, m *Main, providerID string, customers ...string) error {
	if _, err := m.Ledger.EnsureDefaultBook(ctx, providerID); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	start := now.AddDate(0, -2, -1)
	sys := tenants.Privileged(ctx, "cross-tenant test: billing seeds")
	for _, c := range customers {
		// The customer's account opened with it, today; the seed bills
		// it from two months back instead.
		for _, q := range []string{"DELETE FROM subscription_phases WHERE tenant_id = $1", "DELETE FROM billing_accounts WHERE tenant_id = $1"} {
			if _, err := m.DB.DB.ExecContext(sys, q, c); err != nil {
				return err
			}
		}
		if _, err := m.Ledger.EnsureAccount(ctx, c, providerID, billing.PlanProfessional, start); err != nil {
			return err
		}
		var evs []billing.UsageEvent
		for i := range 40 {
			at := start.Add(time.Duration(i) * 36 * time.Hour)
			evs = append(evs, billing.UsageEvent{TenantID: c, Meter: billing.Meters()[i%len(billing.Meters())],
				Key: fmt.Sprintf("seed-%d", i), Quantity: int64(1 + i), Value: fmt.Sprintf("usr-%d", i%3), At: at, ReceivedAt: at})
		}
		if _, err := m.Ledger.Usage().Record(sys, evs); err != nil {
			return err
		}
	}
	_, err := m.Ledger.CloseDue(ctx, now)
	return err
}
