package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/internal/dnscache"
	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/agents"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/email"
	"github.com/opsward/opsward/services/notify/pagerduty"
	"github.com/opsward/opsward/services/notify/slack"
	"github.com/opsward/opsward/services/notify/teams"
	"github.com/opsward/opsward/services/notify/webhook"
	"github.com/opsward/opsward/tenants"
)

// openNOC wires the NOC: the egress guard every tenant-pointed connection
// goes through, the probes, the results store, the notification channels
// and the service that joins them to dispatch and billing.
func (m *Main) openNOC(ctx context.Context) error {
	allow, err := egress.ParsePrefixes(m.Config.EgressAllow)
	if err != nil {
		return fmt.Errorf("OPSWARD_EGRESS_ALLOW: %v", err)
	}
	deny, err := egress.ParsePrefixes(m.Config.EgressDeny)
	if err != nil {
		return fmt.Errorf("OPSWARD_EGRESS_DENY: %v", err)
	}
	guard := &egress.Guard{Allow: allow, Deny: deny}
	if m.Config.DNSCache == "on" {
		cache, err := dnscache.New(dnscache.Config{Servers: m.Config.DNSServers})
		if err != nil {
			return err
		}
		guard.Lookup = cache.Lookup
		m.registerDNSCacheMetrics(cache)
	}
	m.Guard = guard
	if m.demoOn {
		if err := m.allowDemoEndpoint(); err != nil {
			return err
		}
	}
	channels := notify.NewRegistry(notify.Deps{HTTP: egress.NewHTTPClient(guard, 30*time.Second), Dial: guard})
	email.Register(channels)
	webhook.Register(channels)
	slack.Register(channels)
	teams.Register(channels)
	pagerduty.Register(channels)
	m.Results = results.New(m.DB, m.Logger)
	m.NOCEvents = monitoring.NewEvents(m.Redis, m.Redis.Prefix, m.Logger)
	m.NOC, err = monitoring.New(monitoring.Deps{
		Client: m.Client, DB: m.DB, Tenants: m.Tenants, Billing: m.Billing, Dispatch: m.Dispatch,
		Probes: probe.NewRegistry(probe.Deps{Guard: guard}), ResultStore: m.Results,
		Channels: channels, Sealer: m.Sealer, Events: m.NOCEvents, Logger: m.Logger,
		PublicURL: m.publicURL(),
	})
	if err != nil {
		return err
	}
	if m.Roles.API {
		// The remote agents' results are written by the API processes
		// they push to.
		w, err := m.Results.NewWriter(results.WriterConfig{})
		if err != nil {
			return err
		}
		m.closers = append(m.closers, func() error { return w.Close(context.Background()) })
		m.Agents, err = agents.New(agents.Deps{
			Client: m.Client, Tenants: m.Tenants, Writer: w, Logger: m.Logger,
			Settings: func(mon *ent.Monitor) (json.RawMessage, error) { return m.NOC.OpenSettings(mon) },
			Config:   agents.Config{PollInterval: m.Config.ProbePollInterval},
		})
		if err != nil {
			return err
		}
	}
	m.Billing.SetMonitorCounter(m.NOC.CountMonitors)
	m.Billing.OnPlanChange(func(ctx context.Context, tenantID string, p billing.Plan) {
		if err := m.NOC.Reschedule(ctx, tenantID, p); err != nil {
			// The next rebuild applies the plan's pace from the database.
			m.Logger.ErrorContext(ctx, "plan change: reschedule monitors", "tenant_id", tenantID, "err", err)
		}
	})
	if m.Roles.Worker {
		w, err := m.Results.NewWriter(results.WriterConfig{})
		if err != nil {
			return err
		}
		m.NOC.SetWriter(w)
		// Closed after the workers stop, before the database: what is
		// queued is written.
		m.closers = append(m.closers, func() error { return w.Close(context.Background()) })
		m.closers = append(m.closers, func() error { m.NOC.Close(); return nil }) // runs first: saves batched states
		m.NOC.Register(m.Workers)
		h, err := notify.NewHandler(notify.HandlerConfig{Store: m.NOC, Recorder: m.NOC, Logger: m.Logger})
		if err != nil {
			return err
		}
		notify.Register(m.Workers, h)
		dispatch.AddWorkerFunc(m.Workers, m.maintainResults)
		dispatch.AddWorkerFunc(m.Workers, m.NOC.HandleWatchLocations(m.locationSilentAfter()))
	}
	return nil
}

