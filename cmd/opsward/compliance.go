package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/tenants"
)

// openCompliance wires compliance to the facts the other services hold,
// read through their public functions (complianceSource), and registers
// the monthly reports job.
func (m *Main) openCompliance(context.Context) error {
	var err error
	m.Compliance, err = compliance.New(compliance.Config{}, compliance.Deps{
		DB: m.DB, Client: m.Client, Tenants: m.Tenants, Source: complianceSource{m}, Sealer: m.Sealer, Usage: m.Ledger.Usage(),
		Channels: m.NOC, Outbox: m.Dispatch, Evidence: m.Cases, Logger: m.Logger,
	})
	if err != nil {
		return err
	}
	dispatch.AddWorkerFunc(m.Workers, m.monthlyReports)
	return nil
}

// monthlyReports generates last month's reports for every customer; the
// scheduler enqueues it daily, deduplicated by month, and generation
// skips the reports already kept.
func (m *Main) monthlyReports(ctx context.Context, job *dispatch.Job[compliance.MonthlyArgs]) error {
	rs, err := m.Compliance.GenerateMonthly(ctx, job.Args.Month)
	if len(rs) > 0 {
		m.Logger.InfoContext(ctx, "monthly compliance reports", "count", len(rs), "month", job.Args.Month)
	}
	return err
}

// lastMonth is the month before now's, as the monthly job names it.
func lastMonth(now time.Time) string {
	return compliance.MonthOf(now).From.AddDate(0, -1, 0).Format("2006-01")
}

// complianceSource gathers a tenant's facts from the NOC, the SOC and
// tenancy. ctx's actor reaches the tenant (compliance narrowed it); every
// read names the tenant, so a provider acting from above sees that
// tenant's rows alone.
type complianceSource struct{ m *Main }

