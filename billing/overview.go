package billing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/subscription"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/tenants"
)

// MaxOverviewTenants bounds one PlanUses question (a page of customers).
const MaxOverviewTenants = 100

// PlanUse is a customer's plan and the security events it ingested today
// (UTC), counting its organizations: the billing columns of the MSP
// overview. Monitors against the plan's MaxMonitors are the NOC's count.
type PlanUse struct {
	Plan Plan
	// Metered is false when no usage is recorded in this process (no
	// ledger): the event figures are then unknown, not zero.
	Metered         bool
	EventsToday     int64
	EventBytesToday int64
}

// PlanUses returns the plan that applies to each customer named and its
// events today, in a bounded number of statements whatever their number:
// the tenants, their subscriptions, the price versions in force (versions
// are cached) and one grouped sum of usage events. It needs billing:read.
// Tenants out of the actor's reach, and tenants that are not customers,
// are missing from the answer.
func (s *Service) PlanUses(ctx context.Context, tenantIDs []string) (map[string]PlanUse, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return nil, err
	}
	if len(tenantIDs) > MaxOverviewTenants {
		return nil, opsward.FieldErrorf("first", "the overview covers at most %d tenants at once", MaxOverviewTenants)
	}
	out := make(map[string]PlanUse, len(tenantIDs))
	if len(tenantIDs) == 0 {
		return out, nil
	}
	ts, err := s.client.Tenant.Query().Where(tenant.IDIn(tenantIDs...), tenant.KindEQ(tenant.KindCustomer)).
		Select(tenant.FieldID).All(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	if len(ts) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(ts))
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	subs, err := s.client.Subscription.Query().Where(subscription.TenantIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	byTenant := make(map[string]*ent.Subscription, len(subs))
	for _, sub := range subs {
		byTenant[sub.TenantID] = sub
	}
	now := s.now().UTC()
	led := s.priceBook()
	var booked map[string]PriceVersion
	if led != nil {
		if booked, err = led.inForce(ctx, ids, now); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		p := s.planFor(ctx, tenant.KindCustomer, byTenant[id])
		if v, ok := booked[id]; ok {
			p = v.Entitlements()
		}
		out[id] = PlanUse{Plan: p, Metered: led != nil}
	}
	if led == nil {
		return out, nil
	}
	rootOf, err := s.tenants.Subtrees(ctx, ids)
	if err != nil || len(rootOf) == 0 {
		return out, err
	}
	all := make([]any, 0, len(rootOf)+4)
	for id := range rootOf {
		all = append(all, id)
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	all = append(all, string(MeterSecurityEvents), string(MeterSecurityBytes), led.tv(day), led.tv(day.AddDate(0, 0, 1)))
	rows, err := led.db.QueryContext(ctx, led.q(`SELECT tenant_id, meter, CAST(coalesce(sum(quantity), 0) AS BIGINT) FROM usage_events
		WHERE tenant_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(rootOf)), ",")+`) AND meter IN (?, ?)
		AND occurred_at >= ? AND occurred_at < ? GROUP BY tenant_id, meter`), all...)
	if err != nil {
		return nil, storeErr(fmt.Errorf("sum usage events: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, meter string
			q         int64
		)
		if err := rows.Scan(&id, &meter, &q); err != nil {
			return nil, storeErr(err)
		}
		root := rootOf[id]
		u := out[root]
		if Meter(meter) == MeterSecurityEvents {
			u.EventsToday += q
		} else {
			u.EventBytesToday += q
		}
		out[root] = u
	}
	return out, storeErr(rows.Err())
}
