// Package monitoring keeps the NOC's objects and runs its work: assets and
// their dependencies, monitors and their schedules, the check job (probe,
// batched result, state machine, incidents, notifications through the
// outbox), incidents and their timeline, escalation, maintenance windows,
// notification channels, uptime and SLA reports, and the events GraphQL
// subscribers follow.
//
// The rules themselves live in services/noc (pure functions); this package
// reads and writes them. Every query runs in the caller's tenant scope;
// work the platform does for a tenant (a check, an escalation, a delivery
// report) runs as a system actor whose reach is that one tenant. The only
// cross-tenant paths are the schedule rebuild, the quota count and the
// heartbeat lookup by token, each marked with tenants.Privileged.
//
// It must never reach a tenant's address except through a probe (and so
// through the egress guard), never keep a secret in clear in the database
// (monitor settings and channel secrets are sealed), and never import the
// SOC: signals leave through noc.SignalSink.
package monitoring
