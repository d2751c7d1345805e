-- +goose Up
-- Stripe collection. stripe_customers says which customers Stripe
-- collects from (a row exists only once a Stripe key is configured and
-- the customer was provisioned or is being), its Stripe ids and its
-- dunning state; stripe_items maps each of its subscription's prices (the
-- base fee, then one per metered component) to Stripe's ids.
-- stripe_usage_reports are the usage records to push, one per usage line
-- of a closed invoice: the idempotency key is derived from that line, so
-- a retried or killed push sends the same key and Stripe counts it once.
-- stripe_events holds every webhook event by Stripe's id, so that an
-- event delivered twice is processed once.
CREATE TABLE stripe_customers (
  tenant_id        varchar(40)  NOT NULL PRIMARY KEY,
  customer_id      varchar(255) NOT NULL DEFAULT '',
  subscription_id  varchar(255) NOT NULL DEFAULT '',
  subscription_status varchar(32) NOT NULL DEFAULT '',
  state            varchar(16)  NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'active', 'past_due', 'suspended', 'canceled')),
  past_due_since   timestamptz,
  -- When Stripe created the event that last moved the state: an older
  -- event delivered late (Stripe does not keep order) moves nothing.
  state_event_at   timestamptz,
  reminded_at      timestamptz,
  reminders        integer      NOT NULL DEFAULT 0,
  last_invoice_id  varchar(255) NOT NULL DEFAULT '',
  created_at       timestamptz  NOT NULL,
  updated_at       timestamptz  NOT NULL
);
CREATE INDEX stripe_customers_customer ON stripe_customers (customer_id);

CREATE TABLE stripe_items (
  tenant_id  varchar(40)  NOT NULL,
  meter      varchar(64)  NOT NULL,
  price_id   varchar(255) NOT NULL,
  item_id    varchar(255) NOT NULL,
  PRIMARY KEY (tenant_id, meter)
);

CREATE TABLE stripe_usage_reports (
  tenant_id   varchar(40)  NOT NULL,
  idem_key    varchar(200) NOT NULL,
  invoice_id  varchar(40)  NOT NULL,
  meter       varchar(64)  NOT NULL,
  quantity    bigint       NOT NULL CHECK (quantity >= 0),
  at          timestamptz  NOT NULL,
  sent_at     timestamptz,
  PRIMARY KEY (tenant_id, idem_key)
);
CREATE INDEX stripe_usage_reports_unsent ON stripe_usage_reports (tenant_id) WHERE sent_at IS NULL;

CREATE TABLE stripe_events (
  id           varchar(255) NOT NULL PRIMARY KEY,
  type         varchar(100) NOT NULL,
  tenant_id    varchar(40)  NOT NULL DEFAULT '',
  received_at  timestamptz  NOT NULL
);

ALTER TABLE stripe_customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON stripe_customers
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE stripe_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON stripe_items
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE stripe_usage_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_usage_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON stripe_usage_reports
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
-- Events arrive before anyone knows whose they are: the webhook's
-- privileged path only.
ALTER TABLE stripe_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_events FORCE ROW LEVEL SECURITY;
CREATE POLICY privileged_only ON stripe_events
  USING (opsward_privileged()) WITH CHECK (opsward_privileged());

-- +goose Down
DROP TABLE stripe_events;
DROP TABLE stripe_usage_reports;
DROP TABLE stripe_items;
DROP TABLE stripe_customers;
