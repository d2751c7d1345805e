-- +goose Up
-- Postgres only (how a day's partition takes its rows); SQLite has no
-- partitions.
SELECT 1;

-- +goose Down
SELECT 1;
