package graph

import (
	"log/slog"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/agents"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/services/soc/cases"
	"github.com/opsward/opsward/services/soc/detect"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/services/soc/response"
	"github.com/opsward/opsward/services/soc/syslog"
	"github.com/opsward/opsward/tenants"
)

// Resolver is the dependency root of the GraphQL gateway. Resolvers are a
// few lines that call a service; they never add tenant filters
// themselves: the storage layer applies the tenant from the context.
type Resolver struct {
	Client  *ent.Client
	Tenancy *tenants.Service
	Billing *billing.Service
	// Ledger is the price book, plan changes between versions, usage and
	// invoices.
	Ledger *billing.Ledger
	// Collection is how invoices are collected (manual or Stripe).
	Collection *billing.Collection
	// Dispatch is the job system; Schedules is what it is rebuilt from.
	Dispatch  *dispatch.Client
	Schedules dispatch.Source
	// NOC keeps assets, monitors and incidents; NOCEvents feeds its
	// subscriptions.
	NOC       *monitoring.Service
	NOCEvents *monitoring.Events
	// Agents keeps probe locations and remote agents.
	Agents *agents.Service
	// SOC: detection, alerts, log sources and rules (SOC), cases (Cases),
	// indicator lists and playbooks (Response).
	SOC      *detect.Service
	Cases    *cases.Service
	Response *response.Service
	// Compliance: controls, tests and signed reports.
	Compliance *compliance.Service
	// SecurityEvents reads stored events; SyslogStats counts the listener's
	// messages (nil when it does not run).
	EventStore  *events.Store
	SyslogStats func() syslog.Stats
	Logger      *slog.Logger
	Info        model.ServerInfo
}
