package main

import (
	"context"
	"fmt"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/apikey"
	"github.com/opsward/opsward/ent/asset"
	"github.com/opsward/opsward/ent/assetdependency"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/caseentry"
	"github.com/opsward/opsward/ent/casetask"
	"github.com/opsward/opsward/ent/detectionrule"
	"github.com/opsward/opsward/ent/escalationpolicy"
	"github.com/opsward/opsward/ent/evidence"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/incidententry"
	"github.com/opsward/opsward/ent/indicator"
	"github.com/opsward/opsward/ent/indicatorlist"
	"github.com/opsward/opsward/ent/invitation"
	"github.com/opsward/opsward/ent/logsource"
	"github.com/opsward/opsward/ent/maintenancewindow"
	"github.com/opsward/opsward/ent/membership"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/notificationchannel"
	"github.com/opsward/opsward/ent/playbook"
	"github.com/opsward/opsward/ent/playbookrun"
	"github.com/opsward/opsward/ent/refreshtoken"
	"github.com/opsward/opsward/ent/ruleoverride"
	"github.com/opsward/opsward/ent/savedview"
	"github.com/opsward/opsward/ent/securitycase"
	"github.com/opsward/opsward/ent/session"
	"github.com/opsward/opsward/ent/subscription"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/agents"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/tenants"
)

// openDispatch builds the job system's client, the billing service and
// the hooks that join them to tenancy: a new tenant gets a plan, a plan
// change re-weights the tenant's queue, a suspension pauses its schedules.
func (m *Main) openDispatch(ctx context.Context) error {
	// A tenant with no policy in Redis yet (created since the last
	// rebuild) is served as the default plan until its plan is written.
	def, _ := billing.PlanByID(billing.DefaultPlan)
	var err error
	m.Dispatch, err = dispatch.NewClient(m.Redis, dispatch.Config{
		Prefix:        m.Redis.Prefix + "dispatch",
		Logger:        m.Logger,
		Registerer:    m.Registry,
		DefaultPolicy: policyOf(def, tenant.StatusActive),
	})
	if err != nil {
		return fmt.Errorf("dispatch: %v", err)
	}
	m.Billing = billing.New(m.Client, m.Tenants, m.Logger)
	m.Billing.OnPlanChange(func(ctx context.Context, tenantID string, p billing.Plan) {
		pctx := tenants.Privileged(ctx, "plan change")
		t, err := m.Client.Tenant.Get(pctx, tenantID)
		if err != nil {
			m.Logger.ErrorContext(ctx, "plan change: read tenant", "tenant_id", tenantID, "err", err)
			return
		}
		pol := policyOf(p, t.Status)
		if m.NOC != nil {
			if pol.MaxConcurrency, err = m.NOC.TenantCap(ctx, tenantID, p); err != nil {
				m.Logger.ErrorContext(ctx, "plan change: checks in flight", "tenant_id", tenantID, "err", err)
				pol.MaxConcurrency = p.MaxConcurrency
			}
		}
		if err := m.Dispatch.SetTenantPolicy(ctx, tenantID, pol); err != nil {
			m.Logger.ErrorContext(ctx, "plan change: set queue policy", "tenant_id", tenantID, "err", err)
		}
	})
	m.Tenants.SetHooks(tenants.Hooks{
		TenantCreated: m.Billing.TenantCreatedHook(),
		StatusChanged: func(ctx context.Context, tenantID, status string) {
			var err error
			if status == string(tenant.StatusActive) {
				err = m.Dispatch.ResumeTenant(ctx, tenantID)
			} else {
				err = m.Dispatch.PauseTenant(ctx, tenantID)
			}
			if err != nil {
				// The next rebuild restores the pause from the database.
				m.Logger.ErrorContext(ctx, "tenant status: queue policy", "tenant_id", tenantID, "status", status, "err", err)
			}
		},
	})
	m.Workers = dispatch.NewWorkers()
	dispatch.AddWorkerFunc(m.Workers, m.purgeClosedTenants)
	return nil
}

// filesBesideChecks is what a worker keeps open besides its checks'
// sockets: database and Redis pools, listeners, logs, headroom.
const filesBesideChecks = 256

// checkFileLimit says in one line when the open-file limit cannot hold a
// socket for every job in flight (each check holds one while it waits).
func (m *Main) checkFileLimit() {
	limit, need := openFileLimit(), uint64(m.Config.WorkerConcurrency)+filesBesideChecks
	if limit != 0 && limit < need {
		m.Logger.Warn("the open-file limit is below the checks a worker may have in flight: raise it (ulimit -n) or lower OPSWARD_WORKER_CONCURRENCY",
			"limit", limit, "need", need, "worker_concurrency", m.Config.WorkerConcurrency)
	}
}

