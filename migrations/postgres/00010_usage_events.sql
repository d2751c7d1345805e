-- +goose Up
-- Usage events: what billing meters, recorded with the work they measure
-- (a check result batch, an ingest batch, a report). The key is the
-- idempotency key: the same (tenant, meter, key) recorded twice, or
-- concurrently, is stored once (INSERT … ON CONFLICT DO NOTHING).
--
-- Not partitioned by time yet: the idempotency key must be unique across
-- the whole table, and a partitioned table's unique key must hold the
-- partition key. When this table moves onto internal/batch's daily
-- partitions, the key becomes (tenant_id, meter, idempotency_key,
-- occurred_at) with callers deriving keys that carry the day.
--
-- invoice_id is the invoice that billed the event (NULL: not yet billed);
-- an event whose period closed before it arrived is billed, marked late,
-- on the next invoice.
CREATE TABLE usage_events (
  tenant_id        varchar(40)  NOT NULL,
  meter            varchar(40)  NOT NULL,
  idempotency_key  varchar(255) NOT NULL,
  quantity         bigint       NOT NULL CHECK (quantity >= 0),
  value            varchar(255) NOT NULL DEFAULT '',
  occurred_at      timestamptz  NOT NULL,
  received_at      timestamptz  NOT NULL,
  invoice_id       varchar(40),
  PRIMARY KEY (tenant_id, meter, idempotency_key)
);
CREATE INDEX usage_events_time ON usage_events (tenant_id, occurred_at);
CREATE INDEX usage_events_unbilled ON usage_events (tenant_id, received_at) WHERE invoice_id IS NULL;

ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_events
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE usage_events;
