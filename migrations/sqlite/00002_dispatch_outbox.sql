-- +goose Up
-- Jobs enqueued in the same transaction as the write that causes them
-- (services/dispatch EnqueueTx); a relay moves them to Redis and deletes
-- them. Rows live for moments.
CREATE TABLE dispatch_outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT    NOT NULL UNIQUE,
    tenant_id     TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    run_at_ms     INTEGER NOT NULL DEFAULT 0,
    dedup_key     TEXT    NOT NULL DEFAULT '',
    max_attempts  INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
);

-- +goose Down
DROP TABLE dispatch_outbox;
