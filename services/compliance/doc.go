// Package compliance turns the evidence Opsward already holds into
// compliance work for each customer: frameworks (SOC 2, ISO/IEC 27001,
// PCI DSS, HIPAA, NIST CSF) as embedded, versioned data with a
// requirement tree and mappings between frameworks; the provider's
// control library mapped to requirements; each tenant's Statement of
// Applicability, owners, statuses and exceptions; automated tests that
// judge every resource from the NOC, SOC and tenancy facts and keep an
// immutable, hashed evidence snapshot of each run; and signed reports
// (JSON, CSV, PDF).
//
// It reads the other services only through the Source interface, which
// cmd/opsward implements with their public functions: it must never read
// their tables. Every tenant row it keeps is scoped by the actor in the
// context (and by row-level security on Postgres); cross-tenant work
// (the monthly schedule, the provider's posture table) goes through
// tenants.Privileged. The requirement descriptions are written here in
// our own words: never copy a standard's text into this package.
package compliance
