package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/billing/stripeapi"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/notify"
)

// openCollection sets up invoice collection: manual without a Stripe key,
// otherwise Stripe through stripe-go, with its jobs registered here. The
// key lives in memory only and is never logged.
func (m *Main) openCollection(context.Context) error {
	deps := billing.CollectionDeps{Ledger: m.Ledger, Client: m.Client, Tenants: m.Tenants, Logger: m.Logger,
		Enqueue: m.enqueueStripeTask, Remind: m.remindPayment}
	if m.Config.StripeKey != "" {
		api, err := stripeapi.New(stripeapi.Config{Key: m.Config.StripeKey, URL: m.Config.StripeAPIURL})
		if err != nil {
			return err
		}
		deps.API = api
	}
	c, err := billing.NewCollection(billing.CollectionConfig{DunningGrace: m.Config.DunningGrace, ReturnURL: m.Config.PortalURL}, deps)
	if err != nil {
		return fmt.Errorf("billing collection: %v", err)
	}
	m.Collection = c
	dispatch.AddWorkerFunc(m.Workers, m.stripeProvision)
	dispatch.AddWorkerFunc(m.Workers, m.stripePushUsage)
	dispatch.AddWorkerFunc(m.Workers, m.runDunning)
	return nil
}

// DunningArgs is the dunning job: past-due reminders, suspension once
// the grace has run out (restores come with the invoice.paid webhook).
// It is scheduled on its own, apart from the period close.
type DunningArgs struct{}

func (DunningArgs) Kind() string { return "billing.dunning" }

func (m *Main) runDunning(ctx context.Context, _ *dispatch.Job[DunningArgs]) error {
	n, err := m.Collection.Dunning(ctx)
	if n > 0 {
		m.Logger.InfoContext(ctx, "dunning suspended tenants", "tenants", n)
	}
	return err
}

// StripeProvisionArgs creates a customer's Stripe customer, prices and
// subscription.
type StripeProvisionArgs struct {
	TenantID string `json:"tenant_id"`
}

func (StripeProvisionArgs) Kind() string { return "billing.stripe_provision" }

// StripePushUsageArgs sends a customer's unsent usage reports to Stripe.
type StripePushUsageArgs struct {
	TenantID string `json:"tenant_id"`
}

func (StripePushUsageArgs) Kind() string { return "billing.stripe_push_usage" }

// enqueueStripeTask records a Stripe job in the outbox of tx. Each kind
// is deduplicated per customer while one has not finished, so a
// customer's pushes take turns and never send one report concurrently;
// reports written while a push runs are picked up by the period close's
// sweep (Collection.Plan).
func (m *Main) enqueueStripeTask(ctx context.Context, tx *ent.Tx, tenantID string, task billing.StripeTask) error {
	var (
		args dispatch.JobArgs
		opts = &dispatch.EnqueueOpts{MaxAttempts: 25}
	)
	switch task {
	case billing.TaskProvision:
		args, opts.DedupKey = StripeProvisionArgs{TenantID: tenantID}, "stripe-provision"
	case billing.TaskPushUsage:
		args, opts.DedupKey = StripePushUsageArgs{TenantID: tenantID}, "stripe-push"
	default:
		return opsward.Internal(fmt.Errorf("unknown Stripe task %q", task))
	}
	_, err := m.Dispatch.EnqueueTx(ctx, tx, tenantID, args, opts)
	return err
}

func (m *Main) stripeProvision(ctx context.Context, job *dispatch.Job[StripeProvisionArgs]) error {
	return stripeJobErr(m.Collection.Provision(ctx, job.Args.TenantID))
}

func (m *Main) stripePushUsage(ctx context.Context, job *dispatch.Job[StripePushUsageArgs]) error {
	n, err := m.Collection.PushUsage(ctx, job.Args.TenantID)
	if n > 0 {
		m.Logger.InfoContext(ctx, "usage reported to Stripe", "tenant_id", job.Args.TenantID, "job_id", job.ID, "reports", n)
	}
	return stripeJobErr(err)
}

// stripeJobErr says how a Stripe job is retried: a request Stripe refused
// as invalid stops (to the dead letters, where an admin sees it); a push
// that waits for its customer is snoozed; anything else retries with
// backoff.
func stripeJobErr(err error) error {
	var se *billing.StripeError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, billing.ErrNotProvisioned):
		return dispatch.JobSnooze(30 * time.Second)
	case errors.As(err, &se) && se.Permanent:
		return dispatch.JobCancel(err)
	}
	return err
}

// remindPayment queues a payment reminder through the outbox of tx to
// each enabled channel of the customer whose route takes it: the same
// path as allowance warnings (NOC.NotifyTenant).
func (m *Main) remindPayment(ctx context.Context, tx *ent.Tx, r billing.Reminder) error {
	if m.NOC == nil {
		return opsward.Internal(errors.New("billing: payment reminders need the NOC's notification path"))
	}
	msg := notify.Message{
		TenantID: r.TenantID, Ref: notify.Ref{Kind: "billing", ID: r.TenantID}, Title: r.Title, Summary: r.Summary,
		Severity: notify.SeverityHigh, State: notify.StateTriggered, Time: r.At,
		DedupKey: "billing:past_due:" + r.TenantID + ":" + strconv.Itoa(r.Count),
	}
	if m.Config.PortalURL != "" {
		msg.Link = m.Config.PortalURL
	}
	_, err := m.NOC.NotifyTenant(ctx, tx, msg)
	return err
}
