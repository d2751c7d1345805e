-- +goose Up
-- Manual compliance evidence and the monthly report schedule.
-- Evidence files (policies, screenshots, signed reviews) attach to a
-- compliance control as well as to a case: the same store, the same
-- SHA-256 and chain of custody. Exactly one of case_id and control_id is
-- set. Each tenant may say which frameworks its monthly reports cover and
-- which of its notification channels receive them.
ALTER TABLE evidences ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE evidences ADD COLUMN control_id varchar(40);
ALTER TABLE evidences ADD CONSTRAINT evidences_one_subject CHECK ((case_id IS NULL) <> (control_id IS NULL));
CREATE INDEX evidence_control ON evidences (tenant_id, control_id) WHERE control_id IS NOT NULL;

CREATE TABLE compliance_report_schedules (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  frameworks  text        NOT NULL,
  channel_ids text        NOT NULL,
  updated_at  timestamptz NOT NULL,
  updated_by  varchar(40) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id)
);
ALTER TABLE compliance_report_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_report_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON compliance_report_schedules
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE compliance_report_schedules;
DELETE FROM evidences WHERE control_id IS NOT NULL;
DROP INDEX evidence_control;
ALTER TABLE evidences DROP CONSTRAINT evidences_one_subject;
ALTER TABLE evidences DROP COLUMN control_id;
ALTER TABLE evidences ALTER COLUMN case_id SET NOT NULL;
