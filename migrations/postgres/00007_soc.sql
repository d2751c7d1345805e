-- +goose Up
-- The SOC's relational model (ent/schema/soc.go): log sources, detection
-- rules and per-tenant overrides, alerts, indicator lists and indicators,
-- cases with their timeline (append-only), tasks and evidence, playbooks
-- and their runs. Row-level security as in 00003; security events are in
-- 00006.

CREATE TABLE log_sources (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  name varchar(200) NOT NULL,
  cidrs jsonb,
  port bigint NOT NULL DEFAULT 0,
  token_hash text,
  token_prefix varchar(16) NOT NULL DEFAULT '',
  format varchar(16) NOT NULL DEFAULT 'auto',
  enabled boolean NOT NULL DEFAULT true,
  last_seen_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX logsource_tenant_id ON log_sources (tenant_id);
CREATE UNIQUE INDEX logsource_token_hash ON log_sources (token_hash);
ALTER TABLE log_sources ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_sources FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON log_sources
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE detection_rules (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  rule_id varchar(100) NOT NULL,
  title varchar(300) NOT NULL,
  description varchar(4000) NOT NULL DEFAULT '',
  author varchar(500) NOT NULL DEFAULT '',
  level varchar(16) NOT NULL DEFAULT 'medium',
  status varchar(16) NOT NULL DEFAULT '',
  kind text NOT NULL DEFAULT 'detection' CHECK (kind IN ('detection', 'correlation', 'filter')),
  tags jsonb,
  product varchar(64) NOT NULL DEFAULT '',
  category varchar(64) NOT NULL DEFAULT '',
  service varchar(64) NOT NULL DEFAULT '',
  yaml text NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  enabled boolean NOT NULL DEFAULT true,
  source varchar(500) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX detectionrule_tenant_id ON detection_rules (tenant_id);
CREATE UNIQUE INDEX detectionrule_tenant_id_rule_id ON detection_rules (tenant_id, rule_id);
ALTER TABLE detection_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE detection_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON detection_rules
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE rule_overrides (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  rule_id varchar(100) NOT NULL,
  enabled boolean NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX ruleoverride_tenant_id ON rule_overrides (tenant_id);
CREATE UNIQUE INDEX ruleoverride_tenant_id_rule_id ON rule_overrides (tenant_id, rule_id);
ALTER TABLE rule_overrides ENABLE ROW LEVEL SECURITY;
ALTER TABLE rule_overrides FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rule_overrides
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE alerts (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  source text NOT NULL CHECK (source IN ('sigma', 'indicator', 'noc', 'manual')),
  title varchar(300) NOT NULL,
  description varchar(4000) NOT NULL DEFAULT '',
  severity text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'closed_true_positive', 'closed_false_positive', 'closed_benign')),
  rule_id varchar(100) NOT NULL DEFAULT '',
  rule_author varchar(500) NOT NULL DEFAULT '',
  tags jsonb,
  dedup_key varchar(200) NOT NULL,
  count bigint NOT NULL DEFAULT 1,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  event_ids jsonb,
  assignee_id varchar(40),
  case_id varchar(40),
  detail bytea,
  acked_at timestamptz,
  closed_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX alert_tenant_id ON alerts (tenant_id);
CREATE INDEX alert_tenant_id_dedup_key_last_seen ON alerts (tenant_id, dedup_key, last_seen);
CREATE INDEX alert_tenant_id_status ON alerts (tenant_id, status);
ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alerts
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE indicator_lists (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  name varchar(200) NOT NULL,
  kind text NOT NULL DEFAULT 'intel' CHECK (kind IN ('intel', 'blocklist')),
  description varchar(2000) NOT NULL DEFAULT '',
  edl_token_hash text,
  edl_token_prefix varchar(16) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX indicatorlist_tenant_id ON indicator_lists (tenant_id);
CREATE UNIQUE INDEX indicatorlist_edl_token_hash ON indicator_lists (edl_token_hash);
ALTER TABLE indicator_lists ENABLE ROW LEVEL SECURITY;
ALTER TABLE indicator_lists FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON indicator_lists
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE indicators (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  list_id varchar(40) NOT NULL,
  kind varchar(16) NOT NULL,
  value varchar(2048) NOT NULL,
  source varchar(200) NOT NULL DEFAULT '',
  confidence bigint NOT NULL DEFAULT 50,
  tlp varchar(16) NOT NULL DEFAULT 'clear',
  valid_from timestamptz,
  valid_until timestamptz,
  tags jsonb,
  description varchar(2000) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, list_id) REFERENCES indicator_lists (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX indicator_tenant_id ON indicators (tenant_id);
CREATE UNIQUE INDEX indicator_list_id_kind_value ON indicators (list_id, kind, value);
ALTER TABLE indicators ENABLE ROW LEVEL SECURITY;
ALTER TABLE indicators FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON indicators
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE security_cases (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  title varchar(300) NOT NULL,
  description varchar(8000) NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'triage', 'investigating', 'contained', 'eradicated', 'recovered', 'closed')),
  severity text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
  assignee_id varchar(40),
  detected_at timestamptz,
  opened_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  contained_at timestamptz,
  resolved_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX securitycase_tenant_id ON security_cases (tenant_id);
ALTER TABLE security_cases ENABLE ROW LEVEL SECURITY;
ALTER TABLE security_cases FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON security_cases
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE case_entries (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('event', 'alert', 'note', 'status_change', 'evidence', 'task', 'assignment', 'playbook')),
  actor_id varchar(40) NOT NULL DEFAULT '',
  message varchar(8000) NOT NULL DEFAULT '',
  ref_id varchar(40) NOT NULL DEFAULT '',
  detail bytea,
  case_id varchar(40) NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, case_id) REFERENCES security_cases (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX caseentry_tenant_id ON case_entries (tenant_id);
CREATE INDEX caseentry_case_id_at ON case_entries (case_id, at);
ALTER TABLE case_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON case_entries FOR SELECT
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
CREATE POLICY timeline_append ON case_entries FOR INSERT
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
CREATE POLICY timeline_purge ON case_entries FOR DELETE
  USING (opsward_privileged());

CREATE TABLE case_tasks (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  title varchar(300) NOT NULL,
  done boolean NOT NULL DEFAULT false,
  assignee_id varchar(40),
  case_id varchar(40) NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, case_id) REFERENCES security_cases (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX casetask_tenant_id ON case_tasks (tenant_id);
ALTER TABLE case_tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON case_tasks
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE evidences (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  name varchar(300) NOT NULL,
  content_type varchar(100) NOT NULL DEFAULT 'application/octet-stream',
  size bigint NOT NULL,
  sha256 varchar(64) NOT NULL,
  content bytea NOT NULL,
  added_by varchar(40) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  custody bytea,
  case_id varchar(40) NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, case_id) REFERENCES security_cases (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX evidence_tenant_id ON evidences (tenant_id);
ALTER TABLE evidences ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON evidences
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE playbooks (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  name varchar(200) NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  trigger bytea NOT NULL,
  steps bytea NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX playbook_tenant_id ON playbooks (tenant_id);
ALTER TABLE playbooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE playbooks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON playbooks
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE playbook_runs (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  playbook_id varchar(40) NOT NULL,
  alert_id varchar(40) NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'waiting', 'succeeded', 'failed')),
  step bigint NOT NULL DEFAULT 0,
  log bytea,
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX playbookrun_tenant_id ON playbook_runs (tenant_id);
ALTER TABLE playbook_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE playbook_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON playbook_runs
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE playbook_runs;
DROP TABLE playbooks;
DROP TABLE evidences;
DROP TABLE case_tasks;
DROP TABLE case_entries;
DROP TABLE security_cases;
DROP TABLE indicators;
DROP TABLE indicator_lists;
DROP TABLE alerts;
DROP TABLE rule_overrides;
DROP TABLE detection_rules;
DROP TABLE log_sources;
