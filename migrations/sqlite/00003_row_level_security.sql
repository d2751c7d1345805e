-- +goose Up
-- SQLite has no row-level security; this version keeps both dialects at
-- the same number. The embedded default relies on the application's
-- tenant filter (ent/schema/scoping.go).
SELECT 1;

-- +goose Down
SELECT 1;
