-- +goose Up
-- Allowance warnings sent (see the Postgres migration). Times are Unix
-- microseconds (UTC).
CREATE TABLE usage_warnings (
    tenant_id    TEXT    NOT NULL,
    period_start INTEGER NOT NULL,
    meter        TEXT    NOT NULL,
    threshold    INTEGER NOT NULL CHECK (threshold IN (80, 100)),
    used         INTEGER NOT NULL,
    included     INTEGER NOT NULL,
    sent_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, period_start, meter, threshold)
);

-- +goose Down
DROP TABLE usage_warnings;
