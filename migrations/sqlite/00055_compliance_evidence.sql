-- +goose Up
-- Manual compliance evidence and the monthly report schedule (see the
-- Postgres migration of the same number). SQLite cannot drop a NOT NULL,
-- so the evidence table is rebuilt with its rows.
CREATE TABLE evidences_new (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  name varchar(300) NOT NULL,
  content_type varchar(100) NOT NULL DEFAULT 'application/octet-stream',
  size integer NOT NULL,
  sha256 varchar(64) NOT NULL,
  content blob NOT NULL,
  added_by varchar(40) NOT NULL DEFAULT '',
  created_at datetime NOT NULL,
  custody blob,
  case_id varchar(40),
  control_id varchar(40),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, case_id) REFERENCES security_cases (tenant_id, id) ON DELETE CASCADE,
  CHECK ((case_id IS NULL) <> (control_id IS NULL))
);
INSERT INTO evidences_new (id, tenant_id, name, content_type, size, sha256, content, added_by, created_at, custody, case_id)
  SELECT id, tenant_id, name, content_type, size, sha256, content, added_by, created_at, custody, case_id FROM evidences;
DROP TABLE evidences;
ALTER TABLE evidences_new RENAME TO evidences;
CREATE INDEX evidence_tenant_id ON evidences (tenant_id);
CREATE INDEX evidence_control ON evidences (tenant_id, control_id) WHERE control_id IS NOT NULL;

CREATE TABLE compliance_report_schedules (
  tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
  frameworks  TEXT    NOT NULL,
  channel_ids TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id)
);

-- +goose Down
DROP TABLE compliance_report_schedules;
DELETE FROM evidences WHERE control_id IS NOT NULL;
CREATE TABLE evidences_old (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  name varchar(300) NOT NULL,
  content_type varchar(100) NOT NULL DEFAULT 'application/octet-stream',
  size integer NOT NULL,
  sha256 varchar(64) NOT NULL,
  content blob NOT NULL,
  added_by varchar(40) NOT NULL DEFAULT '',
  created_at datetime NOT NULL,
  custody blob,
  case_id varchar(40) NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, case_id) REFERENCES security_cases (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO evidences_old (id, tenant_id, name, content_type, size, sha256, content, added_by, created_at, custody, case_id)
  SELECT id, tenant_id, name, content_type, size, sha256, content, added_by, created_at, custody, case_id FROM evidences;
DROP TABLE evidences;
ALTER TABLE evidences_old RENAME TO evidences;
CREATE INDEX evidence_tenant_id ON evidences (tenant_id);
