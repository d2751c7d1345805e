-- +goose Up
-- Opsward invoices settled on Stripe (see the Postgres migration of the
-- same number). Times are Unix microseconds (UTC).
ALTER TABLE invoices ADD COLUMN stripe_invoice_id TEXT;
ALTER TABLE invoices ADD COLUMN stripe_settled_at INTEGER;
CREATE INDEX invoices_stripe_invoice ON invoices (stripe_invoice_id) WHERE stripe_invoice_id IS NOT NULL;
ALTER TABLE stripe_items ADD COLUMN unit_amount INTEGER;
ALTER TABLE stripe_items ADD COLUMN version_id TEXT;

-- +goose Down
ALTER TABLE stripe_items DROP COLUMN version_id;
ALTER TABLE stripe_items DROP COLUMN unit_amount;
DROP INDEX invoices_stripe_invoice;
ALTER TABLE invoices DROP COLUMN stripe_settled_at;
ALTER TABLE invoices DROP COLUMN stripe_invoice_id;
