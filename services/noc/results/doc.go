// Package results stores what monitors' checks produce: raw results
// written in batches, hourly and daily rollups, uptime and latency
// percentiles over any range, and retention.
//
// On Postgres, raw results live in check_results, partitioned by UTC day;
// the Writer moves them in through the shared bulk store (internal/batch)
// with COPY (through a per-connection staging
// table, because Postgres refuses COPY FROM into a table with row-level
// security) and retention drops whole partitions. On SQLite the same
// columns sit in a plain table written with multi-row INSERTs.
//
// Reads (Results, Uptime) run with the caller's context and are scoped to
// the acting tenant by an explicit filter, under row-level security on
// Postgres. Writing, rolling up and retention are system work across
// tenants and run on the privileged path. The package must never read a
// result for a caller without a tenant.
package results
