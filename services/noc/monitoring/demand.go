package monitoring

import (
	"context"
	"math"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/tenants"
)

// A tenant's cap on checks in flight follows its own load, not a small
// fixed number: its demand is the checks it has in flight at worst, the
// sum over its running monitors of timeout / interval (every target
// holding each check to its timeout), and its cap is that demand with a
// quarter of headroom, or the plan's concurrency when that is more. So a
// tenant's dead hosts hold at most its own share of the workers and never
// delay its own healthy checks, and no tenant holds more than its own
// worst case: with worker capacity for the sum of the caps, one tenant's
// dead hosts never delay another's checks.

// capHeadroom is the share above the demand a cap allows.
const capHeadroom = 1.25

// InFlightCap is the cap on a tenant's checks in flight for plan p and
// demand d (see Demand).
func InFlightCap(p billing.Plan, d float64) int {
	return max(p.MaxConcurrency, int(math.Ceil(d*capHeadroom)))
}

// demandRow is one tenant's running monitors of one interval.
type demandRow struct {
	TenantID        string `json:"tenant_id"`
	IntervalSeconds int    `json:"interval_seconds"`
	Sum             int64  `json:"sum"`
}

// Demand returns every tenant's demand: the checks in flight at worst,
// each running monitor counting timeout / interval at its plan's pace.
// plan gives a tenant's plan (its shortest interval floors the
// monitors'). System work across tenants, for the queue policies.
func (s *Service) Demand(ctx context.Context, plan func(tenantID string) (billing.Plan, error)) (map[string]float64, error) {
	return s.demand(tenants.Privileged(ctx, "the checks in flight each tenant needs at worst"), nil, plan)
}

func (s *Service) demand(ctx context.Context, tenantID *string, plan func(string) (billing.Plan, error)) (map[string]float64, error) {
	q := s.Client.Monitor.Query().Where(monitor.Paused(false))
	if tenantID != nil {
		q.Where(monitor.TenantID(*tenantID))
	}
	var rows []demandRow
	if err := q.GroupBy(monitor.FieldTenantID, monitor.FieldIntervalSeconds).
		Aggregate(ent.As(ent.Sum(monitor.FieldTimeoutMs), "sum")).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := map[string]float64{}
	plans := map[string]billing.Plan{}
	for _, r := range rows {
		p, ok := plans[r.TenantID]
		if !ok {
			var err error
			if p, err = plan(r.TenantID); err != nil {
				return nil, err
			}
			plans[r.TenantID] = p
		}
		every := max(time.Duration(r.IntervalSeconds)*time.Second, p.MinInterval, time.Second)
		out[r.TenantID] += float64(r.Sum) / float64(every/time.Millisecond)
	}
	return out, nil
}

// TenantCap is a tenant's cap on checks in flight on plan p: InFlightCap
// of its demand. System work, for the queue policies.
func (s *Service) TenantCap(ctx context.Context, tenantID string, p billing.Plan) (int, error) {
	pctx := tenants.Privileged(ctx, "a tenant's checks in flight at worst")
	d, err := s.demand(pctx, &tenantID, func(string) (billing.Plan, error) { return p, nil })
	if err != nil {
		return 0, err
	}
	return InFlightCap(p, d[tenantID]), nil
}

// refreshCap sets a tenant's cap on checks in flight after its monitors
// changed. A failure is logged: the next rebuild repairs it.
func (s *Service) refreshCap(ctx context.Context, tenantID string, p billing.Plan) {
	c, err := s.TenantCap(ctx, tenantID, p)
	if err == nil {
		err = s.Dispatch.SetTenantCap(ctx, tenantID, c)
	}
	if err != nil {
		s.log.WarnContext(ctx, "set a tenant's cap on checks in flight; the next rebuild repairs it", "tenant_id", tenantID, "err", err)
	}
}
