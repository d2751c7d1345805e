-- +goose Up
-- The price book and the billing ledger. price_versions belong to the
-- provider (the MSP) that sells them; a version is never changed, editing
-- a price writes the next version. billing_accounts say when each
-- customer's period starts (its anchor), its currency, contracted discount
-- and tax; subscription_phases which price version applies from when
-- (a plan change is a new phase). invoices hold the rated lines as JSON;
-- invoice numbers are sequential per provider without gaps because the
-- counter row is taken in the transaction that finalizes the invoice.
CREATE TABLE price_versions (
  tenant_id   varchar(40)  NOT NULL,
  id          varchar(40)  NOT NULL,
  plan_id     varchar(40)  NOT NULL,
  version     integer      NOT NULL,
  name        varchar(100) NOT NULL,
  doc         jsonb        NOT NULL,
  created_at  timestamptz  NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, plan_id, version)
);

CREATE TABLE billing_accounts (
  tenant_id      varchar(40) NOT NULL PRIMARY KEY,
  provider_id    varchar(40) NOT NULL,
  anchor         timestamptz NOT NULL,
  billing_interval varchar(8) NOT NULL,
  currency       varchar(3)  NOT NULL,
  discount_bp    integer     NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000),
  tax_bp         integer     NOT NULL DEFAULT 0 CHECK (tax_bp BETWEEN 0 AND 10000),
  credit_balance bigint      NOT NULL DEFAULT 0 CHECK (credit_balance >= 0),
  period_start   timestamptz NOT NULL,
  created_at     timestamptz NOT NULL
);

CREATE TABLE subscription_phases (
  tenant_id   varchar(40) NOT NULL,
  starts_at   timestamptz NOT NULL,
  version_id  varchar(40) NOT NULL,
  PRIMARY KEY (tenant_id, starts_at)
);

CREATE TABLE invoices (
  tenant_id     varchar(40) NOT NULL,
  id            varchar(40) NOT NULL,
  provider_id   varchar(40) NOT NULL,
  number        bigint,
  status        varchar(16) NOT NULL,
  currency      varchar(3)  NOT NULL,
  period_start  timestamptz NOT NULL,
  period_end    timestamptz NOT NULL,
  subtotal      bigint      NOT NULL,
  discount      bigint      NOT NULL,
  tax           bigint      NOT NULL,
  credit        bigint      NOT NULL,
  total         bigint      NOT NULL,
  credited      bigint      NOT NULL DEFAULT 0,
  lines         jsonb       NOT NULL,
  created_at    timestamptz NOT NULL,
  finalized_at  timestamptz,
  settled_at    timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, period_start),
  UNIQUE (provider_id, number)
);

-- A credit note corrects a finalized or paid invoice: it lowers what is
-- due on it; on a paid invoice the amount becomes credit for the next.
CREATE TABLE credit_notes (
  tenant_id   varchar(40) NOT NULL,
  id          varchar(40) NOT NULL,
  invoice_id  varchar(40) NOT NULL,
  amount      bigint      NOT NULL CHECK (amount > 0),
  reason      varchar(500) NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE invoice_numbers (
  tenant_id  varchar(40) NOT NULL PRIMARY KEY,
  last       bigint      NOT NULL
);

ALTER TABLE price_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE price_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON price_versions
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE billing_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_accounts
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE subscription_phases ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscription_phases FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON subscription_phases
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoices
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE invoice_numbers ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_numbers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoice_numbers
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE credit_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE credit_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON credit_notes
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE invoice_numbers;
DROP TABLE credit_notes;
DROP TABLE invoices;
DROP TABLE subscription_phases;
DROP TABLE billing_accounts;
DROP TABLE price_versions;