// locationSilentAfter is how long a probe location's agents may all go
// unheard before its incident opens: the rule that shows them offline.
func (m *Main) locationSilentAfter() time.Duration {
	return agents.Config{PollInterval: m.Config.ProbePollInterval}.SilentAfter()
}

func (m *Main) publicURL() string {
	if m.Config.PublicURL != "" {
		return m.Config.PublicURL
	}
	return "http://" + m.Config.HTTPAddr
}

// MaintainResultsArgs is the upkeep of check results: partitions ahead,
// rollups of the hours just ended, retention by plan. The scheduler
// enqueues it every few minutes, deduplicated so that one runs at a time.
type MaintainResultsArgs struct{}

func (MaintainResultsArgs) Kind() string { return "noc.maintain_results" }

func (m *Main) maintainResults(ctx context.Context, _ *dispatch.Job[MaintainResultsArgs]) error {
	pctx := tenants.Privileged(ctx, "check results upkeep")
	now := time.Now()
	if err := m.Results.Maintain(pctx, now); err != nil {
		return err
	}
	return m.retainByPlan(pctx, now, m.Results.DropBefore, m.Results.DeleteTenantBefore)
}

// retainByPlan applies each plan's retention to a time-partitioned store:
// whole partitions go at the longest retention any plan has; tenants whose
// plan keeps less lose their older rows one by one.
func (m *Main) retainByPlan(pctx context.Context, now time.Time,
	dropBefore func(context.Context, time.Time) (int64, error),
	deleteTenantBefore func(context.Context, string, time.Time) (int64, error)) error {
	longest := 0
	for _, p := range billing.Catalogue() {
		longest = max(longest, p.RetentionDays)
	}
	day := 24 * time.Hour
	if _, err := dropBefore(pctx, now.Add(-time.Duration(longest)*day)); err != nil {
		return err
	}
	return m.Billing.Policies(pctx, func(tenantID string, p billing.Plan) error {
		if p.RetentionDays >= longest {
			return nil
		}
		_, err := deleteTenantBefore(pctx, tenantID, now.Add(-time.Duration(p.RetentionDays)*day))
		return err
	})
}

// seedDemo makes the demonstration tenants, users and keys, and gives each
// customer demonstration NOC data.
func (m *Main) seedDemo(ctx context.Context) (*tenants.Demo, error) {
	// Live data unless demo mode is off: the seed runs before the server
	// whose demo mode (auto) then finds it.
	var targets monitoring.DemoTargets
	if m.Config.Demo != "off" {
		var err error
		if targets, err = m.demoTargets(); err != nil {
			return nil, err
		}
		if err := m.allowDemoEndpoint(); err != nil {
			return nil, err
		}
	}
	demo, err := m.Tenants.SeedDemo(ctx)
	if err != nil {
		return nil, err
	}
	pctx := tenants.Privileged(ctx, "seed demo")
	for _, c := range demo.Customers {
		// Live, the top plan: its 30 s interval lets the demonstration
		// change within a minute. Inert data keeps the default plan.
		if targets.Site != "" {
			if _, err := m.Billing.ChangePlan(pctx, c.ID, billing.PlanEnterprise); err != nil {
				return nil, fmt.Errorf("demo plan for %s: %w", c.Slug, err)
			}
		}
		if _, err := m.NOC.SeedDemo(ctx, c.ID, targets); err != nil {
			return nil, fmt.Errorf("demo NOC data for %s: %w", c.Slug, err)
		}
		if err := m.seedSOCDemo(ctx, c.ID); err != nil {
			return nil, fmt.Errorf("demo SOC data for %s: %w", c.Slug, err)
		}
	}
	return demo, nil
}

// registerDNSCacheMetrics exports the DNS cache's counters.
func (m *Main) registerDNSCacheMetrics(c *dnscache.Cache) {
	counter := func(name, help string, v func(dnscache.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(c.Stats())) })
	}
	m.Registry.MustRegister(
		counter("opsward_dns_cache_hits_total", "Name lookups answered from the DNS cache.", func(s dnscache.Stats) uint64 { return s.Hits }),
		counter("opsward_dns_cache_misses_total", "Name lookups the DNS cache had to resolve.", func(s dnscache.Stats) uint64 { return s.Misses }),
		counter("opsward_dns_cache_queries_total", "Queries the DNS cache sent to name servers.", func(s dnscache.Stats) uint64 { return s.Queries }),
		counter("opsward_dns_cache_failures_total", "Resolutions that failed (timeouts, server failures); never cached.", func(s dnscache.Stats) uint64 { return s.Failures }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opsward_dns_cache_entries", Help: "Names the DNS cache holds."},
			func() float64 { return float64(c.Stats().Entries) }),
	)
}
