-- +goose Up
-- Allowance warnings sent: a customer that reached 80 or 100 percent of
-- an included allowance (a component's free units) in a billing period is
-- told once per period, meter and threshold. The row commits with the
-- notifications it queues (through the outbox), so a restart or a second
-- scheduler does not send them again.
CREATE TABLE usage_warnings (
  tenant_id    varchar(40) NOT NULL,
  period_start timestamptz NOT NULL,
  meter        varchar(40) NOT NULL,
  threshold    integer     NOT NULL CHECK (threshold IN (80, 100)),
  used         bigint      NOT NULL,
  included     bigint      NOT NULL,
  sent_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, period_start, meter, threshold)
);

ALTER TABLE usage_warnings ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_warnings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_warnings
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE usage_warnings;
