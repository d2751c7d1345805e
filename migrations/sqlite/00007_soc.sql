-- +goose Up
-- The SOC's relational model (ent/schema/soc.go); see the Postgres version.

CREATE TABLE log_sources (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  name varchar(200) NOT NULL,
  cidrs json,
  port integer NOT NULL DEFAULT 0,
  token_hash text,
  token_prefix varchar(16) NOT NULL DEFAULT '',
  format varchar(16) NOT NULL DEFAULT 'auto',
  enabled boolean NOT NULL DEFAULT 1,
  last_seen_at datetime,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX logsource_tenant_id ON log_sources (tenant_id);
CREATE UNIQUE INDEX logsource_token_hash ON log_sources (token_hash);

CREATE TABLE detection_rules (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  rule_id varchar(100) NOT NULL,
  title varchar(300) NOT NULL,
  description varchar(4000) NOT NULL DEFAULT '',
  author varchar(500) NOT NULL DEFAULT '',
  level varchar(16) NOT NULL DEFAULT 'medium',
  status varchar(16) NOT NULL DEFAULT '',
  kind text NOT NULL DEFAULT 'detection' CHECK (kind IN ('detection', 'correlation', 'filter')),
  tags json,
  product varchar(64) NOT NULL DEFAULT '',
  category varchar(64) NOT NULL DEFAULT '',
  service varchar(64) NOT NULL DEFAULT '',
  yaml text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  enabled boolean NOT NULL DEFAULT 1,
  source varchar(500) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX detectionrule_tenant_id ON detection_rules (tenant_id);
CREATE UNIQUE INDEX detectionrule_tenant_id_rule_id ON detection_rules (tenant_id, rule_id);

CREATE TABLE rule_overrides (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  rule_id varchar(100) NOT NULL,
  enabled boolean NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX ruleoverride_tenant_id ON rule_overrides (tenant_id);
CREATE UNIQUE INDEX ruleoverride_tenant_id_rule_id ON rule_overrides (tenant_id, rule_id);

CREATE TABLE alerts (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  source text NOT NULL CHECK (source IN ('sigma', 'indicator', 'noc', 'manual')),
  title varchar(300) NOT NULL,
  description varchar(4000) NOT NULL DEFAULT '',
  severity text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'closed_true_positive', 'closed_false_positive', 'closed_benign')),
  rule_id varchar(100) NOT NULL DEFAULT '',
  rule_author varchar(500) NOT NULL DEFAULT '',
  tags json,
  dedup_key varchar(200) NOT NULL,
  count integer NOT NULL DEFAULT 1,
  first_seen datetime NOT NULL,
  last_seen datetime NOT NULL,
  event_ids json,
  assignee_id varchar(40),
  case_id varchar(40),
  detail blob,
  acked_at datetime,
  closed_at datetime,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX alert_tenant_id ON alerts (tenant_id);
CREATE INDEX alert_tenant_id_dedup_key_last_seen ON alerts (tenant_id, dedup_key, last_seen);
CREATE INDEX alert_tenant_id_status ON alerts (tenant_id, status);

CREATE TABLE indicator_lists (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
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

CREATE TABLE indicators (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  list_id varchar(40) NOT NULL,
  kind varchar(16) NOT NULL,
  value varchar(2048) NOT NULL,
  source varchar(200) NOT NULL DEFAULT '',
  confidence integer NOT NULL DEFAULT 50,
  tlp varchar(16) NOT NULL DEFAULT 'clear',
  valid_from datetime,
  valid_until datetime,
  tags json,
  description varchar(2000) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, list_id) REFERENCES indicator_lists (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX indicator_tenant_id ON indicators (tenant_id);
CREATE UNIQUE INDEX indicator_list_id_kind_value ON indicators (list_id, kind, value);

CREATE TABLE security_cases (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  title varchar(300) NOT NULL,
  description varchar(8000) NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'triage', 'investigating', 'contained', 'eradicated', 'recovered', 'closed')),
  severity text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
  assignee_id varchar(40),
  detected_at datetime,
  opened_at datetime NOT NULL,
  acknowledged_at datetime,
  contained_at datetime,
  resolved_at datetime,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX securitycase_tenant_id ON security_cases (tenant_id);

CREATE TABLE case_entries (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  at datetime NOT NULL,
  kind text NOT NULL CHECK (kind IN ('event', 'alert', 'note', 'status_change', 'evidence', 'task', 'assignment', 'playbook')),
  actor_id varchar(40) NOT NULL DEFAULT '',
  message varchar(8000) NOT NULL DEFAULT '',
  ref_id varchar(40) NOT NULL DEFAULT '',
  detail blob,
  case_id varchar(40) NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, case_id) REFERENCES security_cases (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX caseentry_tenant_id ON case_entries (tenant_id);
CREATE INDEX caseentry_case_id_at ON case_entries (case_id, at);

CREATE TABLE case_tasks (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  title varchar(300) NOT NULL,
  done boolean NOT NULL DEFAULT 0,
  assignee_id varchar(40),
  case_id varchar(40) NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, case_id) REFERENCES security_cases (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX casetask_tenant_id ON case_tasks (tenant_id);

CREATE TABLE evidences (
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
CREATE INDEX evidence_tenant_id ON evidences (tenant_id);

CREATE TABLE playbooks (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  name varchar(200) NOT NULL,
  enabled boolean NOT NULL DEFAULT 1,
  trigger blob NOT NULL,
  steps blob NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX playbook_tenant_id ON playbooks (tenant_id);

CREATE TABLE playbook_runs (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  playbook_id varchar(40) NOT NULL,
  alert_id varchar(40) NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'waiting', 'succeeded', 'failed')),
  step integer NOT NULL DEFAULT 0,
  log blob,
  finished_at datetime,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX playbookrun_tenant_id ON playbook_runs (tenant_id);

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
