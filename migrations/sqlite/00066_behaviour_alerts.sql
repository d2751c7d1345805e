-- +goose Up
-- Behaviour analytics (services/soc/ueba) raises alerts of its own source
-- (see the Postgres migration of the same number). SQLite cannot change a
-- CHECK constraint, so the alerts table is rebuilt with its rows; nothing
-- references it by a foreign key.
CREATE TABLE alerts_new (
  id varchar(40) NOT NULL,
  tenant_id varchar(40) NOT NULL REFERENCES tenants (id),
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  source text NOT NULL CHECK (source IN ('sigma', 'indicator', 'noc', 'manual', 'behaviour')),
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
INSERT INTO alerts_new (id, tenant_id, created_at, updated_at, source, title, description, severity, status, rule_id, rule_author, tags, dedup_key, count, first_seen, last_seen, event_ids, assignee_id, case_id, detail, acked_at, closed_at)
  SELECT id, tenant_id, created_at, updated_at, source, title, description, severity, status, rule_id, rule_author, tags, dedup_key, count, first_seen, last_seen, event_ids, assignee_id, case_id, detail, acked_at, closed_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alert_tenant_id ON alerts (tenant_id);
CREATE INDEX alert_tenant_id_dedup_key_last_seen ON alerts (tenant_id, dedup_key, last_seen);
CREATE INDEX alert_tenant_id_status ON alerts (tenant_id, status);

-- +goose Down
CREATE TABLE alerts_old (
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
INSERT INTO alerts_old (id, tenant_id, created_at, updated_at, source, title, description, severity, status, rule_id, rule_author, tags, dedup_key, count, first_seen, last_seen, event_ids, assignee_id, case_id, detail, acked_at, closed_at)
  SELECT id, tenant_id, created_at, updated_at, source, title, description, severity, status, rule_id, rule_author, tags, dedup_key, count, first_seen, last_seen, event_ids, assignee_id, case_id, detail, acked_at, closed_at FROM alerts WHERE source <> 'behaviour';
DROP TABLE alerts;
ALTER TABLE alerts_old RENAME TO alerts;
CREATE INDEX alert_tenant_id ON alerts (tenant_id);
CREATE INDEX alert_tenant_id_dedup_key_last_seen ON alerts (tenant_id, dedup_key, last_seen);
CREATE INDEX alert_tenant_id_status ON alerts (tenant_id, status);
