package billing

import (
	"slices"
	"strings"
	"time"
)

// Plan IDs. They are stored in subscriptions.plan and never renamed.
const (
	PlanEssentials   = "essentials"
	PlanProfessional = "professional"
	PlanEnterprise   = "enterprise"
)

// DefaultPlan applies to a customer with no subscription row, or whose
// subscription is canceled.
const DefaultPlan = PlanEssentials

// ProviderPlan is the plan of the provider tenant (the MSP itself).
const ProviderPlan = PlanEnterprise

// Currency of every price in the catalogue (ISO 4217).
const Currency = "EUR"

// Plan is what a subscription entitles a tenant to. The values are the
// plan's limits; dispatch reads Weight and MaxConcurrency, the NOC reads
// MaxMonitors and MinInterval, the SOC (later) EventsPerSecond and
// BytesPerDay.
type Plan struct {
	ID   string // stable identifier, stored in subscriptions.plan
	Name string // display name

	// MaxMonitors is how many monitors the customer may have, counting
	// those of its organizations.
	MaxMonitors int
	// MinInterval is the shortest check interval a monitor may have.
	MinInterval time.Duration
	// Weight is the tenant's share of worker time against other tenants
	// with work ready (weighted fair order); at least 1.
	Weight int
	// MaxConcurrency caps the tenant's jobs in flight across all workers.
	MaxConcurrency int
	// RetentionDays is how long check results and events are kept.
	RetentionDays int
	// EventsPerSecond is the sustained security event ingest rate.
	EventsPerSecond int
	// BytesPerDay is the security event volume included per day.
	BytesPerDay int64
	// MonthlyPrice is the list price per month in minor units of Currency
	// (cents). Money is never a float.
	MonthlyPrice int64
}

const gib = int64(1) << 30

// catalogue is every plan, cheapest first. The numbers:
//
//	plan          monitors  min interval  weight  concurrency  retention  events/s  bytes/day  price/month
//	essentials          50         5 min       1            2    30 days        50      1 GiB       €49.00
//	professional       500          60 s       4            8    90 days       500     10 GiB      €299.00
//	enterprise      10,000          30 s      16           32   365 days     5,000    100 GiB    €1,490.00
//
// Weights grow with price so that a busier plan drains its queue faster,
// but a weight-1 tenant still gets a share whenever it has work ready.
// Concurrency caps keep one tenant's slow probes (timeouts) from holding
// every worker.
var catalogue = []Plan{
	{
		ID: PlanEssentials, Name: "Essentials",
		MaxMonitors: 50, MinInterval: 5 * time.Minute, Weight: 1, MaxConcurrency: 2,
		RetentionDays: 30, EventsPerSecond: 50, BytesPerDay: 1 * gib, MonthlyPrice: 4900,
	},
	{
		ID: PlanProfessional, Name: "Professional",
		MaxMonitors: 500, MinInterval: 60 * time.Second, Weight: 4, MaxConcurrency: 8,
		RetentionDays: 90, EventsPerSecond: 500, BytesPerDay: 10 * gib, MonthlyPrice: 29900,
	},
	{
		ID: PlanEnterprise, Name: "Enterprise",
		MaxMonitors: 10000, MinInterval: 30 * time.Second, Weight: 16, MaxConcurrency: 32,
		RetentionDays: 365, EventsPerSecond: 5000, BytesPerDay: 100 * gib, MonthlyPrice: 149000,
	},
}

// Catalogue returns every plan, cheapest first. The slice is a copy.
func Catalogue() []Plan { return slices.Clone(catalogue) }

// PlanByID returns the plan with the given id.
func PlanByID(id string) (Plan, bool) {
	for _, p := range catalogue {
		if p.ID == id {
			return p, true
		}
	}
	return Plan{}, false
}

// planIDs lists the known plan ids, for error messages.
func planIDs() string {
	ids := make([]string, len(catalogue))
	for i, p := range catalogue {
		ids[i] = p.ID
	}
	return strings.Join(ids, ", ")
}

func mustPlan(id string) Plan {
	p, ok := PlanByID(id)
	if !ok {
		panic("billing: plan " + id + " is not in the catalogue")
	}
	return p
}
