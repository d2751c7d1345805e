package main

import (
	"context"
	"fmt"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent/subscription"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/tenants"
)

// openLedger makes the billing ledger and registers the period-close job.
// It runs after the NOC, whose monitor count gates plan changes.
func (m *Main) openLedger(context.Context) error {
	led, err := billing.NewLedger(m.DB, billing.LedgerConfig{Grace: m.Config.BillingGrace}, m.Logger)
	if err != nil {
		return fmt.Errorf("billing: %v", err)
	}
	m.Ledger = led
	if m.NOC != nil {
		led.SetMonitorCounter(m.NOC.CountMonitors)
	}
	dispatch.AddWorkerFunc(m.Workers, m.closeBillingPeriods)
	return nil
}

// CloseBillingPeriodsArgs is the job that closes every billing period
// past its grace period. The scheduler enqueues it every few minutes,
// deduplicated while one is pending; closing is idempotent (one invoice
// per customer and period), so a retry or a second scheduler is harmless.
type CloseBillingPeriodsArgs struct{}

func (CloseBillingPeriodsArgs) Kind() string { return "billing.close_periods" }

// closeBillingPeriods writes the default price book if the provider has
// none, opens an account for each customer that has none (on its
// subscription's plan, anchored at the customer's creation), and closes
// what is due.
func (m *Main) closeBillingPeriods(ctx context.Context, _ *dispatch.Job[CloseBillingPeriodsArgs]) error {
	pctx := tenants.Privileged(ctx, "billing: period close")
	root, err := m.Client.Tenant.Query().Where(tenant.KindEQ(tenant.KindProvider)).First(pctx)
	if err != nil {
		return err
	}
	if _, err := m.Ledger.EnsureDefaultBook(ctx, root.ID); err != nil {
		return err
	}
	custs, err := m.Client.Tenant.Query().Where(tenant.KindEQ(tenant.KindCustomer), tenant.StatusNEQ(tenant.StatusClosed)).All(pctx)
	if err != nil {
		return err
	}
	for _, c := range custs {
		plan := billing.DefaultPlan
		if sub, err := m.Client.Subscription.Query().Where(subscription.TenantID(c.ID)).Only(pctx); err == nil && sub.Status == subscription.StatusActive {
			plan = sub.Plan
		}
		if _, err := m.Ledger.EnsureAccount(ctx, c.ID, root.ID, plan, c.CreatedAt); err != nil {
			m.Logger.WarnContext(ctx, "open a billing account", "tenant_id", c.ID, "err", err)
		}
	}
	n, err := m.Ledger.CloseDue(ctx, time.Now())
	if n > 0 {
		m.Logger.InfoContext(ctx, "billing periods closed", "invoices", n)
	}
	return err
}