func (s complianceSource) Facts(ctx context.Context, tenantID string, p compliance.Period) (*compliance.Facts, error) {
	m := s.m
	now := time.Now().UTC()
	tn, err := m.Tenants.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	f := &compliance.Facts{TenantID: tenantID, TenantName: tn.Name, Now: now, RulesByTactic: map[string]int{}}

	// Inventory, uptime and certificates (NOC).
	assets, err := m.NOC.Inventory(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	logs, err := m.SecurityEvents.LastSeenByHost(ctx, now.Add(-7*24*time.Hour))
	if err != nil {
		return nil, err
	}
	lastLog := map[string]time.Time{}
	for h, at := range logs {
		lastLog[strings.ToLower(h)] = at
	}
	months := p.Months()
	monthly := make([]noc.StateDurations, len(months))
	for _, a := range assets {
		af := compliance.AssetFact{ID: a.ID, Name: a.Name, Kind: string(a.Kind), Criticality: string(a.Criticality), Tags: a.Tags}
		for _, key := range []string{a.Name, a.Address} {
			if at, ok := lastLog[strings.ToLower(key)]; ok && key != "" && (af.LastLogAt == nil || at.After(*af.LastLogAt)) {
				at := at
				af.LastLogAt = &at
			}
		}
		f.Assets = append(f.Assets, af)
		for _, mon := range a.Edges.Monitors {
			u, err := m.NOC.UptimeOf(ctx, mon, p.From, p.To)
			if err != nil {
				return nil, err
			}
			mf := compliance.MonitorFact{ID: mon.ID, Name: mon.Name, AssetID: a.ID, Kind: string(mon.Kind), Status: string(mon.Status),
				Paused: mon.Paused, SLATarget: mon.SLATarget, Breached: u.HasSLA && u.SLA.Breached,
				Up: u.Report.Counts.Up, Degraded: u.Report.Counts.Degraded, Down: u.Report.Counts.Down,
				Maintenance: u.Report.Counts.Maintenance, Unknown: u.Report.Counts.Unknown}
			mf.Uptime, mf.HasData = u.Report.Uptime()
			if t, ok := monitoring.CertNotAfter(mon); ok {
				mf.CertNotAfter = &t
			}
			f.Monitors = append(f.Monitors, mf)
			for i, mo := range months {
				mu := u
				if len(months) > 1 {
					if mu, err = m.NOC.UptimeOf(ctx, mon, mo.From, mo.To); err != nil {
						return nil, err
					}
				}
				d := mu.Report.Durations
				monthly[i].Up += d.Up
				monthly[i].Degraded += d.Degraded
				monthly[i].Down += d.Down
			}
		}
	}
	for i, mo := range months {
		r := noc.UptimeReport{Durations: monthly[i]}
		u, ok := r.Uptime()
		f.MonthlyUptime = append(f.MonthlyUptime, compliance.MonthUptime{Month: mo.From.Format("2006-01"), Uptime: u, HasData: ok})
	}

	incs, err := m.NOC.IncidentsOpened(ctx, tenantID, p.From, p.To)
	if err != nil {
		return nil, err
	}
	for _, i := range incs {
		if i.Suppressed {
			continue
		}
		f.Incidents = append(f.Incidents, compliance.IncidentFact{ID: i.ID, Title: i.Title, Severity: string(i.Severity),
			OpenedAt: i.OpenedAt, AckedAt: i.AckedAt, ResolvedAt: i.ResolvedAt})
	}

	// Alerts, cases and detection coverage (SOC).
	alerts, err := m.SOC.AlertsFirstSeen(ctx, tenantID, p.From, p.To)
	if err != nil {
		return nil, err
	}
	for _, a := range alerts {
		f.Alerts = append(f.Alerts, compliance.AlertFact{ID: a.ID, Title: a.Title, Severity: string(a.Severity), Status: string(a.Status),
			FirstSeen: a.FirstSeen, AckedAt: a.AckedAt, ClosedAt: a.ClosedAt})
	}
	cs, err := m.Cases.CasesOpened(ctx, tenantID, p.From, p.To)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		t, err := m.Cases.Times(ctx, c)
		if err != nil {
			return nil, err
		}
		f.Cases = append(f.Cases, compliance.CaseFact{ID: c.ID, Title: c.Title, Severity: string(c.Severity), OpenedAt: c.OpenedAt,
			Detect: t.Detect, Acknowledge: t.Acknowledge, Contain: t.Contain, Resolve: t.Resolve})
	}
	if f.RulesByTactic, err = m.SOC.RulesByTactic(ctx); err != nil {
		return nil, err
	}

	// Identities and the audit chain (tenancy).
	members, err := m.Tenants.MemberAccess(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, mb := range members {
		f.Members = append(f.Members, compliance.MemberFact{MembershipID: mb.MembershipID, UserID: mb.UserID, Email: mb.Email,
			Role: string(mb.Role), MFA: mb.MFA})
	}
	keys, err := m.Tenants.ActiveAPIKeys(ctx, tenantID, now)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		f.APIKeys = append(f.APIKeys, compliance.KeyFact{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt})
	}
	// Verifying the chain is the audit service's own check: an actor with
	// compliance:read need not hold audit:read to learn that it holds.
	problems, checked, err := m.Tenants.VerifyAudit(tenants.Privileged(ctx, "compliance: audit chain test"), tenantID)
	if err != nil {
		return nil, err
	}
	f.Audit.Checked = checked
	for _, pr := range problems {
		f.Audit.Problems = append(f.Audit.Problems, fmt.Sprintf("entry %d: %s", pr.Seq, pr.Reason))
	}
	return f, nil
}

// runReport is `opsward report verify FILE`: it checks a report's
// signature against the provider's report key ring.
func runReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("report", "report verify FILE [flags]", stderr)
	cfg, err := parse(fs, args, getenv)
	if err != nil {
		return err
	}
	if fs.NArg() != 2 || fs.Arg(0) != "verify" {
		return errors.New("report: opsward report verify FILE")
	}
	file, err := os.ReadFile(fs.Arg(1))
	if err != nil {
		return fmt.Errorf("report verify: %v", err)
	}
	m := NewMain(cfg, Roles{}, stdout, stderr)
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	sig, err := m.Compliance.Verify(tenants.Privileged(ctx, "report verify"), file)
	if err != nil {
		return errors.New("report verify: " + opsward.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "report %s verified: tenant %s, %s, %s to %s, %s, sha256 %s, signed by key %s\n", sig.ReportID, sig.TenantID,
		sig.Framework, sig.From.Format(time.DateOnly), sig.To.Format(time.DateOnly), sig.Format, sig.SHA256, sig.KeyID)
	return nil
}
