-- +goose Up
-- What each tenant ingested per UTC day (see the Postgres migration).
-- updated_at is Unix microseconds (UTC).
CREATE TABLE ingest_usage (
    tenant_id  TEXT    NOT NULL,
    day        TEXT    NOT NULL CHECK (length(day) = 8),
    events     INTEGER NOT NULL DEFAULT 0 CHECK (events >= 0),
    bytes      INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day)
);

-- +goose Down
DROP TABLE ingest_usage;
