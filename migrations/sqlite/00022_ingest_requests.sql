-- +goose Up
-- Ingest batches sent with an Idempotency-Key (see the Postgres
-- migration). created_at is Unix microseconds (UTC).
CREATE TABLE ingest_requests (
    tenant_id   TEXT    NOT NULL,
    key         TEXT    NOT NULL CHECK (length(key) <= 255),
    body_sha256 TEXT    NOT NULL,
    accepted    INTEGER NOT NULL,
    alerts      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX ingest_requests_created ON ingest_requests (created_at);

-- +goose Down
DROP TABLE ingest_requests;
