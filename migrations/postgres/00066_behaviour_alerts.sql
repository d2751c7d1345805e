-- +goose Up
-- Behaviour analytics (services/soc/ueba) raises alerts of its own source.
ALTER TABLE alerts DROP CONSTRAINT alerts_source_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_source_check CHECK (source IN ('sigma', 'indicator', 'noc', 'manual', 'behaviour'));

-- +goose Down
DELETE FROM alerts WHERE source = 'behaviour';
ALTER TABLE alerts DROP CONSTRAINT alerts_source_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_source_check CHECK (source IN ('sigma', 'indicator', 'noc', 'manual'));
