-- +goose Up
-- The incident the NOC opens when every agent of a probe location has gone
-- silent: the location holds it while it is open, so that a location never
-- has two.
ALTER TABLE probe_locations ADD COLUMN silent_incident_id varchar(40);

-- +goose Down
ALTER TABLE probe_locations DROP COLUMN silent_incident_id;
