// Package billing is what a tenant pays for and what that entitles it to:
// the plan catalogue, each customer's subscription, and the entitlements
// API the other services ask before they do work ("may this tenant add a
// monitor?", "how often may this monitor run?", "what weight and
// concurrency does this tenant get in the job queues?"), and the money
// side: meters and idempotent usage events (UsageStore), the rating
// engine (Rate: pure, exact, rounded once per line), the price book as
// data with versions, billing accounts and price phases, the period close
// into invoices, credit notes, and invoice HTML and PDF (Ledger). The
// Stripe sync will live here too.
//
// The entitlement catalogue is still code (Catalogue, PlanByID), and the
// subscription row says which plan a customer is on; the ledger's default
// price book is written from that catalogue on an empty database. An
// organization, a sub-tenant of a customer, has no row: it uses its
// customer's plan, and its monitors count against its customer's limits.
// The provider (the MSP itself) is always on enterprise.
//
// Billing must never:
//   - import a service package (services/noc, services/soc,
//     services/dispatch, …). Services ask billing; billing reports plan
//     numbers in its own types (Plan), and cmd/opsward translates them
//     for dispatch and wires counters and listeners in (MonitorCounter,
//     OnPlanChange);
//   - hold money as a float: every amount is an integer in minor units
//     (euro cents);
//   - read or change a subscription outside the actor's reach, other than
//     through the privileged paths named with tenants.Privileged here.
package billing
