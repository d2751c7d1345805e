-- +goose Up
-- What each tenant ingested per UTC day (YYYYMMDD): the durable side of
-- the per-tenant ingest quota. Redis counts the day's bytes for the
-- admission check; when Redis comes back empty, the count starts again
-- from this table, so a restart does not hand a tenant a fresh day.
-- Written every few seconds from what the ingest process admitted.
CREATE TABLE ingest_usage (
  tenant_id  varchar(40) NOT NULL,
  day        varchar(8)  NOT NULL,
  events     bigint      NOT NULL DEFAULT 0 CHECK (events >= 0),
  bytes      bigint      NOT NULL DEFAULT 0 CHECK (bytes >= 0),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, day)
);

ALTER TABLE ingest_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingest_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ingest_usage
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE ingest_usage;
