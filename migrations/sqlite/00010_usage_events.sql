-- +goose Up
-- Usage events (see the Postgres migration). Times are Unix microseconds
-- (UTC). No row-level security here: the billing usage store filters
-- every query by tenant.
CREATE TABLE usage_events (
    tenant_id       TEXT    NOT NULL,
    meter           TEXT    NOT NULL CHECK (length(meter) <= 40),
    idempotency_key TEXT    NOT NULL CHECK (length(idempotency_key) <= 255),
    quantity        INTEGER NOT NULL CHECK (quantity >= 0),
    value           TEXT    NOT NULL DEFAULT '' CHECK (length(value) <= 255),
    occurred_at     INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    invoice_id      TEXT,
    PRIMARY KEY (tenant_id, meter, idempotency_key)
);
CREATE INDEX usage_events_time ON usage_events (tenant_id, occurred_at);
CREATE INDEX usage_events_unbilled ON usage_events (tenant_id, received_at) WHERE invoice_id IS NULL;

-- +goose Down
DROP TABLE usage_events;
