-- +goose Up
-- Check results and their rollups (see the Postgres migration). Times are
-- Unix microseconds (UTC) so that ranges compare as integers; there is no
-- partitioning and no row-level security here: retention deletes rows and
-- services/noc/results filters every query by tenant.
CREATE TABLE check_results (
    tenant_id      TEXT    NOT NULL,
    monitor_id     TEXT    NOT NULL,
    checked_at     INTEGER NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('up', 'degraded', 'down', 'unknown')),
    latency_us     INTEGER NOT NULL DEFAULT 0,
    reason         TEXT    NOT NULL DEFAULT '' CHECK (length(reason) <= 64),
    message        TEXT    NOT NULL DEFAULT '' CHECK (length(message) <= 1024),
    metrics        TEXT,
    in_maintenance INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, monitor_id, checked_at)
);
CREATE INDEX check_results_checked_at ON check_results (checked_at);

CREATE TABLE check_rollups (
    tenant_id         TEXT    NOT NULL,
    monitor_id        TEXT    NOT NULL,
    bucket            TEXT    NOT NULL CHECK (bucket IN ('hour', 'day')),
    bucket_start      INTEGER NOT NULL,
    up_count          INTEGER NOT NULL DEFAULT 0,
    degraded_count    INTEGER NOT NULL DEFAULT 0,
    down_count        INTEGER NOT NULL DEFAULT 0,
    unknown_count     INTEGER NOT NULL DEFAULT 0,
    maintenance_count INTEGER NOT NULL DEFAULT 0,
    latency_count     INTEGER NOT NULL DEFAULT 0,
    latency_sum_us    INTEGER NOT NULL DEFAULT 0,
    latency_min_us    INTEGER NOT NULL DEFAULT 0,
    latency_max_us    INTEGER NOT NULL DEFAULT 0,
    latency_hist      TEXT    NOT NULL DEFAULT '[]',
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, monitor_id, bucket, bucket_start)
);

CREATE TABLE check_rollup_marks (
    bucket  TEXT    PRIMARY KEY CHECK (bucket IN ('hour', 'day')),
    through INTEGER NOT NULL
);

-- +goose Down
DROP TABLE check_rollup_marks;
DROP TABLE check_rollups;
DROP TABLE check_results;
