-- +goose Up
-- The scheduled job that produced a check result (see the Postgres
-- migration).
ALTER TABLE check_results ADD COLUMN run_id TEXT CHECK (run_id IS NULL OR length(run_id) <= 80);

-- +goose Down
ALTER TABLE check_results DROP COLUMN run_id;
