// Package events stores normalised security events: it writes them in
// batches, searches them within a tenant (a bounded time range, a small
// validated filter language, free text, keyset pages), fetches them by id
// for alerts that link to them, counts them, and keeps them only as long as
// retention allows.
//
// An event arrives as a flat map of dotted ECS names to values (the output
// of normalisation, taken as map[string]any so that this package depends on
// no parser); FromMap copies the fields that searches filter on into
// columns and keeps the whole map as JSON. Text that is too long is cut
// with a marker (Truncated) and the cut field is named in
// "opsward.truncated": an event is never refused for its size, because a
// security event dropped is evidence lost.
//
// On Postgres events live in security_events, partitioned by UTC day on the
// event's time; the Writer moves them in through the shared bulk store
// (internal/batch) with COPY through a staging table
// (Postgres refuses COPY FROM into a table with row-level security) and
// retention drops whole partitions. On SQLite the same columns sit in a
// plain table written with multi-row INSERTs.
//
// Reads (Search, Get, Count) run with the caller's context and are scoped
// to the acting tenant by an explicit filter, under row-level security on
// Postgres. Writing and retention are system work across tenants and run
// on the privileged path; every event carries its tenant. The package must
// never return an event to a caller without a tenant, never read outside
// a bounded time range, and never drop an event it has accepted.
package events
