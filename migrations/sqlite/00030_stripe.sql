-- +goose Up
-- Stripe collection (see the Postgres migration). Times are Unix
-- microseconds (UTC).
CREATE TABLE stripe_customers (
  tenant_id        TEXT    NOT NULL PRIMARY KEY,
  customer_id      TEXT    NOT NULL DEFAULT '',
  subscription_id  TEXT    NOT NULL DEFAULT '',
  subscription_status TEXT NOT NULL DEFAULT '',
  state            TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'active', 'past_due', 'suspended', 'canceled')),
  past_due_since   INTEGER,
  state_event_at   INTEGER,
  reminded_at      INTEGER,
  reminders        INTEGER NOT NULL DEFAULT 0,
  last_invoice_id  TEXT    NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX stripe_customers_customer ON stripe_customers (customer_id);

CREATE TABLE stripe_items (
  tenant_id  TEXT NOT NULL,
  meter      TEXT NOT NULL,
  price_id   TEXT NOT NULL,
  item_id    TEXT NOT NULL,
  PRIMARY KEY (tenant_id, meter)
);

CREATE TABLE stripe_usage_reports (
  tenant_id   TEXT    NOT NULL,
  idem_key    TEXT    NOT NULL,
  invoice_id  TEXT    NOT NULL,
  meter       TEXT    NOT NULL,
  quantity    INTEGER NOT NULL CHECK (quantity >= 0),
  at          INTEGER NOT NULL,
  sent_at     INTEGER,
  PRIMARY KEY (tenant_id, idem_key)
);
CREATE INDEX stripe_usage_reports_unsent ON stripe_usage_reports (tenant_id) WHERE sent_at IS NULL;

CREATE TABLE stripe_events (
  id           TEXT    NOT NULL PRIMARY KEY,
  type         TEXT    NOT NULL,
  tenant_id    TEXT    NOT NULL DEFAULT '',
  received_at  INTEGER NOT NULL
);

-- +goose Down
DROP TABLE stripe_events;
DROP TABLE stripe_usage_reports;
DROP TABLE stripe_items;
DROP TABLE stripe_customers;
