-- +goose Up
-- Opsward's invoice is the invoice of record; Stripe collects it. Each
-- invoice of a Stripe customer is settled on Stripe by its usage records
-- and one invoice item carrying the rest of the invoice (proration,
-- commitment, discount, tax, credit, less the base fee the subscription
-- bills), so that what Stripe collects equals the invoice's total.
-- stripe_settled_at says that item was accepted; stripe_invoice_id is the
-- Stripe invoice that carries it (learnt from invoice.finalized, .paid or
-- .payment_failed), through which invoice.paid marks this invoice paid.
-- stripe_items.unit_amount is the amount Stripe bills for the item's
-- price per period (the base fee; NULL: not known, the version's fee),
-- version_id the price version the base price was made for: a plan
-- change moves the base item to the new version's price (no proration on
-- Stripe's side: Opsward's proration lines reach Stripe in the settlement).
ALTER TABLE invoices ADD COLUMN stripe_invoice_id varchar(255);
ALTER TABLE invoices ADD COLUMN stripe_settled_at timestamptz;
CREATE INDEX invoices_stripe_invoice ON invoices (stripe_invoice_id) WHERE stripe_invoice_id IS NOT NULL;
ALTER TABLE stripe_items ADD COLUMN unit_amount bigint;
ALTER TABLE stripe_items ADD COLUMN version_id varchar(40);

-- +goose Down
ALTER TABLE stripe_items DROP COLUMN version_id;
ALTER TABLE stripe_items DROP COLUMN unit_amount;
DROP INDEX invoices_stripe_invoice;
ALTER TABLE invoices DROP COLUMN stripe_settled_at;
ALTER TABLE invoices DROP COLUMN stripe_invoice_id;