// startJobs runs the worker and scheduler roles this process has.
func (m *Main) startJobs(ctx context.Context) error {
	if m.Roles.Worker {
		m.checkFileLimit()
		p, err := dispatch.NewProcessor(m.Dispatch, m.Workers, dispatch.ProcessorConfig{
			Concurrency: m.Config.WorkerConcurrency, VisibilityTimeout: m.Config.WorkerVisibilityTimeout, ShutdownTimeout: m.Config.ShutdownTimeout})
		if err != nil {
			return fmt.Errorf("worker: %v", err)
		}
		m.goBackground(func() { m.logStop("worker", p.Run(ctx)) })
	}
	if m.Roles.Scheduler {
		// A monitor checked late is checked once: slots missed while the
		// workers lagged are not run back to back.
		s, err := dispatch.NewScheduler(m.Dispatch, m.source(), dispatch.SchedulerConfig{MaxCatchUp: 1, EphemeralRedis: m.Redis.Embedded})
		if err != nil {
			return fmt.Errorf("scheduler: %v", err)
		}
		m.Scheduler = s
		dialect := dispatch.SQLite
		if m.DB.Dialect == "postgres" {
			dialect = dispatch.Postgres
		}
		r, err := dispatch.NewRelay(m.Dispatch, m.DB.DB, dispatch.RelayConfig{Dialect: dialect})
		if err != nil {
			return fmt.Errorf("outbox relay: %v", err)
		}
		// The relay moves every tenant's outbox rows: the privileged path.
		rctx := tenants.Privileged(ctx, "outbox relay")
		m.goBackground(func() { m.logStop("scheduler", s.Run(ctx)) })
		m.goBackground(func() { m.logStop("outbox relay", r.Run(rctx)) })
		m.goBackground(func() { m.schedulePlatformJobs(ctx) })
		m.goBackground(func() { m.scheduleLocationWatch(ctx) })
	}
	return nil
}

func (m *Main) logStop(role string, err error) {
	if err != nil && err != context.Canceled {
		m.Logger.Error(role+" stopped", "err", err)
	}
}

// platformSource is the truth dispatch rebuilds Redis from: every tenant's
// policy from its plan and status, and the schedules of the services that
// own them (the NOC's monitors).
type platformSource struct{ m *Main }

func (m *Main) source() dispatch.Source { return platformSource{m} }

func (s platformSource) Schedules(ctx context.Context, yield func(dispatch.Schedule) error) error {
	return s.m.NOC.Schedules(ctx, yield)
}

func (s platformSource) Policies(ctx context.Context, yield func(string, dispatch.Policy) error) error {
	pctx := tenants.Privileged(ctx, "rebuild queue policies")
	inactive := map[string]tenant.Status{}
	ts, err := s.m.Client.Tenant.Query().Where(tenant.StatusNEQ(tenant.StatusActive)).
		Select(tenant.FieldID, tenant.FieldStatus).All(pctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		inactive[t.ID] = t.Status
	}
	// Each tenant's cap on jobs in flight follows its checks' demand.
	demand, err := s.m.NOC.Demand(pctx, func(id string) (billing.Plan, error) { return s.m.Billing.Plan(pctx, id) })
	if err != nil {
		return err
	}
	return s.m.Billing.Policies(pctx, func(tenantID string, p billing.Plan) error {
		st, ok := inactive[tenantID]
		if !ok {
			st = tenant.StatusActive
		}
		pol := policyOf(p, st)
		pol.MaxConcurrency = monitoring.InFlightCap(p, demand[tenantID])
		return yield(tenantID, pol)
	})
}

func policyOf(p billing.Plan, st tenant.Status) dispatch.Policy {
	return dispatch.Policy{Weight: p.Weight, MaxConcurrency: p.MaxConcurrency, Paused: st != tenant.StatusActive}
}

// purgeTables lists every tenant-owned table, children before parents, for
// the purge of closed tenants.
var purgeTables = []string{
	"compliance_report_schedules", "compliance_reports", "compliance_runs", "compliance_attestations", "compliance_exceptions", "compliance_controls",
	refreshtoken.Table, session.Table, apikey.Table, invitation.Table, savedview.Table,
	membership.Table, subscription.Table, auditentry.Table, "dispatch_outbox",
	"check_results", "check_rollups",
	"probe_checks", "probe_agents", "probe_locations",
	incidententry.Table, incident.Table, assetdependency.Table, monitor.Table, asset.Table,
	maintenancewindow.Table, escalationpolicy.Table, notificationchannel.Table,
	"security_events", caseentry.Table, casetask.Table, evidence.Table, alert.Table, securitycase.Table,
	indicator.Table, indicatorlist.Table, playbookrun.Table, playbook.Table, ruleoverride.Table,
	detectionrule.Table, logsource.Table,
}

