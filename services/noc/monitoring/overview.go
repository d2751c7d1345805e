package monitoring

import (
	"context"
	"sort"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/results"
)

// MaxOverviewTenants bounds one overview question (a page of customers).
const MaxOverviewTenants = 100

// TenantFigures are a tenant's NOC figures on the MSP overview, counting
// the tenant and every tenant below it (a customer's organizations).
type TenantFigures struct {
	Monitors      int
	MonitorsDown  int
	OpenIncidents int // not resolved: triggered or acknowledged
	// SLAsAtRisk counts the monitors with an SLA target whose uptime over
	// the current SLA period so far (noc.SLAPeriodStart to now) puts it at
	// risk (noc.SLA.AtRisk): breached, or with more than
	// noc.SLARiskShare of its error budget spent.
	SLAsAtRisk int
}

// Overview computes the figures of each tenant named, in a bounded number
// of statements whatever their number: two for the tenants' subtrees, one
// for monitors by tenant and status, one for open incidents by tenant, one
// for the monitors with an SLA, and the grouped result counts of the SLA
// period (results.Store.StateCounts). Every read goes through the actor's
// scope: a tenant out of reach is missing from the answer, as if it did
// not exist.
func (s *Service) Overview(ctx context.Context, tenantIDs []string) (map[string]TenantFigures, error) {
	if len(tenantIDs) > MaxOverviewTenants {
		return nil, opsward.FieldErrorf("first", "the overview covers at most %d tenants at once", MaxOverviewTenants)
	}
	out := make(map[string]TenantFigures, len(tenantIDs))
	if len(tenantIDs) == 0 {
		return out, nil
	}
	rootOf, err := s.Tenants.Subtrees(ctx, tenantIDs)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rootOf))
	for id, root := range rootOf {
		ids = append(ids, id)
		out[root] = TenantFigures{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	sort.Strings(ids)
	bump := func(tenantID string, f func(*TenantFigures)) {
		root, ok := rootOf[tenantID]
		if !ok {
			return
		}
		v := out[root]
		f(&v)
		out[root] = v
	}

	var byStatus []struct {
		TenantID string `json:"tenant_id"`
		Status   string `json:"status"`
		Count    int    `json:"count"`
	}
	if err := s.Client.Monitor.Query().Where(monitor.TenantIDIn(ids...)).
		GroupBy(monitor.FieldTenantID, monitor.FieldStatus).Aggregate(ent.Count()).Scan(ctx, &byStatus); err != nil {
		return nil, storageErr(err)
	}
	for _, r := range byStatus {
		bump(r.TenantID, func(f *TenantFigures) {
			f.Monitors += r.Count
			if r.Status == string(monitor.StatusDown) {
				f.MonitorsDown += r.Count
			}
		})
	}

	var open []struct {
		TenantID string `json:"tenant_id"`
		Count    int    `json:"count"`
	}
	if err := s.Client.Incident.Query().Where(incident.TenantIDIn(ids...), incident.StatusNEQ(incident.StatusResolved)).
		GroupBy(incident.FieldTenantID).Aggregate(ent.Count()).Scan(ctx, &open); err != nil {
		return nil, storageErr(err)
	}
	for _, r := range open {
		bump(r.TenantID, func(f *TenantFigures) { f.OpenIncidents += r.Count })
	}

	withSLA, err := s.Client.Monitor.Query().Where(monitor.TenantIDIn(ids...), monitor.SLATargetNotNil()).
		Select(monitor.FieldID, monitor.FieldTenantID, monitor.FieldIntervalSeconds, monitor.FieldSLATarget).All(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if len(withSLA) == 0 {
		return out, nil
	}
	slaTenants := map[string]bool{}
	for _, m := range withSLA {
		slaTenants[m.TenantID] = true
	}
	tids := make([]string, 0, len(slaTenants))
	for id := range slaTenants {
		tids = append(tids, id)
	}
	sort.Strings(tids)
	now := s.now()
	from := noc.SLAPeriodStart(now)
	counts, err := s.ResultStore.StateCounts(ctx, tids, from, now)
	if err != nil {
		return nil, err
	}
	for _, m := range withSLA {
		sum := counts[m.ID]
		r := report(&results.Uptime{Summary: sum}, time.Duration(m.IntervalSeconds)*time.Second, from, now)
		if (noc.SLA{Target: *m.SLATarget}).AtRisk(r) {
			bump(m.TenantID, func(f *TenantFigures) { f.SLAsAtRisk++ })
		}
	}
	return out, nil
}
