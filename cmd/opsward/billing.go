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
func (m *Main) openLedger(ctx context.Context) error {
	led, err := billing.NewLedger(m.DB, billing.LedgerConfig{Grace: m.Config.BillingGrace}, m.Logger)
	if err != nil {
		return fmt.Errorf("billing: %v", err)
	}
	m.Ledger = led
	// Entitlements come from the price book from here on: a new provider
	// gets the default book and a new customer an account, each in its
	// creating transaction.
	m.Billing.SetLedger(led)
	if m.NOC != nil {
		led.SetMonitorCounter(m.NOC.CountMonitors)
	}
	dispatch.AddWorkerFunc(m.Workers, m.closeBillingPeriods)
	m.openMetering()
	return m.openCollection(ctx)
}

// CloseBillingPeriodsArgs is the job that closes every billing period
// past its grace period. The scheduler enqueues it every few minutes,
// deduplicated while one is pending; closing is idempotent (one invoice
// per customer and period), so a retry or a second scheduler is harmless.
type CloseBillingPeriodsArgs struct{}

func (CloseBillingPeriodsArgs) Kind() string { return "billing.close_periods" }

// closeBillingPeriods writes the default price book if the provider has
// none, opens an account for each customer that has none (on its
// subscription's plan, anchored at the customer's creation), closes what
// is due, and, when Stripe collects, plans the Stripe jobs (provisioning,
// usage pushes). Dunning is its own job (DunningArgs).
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
	if err != nil {
		return err
	}
	_, err = m.Collection.Plan(ctx)
	return err
}
