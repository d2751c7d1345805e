package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/tenants"
)

// openMetering joins the work to billing's meters: every write of check
// results and of security events records its usage in its own
// transaction (one statement for the write's tenants), unless
// OPSWARD_METERING is off; and registers the jobs that sample the gauge
// meters and warn of allowances.
func (m *Main) openMetering() {
	dispatch.AddWorkerFunc(m.Workers, m.sampleMeters)
	dispatch.AddWorkerFunc(m.Workers, m.warnAllowances)
	if m.Config.Metering == "off" {
		m.Logger.Warn("metering is off: check runs and ingested events record no usage (OPSWARD_METERING)")
		return
	}
	rec := m.Ledger.Usage()
	m.Results.Meter(rec)
	m.SecurityEvents.OnAdded(events.MeterIngest(rec))
}

// SampleMetersArgs is the job that samples the gauge meters of every
// billing account. The scheduler enqueues it once per
// OPSWARD_METER_SAMPLE_EVERY (deduplicated by the slot); a sample is
// keyed by the hour, so a retry or a second scheduler records nothing
// twice.
type SampleMetersArgs struct{}

func (SampleMetersArgs) Kind() string { return "billing.sample_meters" }

// gauges are the services' counters as billing's gauge readers.
func (m *Main) gauges() billing.Gauges {
	return billing.Gauges{
		ActiveMonitors: m.NOC.CountActiveMonitors,
		Assets:         m.NOC.CountAssets,
		StoredEventBytes: func(ctx context.Context, accountID string) (int64, error) {
			ids, err := m.Tenants.Subtree(ctx, accountID)
			if err != nil {
				return 0, err
			}
			return m.SecurityEvents.StoredBytes(tenants.Privileged(ctx, "billing: stored event bytes"), ids)
		},
		Seats: m.Tenants.AccountUsers,
	}
}

func (m *Main) sampleMeters(ctx context.Context, _ *dispatch.Job[SampleMetersArgs]) error {
	_, err := m.Ledger.SampleGauges(ctx, time.Now(), m.gauges())
	return err
}

// WarnAllowancesArgs is the job that warns customers who reached 80% or
// 100% of an included allowance, through their notification channels.
// The scheduler enqueues it every few minutes (deduplicated while one is
// pending); each warning is stored once per period, so a retry or a
// second scheduler sends nothing twice.
type WarnAllowancesArgs struct{}

func (WarnAllowancesArgs) Kind() string { return "billing.warn_allowances" }

func (m *Main) warnAllowances(ctx context.Context, _ *dispatch.Job[WarnAllowancesArgs]) error {
	n, err := m.Ledger.WarnAllowances(ctx, time.Now(), m.sendAllowanceWarning)
	if n > 0 {
		m.Logger.InfoContext(ctx, "allowance warnings sent", "warnings", n)
	}
	return err
}

// sendAllowanceWarning queues a warning to the customer's channels
// through the outbox of tx, the transaction that stores it as sent.
func (m *Main) sendAllowanceWarning(ctx context.Context, tx *sql.Tx, w billing.AllowanceWarning) error {
	_, err := m.NOC.NotifyTenant(ctx, tx, allowanceMessage(w, time.Now()))
	return err
}

// allowanceMessage is the notification of a warning: medium at 80%, high
// at 100%, one thread per meter and period.
func allowanceMessage(w billing.AllowanceWarning, now time.Time) notify.Message {
	sev, title := notify.SeverityMedium, fmt.Sprintf("%s: %d%% of the included allowance used", w.Meter.Title(), w.Threshold)
	if w.Threshold >= 100 {
		sev, title = notify.SeverityHigh, fmt.Sprintf("%s: the included allowance is used up; further usage is charged", w.Meter.Title())
	}
	period := w.Period.Start.Format(time.DateOnly) + " to " + w.Period.End.Format(time.DateOnly)
	return notify.Message{
		TenantID: w.TenantID, Ref: notify.Ref{Kind: "billing", ID: w.TenantID}, Title: title,
		Summary:  fmt.Sprintf("%d of %d included in the billing period %s.", w.Used, w.Included, period),
		Severity: sev, State: notify.StateTriggered, Time: now,
		Fields: []notify.Field{{Name: "Used", Value: strconv.FormatInt(w.Used, 10)},
			{Name: "Included", Value: strconv.FormatInt(w.Included, 10)}, {Name: "Period", Value: period}},
		DedupKey: "usage:" + string(w.Meter) + ":" + w.Period.Start.UTC().Format(time.RFC3339) + ":" + strconv.Itoa(w.Threshold),
	}
}

// enqueueMeteringJobs enqueues the gauge sample of the current slot of
// OPSWARD_METER_SAMPLE_EVERY and the allowance warnings; the platform
// jobs' ticker calls it every few minutes.
func (m *Main) enqueueMeteringJobs(ctx context.Context, rootID string) {
	slot := time.Now().UTC().Truncate(m.Config.MeterSampleEvery).Format("200601021504")
	if _, err := m.Dispatch.Enqueue(ctx, rootID, SampleMetersArgs{}, &dispatch.EnqueueOpts{DedupKey: "meters-sample-" + slot}); err != nil {
		m.Logger.WarnContext(ctx, "enqueue the gauge sample", "err", err)
	}
	if _, err := m.Dispatch.Enqueue(ctx, rootID, WarnAllowancesArgs{}, &dispatch.EnqueueOpts{DedupKey: "billing-warn"}); err != nil {
		m.Logger.WarnContext(ctx, "enqueue the allowance warnings", "err", err)
	}
}
