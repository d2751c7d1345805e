-- +goose Up
-- Security events (see the Postgres migration). Times are Unix
-- microseconds (UTC) so that ranges compare as integers; fields is JSON
-- text read with json_each. There is no partitioning and no row-level
-- security here: retention deletes rows and services/soc/events filters
-- every query by tenant.
CREATE TABLE security_events (
    tenant_id          TEXT    NOT NULL,
    id                 TEXT    NOT NULL,
    ts                 INTEGER NOT NULL,
    received_at        INTEGER NOT NULL,
    source_id          TEXT    NOT NULL DEFAULT '',
    dataset            TEXT    NOT NULL DEFAULT '' CHECK (length(dataset) <= 128),
    category           TEXT    NOT NULL DEFAULT '' CHECK (length(category) <= 64),
    action             TEXT    NOT NULL DEFAULT '' CHECK (length(action) <= 128),
    outcome            TEXT    NOT NULL DEFAULT '' CHECK (length(outcome) <= 16),
    severity           INTEGER,
    host_name          TEXT    NOT NULL DEFAULT '' CHECK (length(host_name) <= 255),
    user_name          TEXT    NOT NULL DEFAULT '' CHECK (length(user_name) <= 255),
    source_ip          TEXT    NOT NULL DEFAULT '' CHECK (length(source_ip) <= 45),
    destination_ip     TEXT    NOT NULL DEFAULT '' CHECK (length(destination_ip) <= 45),
    destination_port   INTEGER,
    process_executable TEXT    NOT NULL DEFAULT '' CHECK (length(process_executable) <= 1024),
    event_code         TEXT    NOT NULL DEFAULT '' CHECK (length(event_code) <= 64),
    message            TEXT    NOT NULL DEFAULT '' CHECK (length(message) <= 4096),
    fields             TEXT    NOT NULL DEFAULT '{}',
    original           TEXT    NOT NULL DEFAULT '' CHECK (length(original) <= 65536),
    PRIMARY KEY (tenant_id, ts, id)
);
CREATE INDEX security_events_ts ON security_events (ts);
CREATE INDEX security_events_id ON security_events (tenant_id, id);
CREATE INDEX security_events_host ON security_events (tenant_id, host_name, ts);
CREATE INDEX security_events_user ON security_events (tenant_id, user_name, ts);
CREATE INDEX security_events_src ON security_events (tenant_id, source_ip, ts);
CREATE INDEX security_events_dst ON security_events (tenant_id, destination_ip, ts);
CREATE INDEX security_events_code ON security_events (tenant_id, event_code, ts);

-- +goose Down
DROP TABLE security_events;
