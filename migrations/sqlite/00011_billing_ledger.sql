-- +goose Up
-- The price book and billing ledger (see the Postgres migration). Times are
-- Unix microseconds (UTC); no row-level security here: billing filters
-- every query by tenant.
CREATE TABLE price_versions (
  tenant_id   TEXT  NOT NULL,
  id          TEXT  NOT NULL,
  plan_id     TEXT  NOT NULL,
  version     INTEGER      NOT NULL,
  name        TEXT NOT NULL,
  doc         TEXT        NOT NULL,
  created_at  INTEGER  NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, plan_id, version)
);

CREATE TABLE billing_accounts (
  tenant_id      TEXT NOT NULL PRIMARY KEY,
  provider_id    TEXT NOT NULL,
  anchor         INTEGER NOT NULL,
  billing_interval TEXT NOT NULL,
  currency       TEXT  NOT NULL,
  discount_bp    INTEGER     NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000),
  tax_bp         INTEGER     NOT NULL DEFAULT 0 CHECK (tax_bp BETWEEN 0 AND 10000),
  credit_balance INTEGER      NOT NULL DEFAULT 0 CHECK (credit_balance >= 0),
  period_start   INTEGER NOT NULL,
  created_at     INTEGER NOT NULL
);

CREATE TABLE subscription_phases (
  tenant_id   TEXT NOT NULL,
  starts_at   INTEGER NOT NULL,
  version_id  TEXT NOT NULL,
  PRIMARY KEY (tenant_id, starts_at)
);

CREATE TABLE invoices (
  tenant_id     TEXT NOT NULL,
  id            TEXT NOT NULL,
  provider_id   TEXT NOT NULL,
  number        INTEGER,
  status        TEXT NOT NULL,
  currency      TEXT  NOT NULL,
  period_start  INTEGER NOT NULL,
  period_end    INTEGER NOT NULL,
  subtotal      INTEGER      NOT NULL,
  discount      INTEGER      NOT NULL,
  tax           INTEGER      NOT NULL,
  credit        INTEGER      NOT NULL,
  total         INTEGER      NOT NULL,
  credited      INTEGER      NOT NULL DEFAULT 0,
  lines         TEXT       NOT NULL,
  created_at    INTEGER NOT NULL,
  finalized_at  INTEGER,
  settled_at    INTEGER,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, period_start),
  UNIQUE (provider_id, number)
);

-- A credit note corrects a finalized or paid invoice: it lowers what is
-- due on it; on a paid invoice the amount becomes credit for the next.
CREATE TABLE credit_notes (
  tenant_id   TEXT NOT NULL,
  id          TEXT NOT NULL,
  invoice_id  TEXT NOT NULL,
  amount      INTEGER      NOT NULL CHECK (amount > 0),
  reason      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE invoice_numbers (
  tenant_id  TEXT NOT NULL PRIMARY KEY,
  last       INTEGER      NOT NULL
);

-- +goose Down
DROP TABLE invoice_numbers;
DROP TABLE credit_notes;
DROP TABLE invoices;
DROP TABLE subscription_phases;
DROP TABLE billing_accounts;
DROP TABLE price_versions;
