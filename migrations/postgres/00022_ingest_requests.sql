-- +goose Up
-- Ingest batches sent with an Idempotency-Key: the key, a hash of the body
-- and the answer given. The row commits with the batch's events, so a
-- batch retried with its key is stored once and answered as the first
-- time; the same key with another body is refused. Kept for a day.
CREATE TABLE ingest_requests (
  tenant_id   varchar(40)  NOT NULL,
  key         varchar(255) NOT NULL,
  body_sha256 varchar(64)  NOT NULL,
  accepted    integer      NOT NULL,
  alerts      integer      NOT NULL DEFAULT 0,
  created_at  timestamptz  NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX ingest_requests_created ON ingest_requests (created_at);

ALTER TABLE ingest_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingest_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ingest_requests
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE ingest_requests;
