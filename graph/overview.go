package graph

import (
	"context"

	"entgo.io/contrib/entgql"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/tenants"
)

// customerOverview pages the customers in reach by name and fills each
// row from the services that own the figures: the NOC (monitors,
// incidents, SLAs), the SOC (alerts) and billing (the plan and its use),
// each in a bounded number of grouped statements for the whole page.
func (r *queryResolver) customerOverview(ctx context.Context, after *entgql.Cursor[string], first *int) (*model.CustomerOverviewConnection, error) {
	first, err := checkPage(first, nil)
	if err != nil {
		return nil, err
	}
	if err := tenants.Authorize(ctx, tenants.PermSOCRead); err != nil {
		return nil, err
	}
	// Paginate reads the selection under edges.node as a Tenant's: the
	// row's fields (tenant, monitors, ...) match none of Tenant's, so it
	// loads whole tenants and eager-loads nothing. A row field named like
	// a Tenant field or edge would change that.
	order := []*ent.TenantOrder{{Field: ent.TenantOrderFieldName, Direction: entgql.OrderDirectionAsc}}
	page, err := r.Client.Tenant.Query().Where(tenant.KindEQ(tenant.KindCustomer)).
		Paginate(ctx, after, first, nil, nil, ent.WithTenantOrder(order))
	if err != nil {
		return nil, mapEntError(err)
	}
	ids := make([]string, 0, len(page.Edges))
	for _, e := range page.Edges {
		ids = append(ids, e.Node.ID)
	}
	noc, err := r.NOC.Overview(ctx, ids)
	if err != nil {
		return nil, err
	}
	alerts, err := r.SOC.OpenAlertCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	// Plan usage is billing data: without billing:read the rows come
	// without it rather than the whole overview being refused.
	var plans map[string]billing.PlanUse
	if tenants.Authorize(ctx, tenants.PermBillingRead) == nil {
		if plans, err = r.Billing.PlanUses(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := &model.CustomerOverviewConnection{Edges: make([]*model.CustomerOverviewEdge, 0, len(page.Edges)),
		PageInfo: &page.PageInfo, TotalCount: page.TotalCount}
	for _, e := range page.Edges {
		f, a := noc[e.Node.ID], alerts[e.Node.ID]
		row := &model.CustomerOverview{Tenant: e.Node, Monitors: f.Monitors, MonitorsDown: f.MonitorsDown,
			OpenIncidents: f.OpenIncidents, SlasAtRisk: f.SLAsAtRisk,
			OpenAlerts: &model.OpenAlertCounts{Critical: a.Critical, High: a.High, Medium: a.Medium, Low: a.Low, Info: a.Info}}
		if u, ok := plans[e.Node.ID]; ok {
			row.PlanUsage = planUsage(u, f.Monitors)
		}
		out.Edges = append(out.Edges, &model.CustomerOverviewEdge{Node: row, Cursor: e.Cursor})
	}
	return out, nil
}

// planUsage is a customer's plan use as the schema shows it; monitors is
// the NOC's count of the customer's monitors.
func planUsage(u billing.PlanUse, monitors int) *model.PlanUsage {
	out := &model.PlanUsage{PlanID: u.Plan.ID, PlanName: u.Plan.Name, MonitorsUsed: monitors, MonitorsAllowed: u.Plan.MaxMonitors}
	if u.Metered {
		n, b := int(u.EventsToday), float64(u.EventBytesToday)
		out.EventsToday, out.EventBytesToday = &n, &b
	}
	if u.Plan.BytesPerDay > 0 {
		b := float64(u.Plan.BytesPerDay)
		out.EventBytesAllowedPerDay = &b
	}
	return out
}
