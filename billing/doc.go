// Package billing is what a tenant pays for and what that entitles it to:
// the plan catalogue, each customer's subscription, and the entitlements
// API the other services ask before they do work ("may this tenant add a
// monitor?", "how often may this monitor run?", "what weight and
// concurrency does this tenant get in the job queues?"), and the money
// side: meters and idempotent usage events (UsageStore), the rating
// engine (Rate: pure, exact, rounded once per line), the price book as
// data with versions, billing accounts and price phases, the period close
// into invoices, credit notes, and invoice HTML and PDF (Ledger); and
// collection (Collection): manual, or by Stripe through the StripeAPI
// that billing/stripeapi implements, with the webhook's events and
// dunning.
//
// Entitlements come from the price book: a customer's limits are those of
// the price version in force on its billing account (Service.SetLedger
// joins the two; Ledger.InForce). The catalogue in code (Catalogue,
// PlanByID) is only the seed: the default price book a new provider gets,
// and the limits of a version written without its own. A new customer's
// account opens in the transaction that creates it; the subscription row
// mirrors the plan in force for the queue policies of a process without a
// ledger. An organization, a sub-tenant of a customer, has neither: it
// uses its customer's plan, and its monitors count against its customer's
// limits. The provider (the MSP itself) is always on enterprise.
//
// Opsward's invoice is the invoice of record and Stripe only collects:
// contract terms (discount percent, tax rate) stay Opsward's and are not
// mirrored as Stripe coupons or tax rates. Each closed invoice is sent as
// its usage lines' rated amounts (usage records on metered prices of one
// minor unit) and one settlement invoice item for the rest (proration,
// commitment, discount, tax and credit, less the base fee the
// subscription bills), so that what Stripe collects for an invoice equals
// its total to the cent (SettlementAmount, Collection.settle). Stripe's
// invoice that carries the settlement is linked to Opsward's through the
// item's metadata, and its invoice.paid marks Opsward's invoice paid.
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
