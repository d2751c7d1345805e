-- +goose Up
-- The scheduled job that produced a check result ("<monitor>@<slot ms>";
-- NULL for other results). A check's job is acknowledged after its result
-- is stored; a job run again because its worker died before the
-- acknowledgement finds its first run's result by this id and stores no
-- second one.
ALTER TABLE check_results ADD COLUMN run_id varchar(80);

-- +goose Down
ALTER TABLE check_results DROP COLUMN run_id;
