package migrations

// Citus distributes the Postgres schema by tenant_id. Every table that has a
// tenant_id column is distributed on it, and so must carry tenant_id in its
// primary key, in every unique index and constraint, and on both sides of
// every foreign key to another tenant-owned table. Every other table is
// named below. TestCitusReadiness checks the migrated catalogue against
// these rules and these lists; infra/citus/distribute.sql is generated from
// the same catalogue and lists.

// CitusReferenceTables are the shared tables: they have no tenant_id and
// Citus copies them whole to every node (create_reference_table), so that
// tenant-owned tables on any node can join them and point foreign keys at
// them. A reference table must never point a foreign key at a tenant-owned
// table.
var CitusReferenceTables = []string{
	"check_rollup_marks", // how far the rollups are complete, for every tenant at once
	"compliance_keys",    // an MSP's sealed report-signing key, read when its customers' reports are signed
	"tenants",            // the tenant tree itself: every row-level security policy reads it
	"users",              // people, who belong to tenants through memberships
}

// CitusLocalTables stay on the coordinator only: goose's record of the
// applied migrations, which only the migrator reads.
var CitusLocalTables = []string{"goose_db_version"}
