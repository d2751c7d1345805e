-- +goose Up
-- Compliance (services/compliance): each tenant's Statement of
-- Applicability (one row per control of the provider's library it has
-- decided on), exceptions with an expiry, attestations and access reviews
-- made by a person, the runs of automated tests with their evidence
-- snapshots, and signed reports. Runs, attestations and reports are
-- immutable: their policies let rows be read and added, never changed.
-- The report signing key ring is the provider's, sealed, and read on the
-- privileged path only. Row-level security as in 00003.
CREATE TABLE compliance_controls (
  tenant_id     varchar(40)   NOT NULL REFERENCES tenants (id),
  control_id    varchar(40)   NOT NULL,
  applicable    boolean       NOT NULL,
  justification varchar(2000) NOT NULL DEFAULT '',
  owner_id      varchar(40)   NOT NULL DEFAULT '',
  updated_at    timestamptz   NOT NULL,
  updated_by    varchar(40)   NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, control_id)
);

CREATE TABLE compliance_exceptions (
  tenant_id   varchar(40)   NOT NULL REFERENCES tenants (id),
  id          varchar(40)   NOT NULL,
  control_id  varchar(40)   NOT NULL,
  reason      varchar(2000) NOT NULL,
  expires_at  timestamptz   NOT NULL,
  created_by  varchar(40)   NOT NULL DEFAULT '',
  created_at  timestamptz   NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX compliance_exceptions_control ON compliance_exceptions (tenant_id, control_id, expires_at);

CREATE TABLE compliance_attestations (
  tenant_id   varchar(40)   NOT NULL REFERENCES tenants (id),
  id          varchar(40)   NOT NULL,
  control_id  varchar(40)   NOT NULL,
  kind        text          NOT NULL CHECK (kind IN ('attestation', 'access_review')),
  name        varchar(200)  NOT NULL,
  statement   varchar(4000) NOT NULL DEFAULT '',
  attested_at timestamptz   NOT NULL,
  user_id     varchar(40)   NOT NULL,
  created_at  timestamptz   NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX compliance_attestations_kind ON compliance_attestations (tenant_id, kind, attested_at);

CREATE TABLE compliance_runs (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  id          varchar(40) NOT NULL,
  test_id     varchar(40) NOT NULL,
  control_id  varchar(40) NOT NULL,
  period_from timestamptz NOT NULL,
  period_to   timestamptz NOT NULL,
  ran_at      timestamptz NOT NULL,
  status      varchar(16) NOT NULL,
  passed      integer     NOT NULL,
  failed      integer     NOT NULL,
  sha256      varchar(64) NOT NULL,
  snapshot    text        NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX compliance_runs_test ON compliance_runs (tenant_id, test_id, ran_at);

CREATE TABLE compliance_reports (
  tenant_id   varchar(40)  NOT NULL REFERENCES tenants (id),
  id          varchar(40)  NOT NULL,
  framework   varchar(40)  NOT NULL,
  format      varchar(8)   NOT NULL CHECK (format IN ('json', 'csv', 'pdf')),
  period_from timestamptz  NOT NULL,
  period_to   timestamptz  NOT NULL,
  sha256      varchar(64)  NOT NULL,
  key_id      varchar(64)  NOT NULL,
  size        bigint       NOT NULL,
  body        bytea        NOT NULL,
  created_by  varchar(40)  NOT NULL DEFAULT '',
  created_at  timestamptz  NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX compliance_reports_created ON compliance_reports (tenant_id, created_at);

CREATE TABLE compliance_keys (
  provider_id varchar(40) NOT NULL PRIMARY KEY,
  sealed      text        NOT NULL,
  updated_at  timestamptz NOT NULL
);

ALTER TABLE compliance_controls ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_controls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON compliance_controls
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE compliance_exceptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_exceptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON compliance_exceptions
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

ALTER TABLE compliance_attestations ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_attestations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON compliance_attestations FOR SELECT
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
CREATE POLICY tenant_append ON compliance_attestations FOR INSERT
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE compliance_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON compliance_runs FOR SELECT
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
CREATE POLICY tenant_append ON compliance_runs FOR INSERT
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
ALTER TABLE compliance_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON compliance_reports FOR SELECT
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
CREATE POLICY tenant_append ON compliance_reports FOR INSERT
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

REVOKE UPDATE ON compliance_attestations, compliance_runs, compliance_reports FROM opsward_app;
CREATE POLICY tenant_purge ON compliance_attestations FOR DELETE USING (opsward_privileged());
CREATE POLICY tenant_purge ON compliance_runs FOR DELETE USING (opsward_privileged());
CREATE POLICY tenant_purge ON compliance_reports FOR DELETE USING (opsward_privileged());

ALTER TABLE compliance_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY privileged_only ON compliance_keys
  USING (opsward_privileged()) WITH CHECK (opsward_privileged());

-- +goose Down
DROP TABLE compliance_keys;
DROP TABLE compliance_reports;
DROP TABLE compliance_runs;
DROP TABLE compliance_attestations;
DROP TABLE compliance_exceptions;
DROP TABLE compliance_controls;