// PurgeClosedArgs is the job that deletes closed tenants whose retention
// has ended. It is enqueued daily, deduplicated by day.
type PurgeClosedArgs struct{}

func (PurgeClosedArgs) Kind() string { return "tenants.purge_closed" }

func (m *Main) purgeClosedTenants(ctx context.Context, _ *dispatch.Job[PurgeClosedArgs]) error {
	n, err := m.Tenants.PurgeClosed(ctx, purgeTables)
	if n > 0 {
		m.Logger.InfoContext(ctx, "closed tenants purged", "count", n)
	}
	return err
}

// scheduleLocationWatch enqueues the watch over probe locations every
// poll interval (deduplicated while one is pending): a location whose
// agents all went silent gets its incident within an interval of the
// moment they show offline.
func (m *Main) scheduleLocationWatch(ctx context.Context) {
	every := m.Config.ProbePollInterval
	if every <= 0 {
		every = agents.DefaultPollInterval
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		root, err := m.Client.Tenant.Query().Where(tenant.KindEQ(tenant.KindProvider)).First(tenants.Privileged(ctx, "probe location watch"))
		if err != nil {
			continue
		}
		if _, err := m.Dispatch.Enqueue(ctx, root.ID, monitoring.WatchLocationsArgs{}, &dispatch.EnqueueOpts{DedupKey: "watch-locations"}); err != nil {
			m.Logger.WarnContext(ctx, "enqueue the probe location watch", "err", err)
		}
	}
}

// schedulePlatformJobs enqueues the platform's own jobs: the daily purge
// (deduplicated by date, so several schedulers enqueue it once) and the
// upkeep at start and every OPSWARD_PLATFORM_JOBS_EVERY (deduplicated
// while one is pending).
func (m *Main) schedulePlatformJobs(ctx context.Context) {
	tick := time.NewTicker(m.Config.PlatformJobsEvery)
	defer tick.Stop()
	for {
		root, err := m.Client.Tenant.Query().Where(tenant.KindEQ(tenant.KindProvider)).First(tenants.Privileged(ctx, "platform jobs"))
		if err == nil {
			day := time.Now().UTC().Format("2006-01-02")
			if _, err := m.Dispatch.Enqueue(ctx, root.ID, PurgeClosedArgs{}, &dispatch.EnqueueOpts{DedupKey: "purge-closed-" + day}); err != nil {
				m.Logger.WarnContext(ctx, "enqueue the purge of closed tenants", "err", err)
			}
			if _, err := m.Dispatch.Enqueue(ctx, root.ID, MaintainResultsArgs{}, &dispatch.EnqueueOpts{DedupKey: "maintain-results"}); err != nil {
				m.Logger.WarnContext(ctx, "enqueue the results upkeep", "err", err)
			}
			if _, err := m.Dispatch.Enqueue(ctx, root.ID, MaintainEventsArgs{}, &dispatch.EnqueueOpts{DedupKey: "maintain-events"}); err != nil {
				m.Logger.WarnContext(ctx, "enqueue the events upkeep", "err", err)
			}
			if _, err := m.Dispatch.Enqueue(ctx, root.ID, CloseBillingPeriodsArgs{}, &dispatch.EnqueueOpts{DedupKey: "billing-close"}); err != nil {
				m.Logger.WarnContext(ctx, "enqueue the billing period close", "err", err)
			}
			if _, err := m.Dispatch.Enqueue(ctx, root.ID, DunningArgs{}, &dispatch.EnqueueOpts{DedupKey: "billing-dunning"}); err != nil {
				m.Logger.WarnContext(ctx, "enqueue the dunning run", "err", err)
			}
			month := lastMonth(time.Now())
			if _, err := m.Dispatch.Enqueue(ctx, root.ID, compliance.MonthlyArgs{Month: month}, &dispatch.EnqueueOpts{DedupKey: "compliance-monthly-" + month}); err != nil {
				m.Logger.WarnContext(ctx, "enqueue the monthly compliance reports", "err", err)
			}
			m.enqueueMeteringJobs(ctx, root.ID)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
