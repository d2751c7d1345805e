-- +goose Up
-- Compliance (see the Postgres migration). Times are Unix microseconds
-- (UTC); no row-level security here: the compliance store filters every
-- query by tenant. Triggers keep runs, attestations and reports
-- unchangeable, as the Postgres policies do.
CREATE TABLE compliance_controls (
  tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
  control_id    TEXT    NOT NULL,
  applicable    INTEGER NOT NULL,
  justification TEXT    NOT NULL DEFAULT '',
  owner_id      TEXT    NOT NULL DEFAULT '',
  updated_at    INTEGER NOT NULL,
  updated_by    TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, control_id)
);

CREATE TABLE compliance_exceptions (
  tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
  id          TEXT    NOT NULL,
  control_id  TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  expires_at  INTEGER NOT NULL,
  created_by  TEXT    NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX compliance_exceptions_control ON compliance_exceptions (tenant_id, control_id, expires_at);

CREATE TABLE compliance_attestations (
  tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
  id          TEXT    NOT NULL,
  control_id  TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('attestation', 'access_review')),
  name        TEXT    NOT NULL,
  statement   TEXT    NOT NULL DEFAULT '',
  attested_at INTEGER NOT NULL,
  user_id     TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX compliance_attestations_kind ON compliance_attestations (tenant_id, kind, attested_at);

CREATE TABLE compliance_runs (
  tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
  id          TEXT    NOT NULL,
  test_id     TEXT    NOT NULL,
  control_id  TEXT    NOT NULL,
  period_from INTEGER NOT NULL,
  period_to   INTEGER NOT NULL,
  ran_at      INTEGER NOT NULL,
  status      TEXT    NOT NULL,
  passed      INTEGER NOT NULL,
  failed      INTEGER NOT NULL,
  sha256      TEXT    NOT NULL,
  snapshot    TEXT    NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX compliance_runs_test ON compliance_runs (tenant_id, test_id, ran_at);

CREATE TABLE compliance_reports (
  tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
  id          TEXT    NOT NULL,
  framework   TEXT    NOT NULL,
  format      TEXT    NOT NULL CHECK (format IN ('json', 'csv', 'pdf')),
  period_from INTEGER NOT NULL,
  period_to   INTEGER NOT NULL,
  sha256      TEXT    NOT NULL,
  key_id      TEXT    NOT NULL,
  size        INTEGER NOT NULL,
  body        BLOB    NOT NULL,
  created_by  TEXT    NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX compliance_reports_created ON compliance_reports (tenant_id, created_at);

CREATE TABLE compliance_keys (
  provider_id TEXT    NOT NULL PRIMARY KEY,
  sealed      TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER compliance_runs_immutable BEFORE UPDATE ON compliance_runs
BEGIN SELECT RAISE(ABORT, 'compliance runs are immutable'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER compliance_attestations_immutable BEFORE UPDATE ON compliance_attestations
BEGIN SELECT RAISE(ABORT, 'attestations are immutable'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER compliance_reports_immutable BEFORE UPDATE ON compliance_reports
BEGIN SELECT RAISE(ABORT, 'reports are immutable'); END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE compliance_keys;
DROP TABLE compliance_reports;
DROP TABLE compliance_runs;
DROP TABLE compliance_attestations;
DROP TABLE compliance_exceptions;
DROP TABLE compliance_controls;
