package monitoring

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/asset"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/tenants"
)

// CheckArgs is the job that runs one check of a monitor. Its schedule has
// the monitor's id, so that each slot runs once.
type CheckArgs struct {
	MonitorID string `json:"m"`
}

// Kind names the job.
func (CheckArgs) Kind() string { return "noc.check" }

// scheduleOf is the schedule of a monitor at a plan's pace: its own
// interval, floored by the plan's minimum (a monitor saved under a dearer
// plan slows down after a downgrade instead of failing).
func scheduleOf(m *ent.Monitor, p billing.Plan) dispatch.Schedule {
	payload, _ := json.Marshal(CheckArgs{MonitorID: m.ID})
	return dispatch.Schedule{
		ID: m.ID, TenantID: m.TenantID, Kind: CheckArgs{}.Kind(),
		Interval: max(time.Duration(m.IntervalSeconds)*time.Second, p.MinInterval),
		Payload:  payload,
	}
}

// schedule writes a monitor's schedule to Redis, or removes it when the
// monitor is paused. A failure is logged, not returned: the database holds
// the truth and the next rebuild repairs Redis.
func (s *Service) schedule(ctx context.Context, m *ent.Monitor) {
	p, err := s.Billing.Plan(ctx, m.TenantID)
	if err == nil {
		if m.Paused {
			err = s.Dispatch.RemoveSchedule(ctx, m.TenantID, m.ID)
		} else {
			_, err = s.Dispatch.UpsertSchedule(ctx, scheduleOf(m, p))
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "write a monitor's schedule; the next rebuild repairs it",
			"tenant_id", m.TenantID, "monitor_id", m.ID, "err", err)
		return
	}
	s.refreshCap(ctx, m.TenantID, p)
}

// Schedules streams the schedule of every monitor that runs: the truth
// dispatch rebuilds Redis from. It is system work across tenants.
func (s *Service) Schedules(ctx context.Context, yield func(dispatch.Schedule) error) error {
	pctx := tenants.Privileged(ctx, "rebuild monitor schedules")
	active, err := s.Client.Tenant.Query().Where(tenant.StatusEQ(tenant.StatusActive)).IDs(pctx)
	if err != nil {
		return err
	}
	plans := map[string]billing.Plan{}
	const page = 1000
	after := ""
	for {
		q := s.Client.Monitor.Query().Where(monitor.Paused(false), monitor.TenantIDIn(active...)).
			Order(ent.Asc(monitor.FieldID)).Limit(page)
		if after != "" {
			q = q.Where(monitor.IDGT(after))
		}
		ms, err := q.Select(monitor.FieldID, monitor.FieldTenantID, monitor.FieldIntervalSeconds, monitor.FieldPaused,
			monitor.FieldLastCheckedAt).All(pctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			p, ok := plans[m.TenantID]
			if !ok {
				if p, err = s.Billing.Plan(pctx, m.TenantID); err != nil {
					return err
				}
				plans[m.TenantID] = p
			}
			sc := scheduleOf(m, p)
			// A slot missed while Redis was away runs once.
			if m.LastCheckedAt != nil {
				sc.LastRun = *m.LastCheckedAt
			}
			if err := yield(sc); err != nil {
				return err
			}
		}
		if len(ms) < page {
			return nil
		}
		after = ms[len(ms)-1].ID
	}
}

// Reschedule rewrites the schedules of a tenant's monitors, after its plan
// changed: a downgrade slows them to the new minimum, an upgrade lets them
// run at their own interval again.
func (s *Service) Reschedule(ctx context.Context, tenantID string, p billing.Plan) error {
	pctx := tenants.Privileged(ctx, "reschedule after a plan change")
	ms, err := s.Client.Monitor.Query().Where(monitor.TenantID(tenantID), monitor.Paused(false)).
		Select(monitor.FieldID, monitor.FieldTenantID, monitor.FieldIntervalSeconds, monitor.FieldPaused).All(pctx)
	if err != nil {
		return err
	}
	ss := make([]dispatch.Schedule, len(ms))
	for i, m := range ms {
		ss[i] = scheduleOf(m, p)
	}
	for len(ss) > 0 {
		n := min(len(ss), 500)
		if _, err := s.Dispatch.UpsertSchedules(ctx, ss[:n]); err != nil {
			return err
		}
		ss = ss[n:]
	}
	return nil
}

// CountMonitors counts the monitors of a billing account: the tenant and
// every tenant below it. Billing's quota check calls it.
func (s *Service) CountMonitors(ctx context.Context, accountID string) (int, error) {
	ids, err := s.Tenants.Subtree(ctx, accountID)
	if err != nil {
		return 0, err
	}
	return s.Client.Monitor.Query().Where(monitor.TenantIDIn(ids...)).Count(tenants.Privileged(ctx, "count monitors for the quota"))
}

// CountActiveMonitors counts the monitors of a billing account that are
// not paused: billing's active_monitors gauge.
func (s *Service) CountActiveMonitors(ctx context.Context, accountID string) (int64, error) {
	ids, err := s.Tenants.Subtree(ctx, accountID)
	if err != nil {
		return 0, err
	}
	n, err := s.Client.Monitor.Query().Where(monitor.TenantIDIn(ids...), monitor.Paused(false)).Count(tenants.Privileged(ctx, "active monitors gauge"))
	return int64(n), err
}

// CountAssets counts the assets of a billing account: billing's assets
// gauge.
func (s *Service) CountAssets(ctx context.Context, accountID string) (int64, error) {
	ids, err := s.Tenants.Subtree(ctx, accountID)
	if err != nil {
		return 0, err
	}
	n, err := s.Client.Asset.Query().Where(asset.TenantIDIn(ids...)).Count(tenants.Privileged(ctx, "assets gauge"))
	return int64(n), err
}
