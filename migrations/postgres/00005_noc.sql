-- +goose Up
-- The NOC's relational model (ent/schema/noc.go). Tenant-owned tables lead
-- their primary key with tenant_id; references between them include
-- tenant_id, so that no row can point at another tenant's row.
-- Every table has row-level security like those of 00003; the incident
-- timeline is append-only.

-- Assets: what a customer runs that the NOC watches.
CREATE TABLE assets (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  id          varchar(40) NOT NULL,
  name        varchar(200) NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('host', 'network_device', 'website', 'cloud_resource', 'application', 'database')),
  address     varchar(500) NOT NULL DEFAULT '',
  tags        jsonb,
  criticality text NOT NULL DEFAULT 'medium' CHECK (criticality IN ('critical', 'high', 'medium', 'low')),
  site        varchar(200) NOT NULL DEFAULT '',
  description varchar(2000) NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX asset_tenant_id ON assets (tenant_id);
CREATE INDEX asset_tenant_id_name ON assets (tenant_id, name);
ALTER TABLE assets ENABLE ROW LEVEL SECURITY;
ALTER TABLE assets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON assets
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- A child asset depends on a parent of the same tenant (the composite keys make a link across tenants impossible).
CREATE TABLE asset_dependencies (
  tenant_id  varchar(40) NOT NULL REFERENCES tenants (id),
  id         varchar(40) NOT NULL,
  child_id   varchar(40) NOT NULL,
  parent_id  varchar(40) NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, child_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, parent_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
  CHECK (child_id <> parent_id)
);
CREATE INDEX assetdependency_tenant_id ON asset_dependencies (tenant_id);
CREATE UNIQUE INDEX assetdependency_child_id_parent_id ON asset_dependencies (child_id, parent_id);
CREATE INDEX assetdependency_parent_id ON asset_dependencies (parent_id);
ALTER TABLE asset_dependencies ENABLE ROW LEVEL SECURITY;
ALTER TABLE asset_dependencies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON asset_dependencies
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- Monitors: one check of an asset on a schedule, with what its state machine keeps between checks. settings are sealed (they may hold credentials).
CREATE TABLE monitors (
  tenant_id                 varchar(40) NOT NULL REFERENCES tenants (id),
  id                        varchar(40) NOT NULL,
  asset_id                  varchar(40) NOT NULL,
  name                      varchar(200) NOT NULL,
  kind                      text NOT NULL CHECK (kind IN ('http', 'tcp', 'ping', 'dns', 'tls', 'heartbeat', 'server_health', 'snmp')),
  settings                  text NOT NULL,
  interval_seconds          bigint NOT NULL CHECK (interval_seconds > 0),
  timeout_ms                bigint NOT NULL CHECK (timeout_ms > 0),
  failures_before_down      bigint NOT NULL DEFAULT 1 CHECK (failures_before_down > 0),
  successes_before_recovery bigint NOT NULL DEFAULT 1 CHECK (successes_before_recovery > 0),
  degraded_mode             text NOT NULL DEFAULT 'degraded' CHECK (degraded_mode IN ('degraded', 'up', 'down')),
  flap_detection            boolean NOT NULL DEFAULT true,
  paused                    boolean NOT NULL DEFAULT false,
  sla_target                double precision,
  escalation_policy_id      varchar(40),
  channel_ids               jsonb,
  status                    text NOT NULL DEFAULT 'unknown' CHECK (status IN ('up', 'degraded', 'down', 'paused', 'maintenance', 'unknown')),
  status_since              timestamptz,
  flapping                  boolean NOT NULL DEFAULT false,
  machine                   bytea,
  probe_state               bytea,
  last_checked_at           timestamptz,
  last_latency_us           bigint NOT NULL DEFAULT 0,
  last_reason               varchar(64) NOT NULL DEFAULT '',
  last_message              varchar(1024) NOT NULL DEFAULT '',
  open_incident_id          varchar(40),
  heartbeat_token_hash      text UNIQUE,
  last_beat_at              timestamptz,
  version                   bigint NOT NULL DEFAULT 0,
  created_at                timestamptz NOT NULL,
  updated_at                timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id)
);
CREATE INDEX monitor_tenant_id ON monitors (tenant_id);
CREATE INDEX monitor_tenant_id_status ON monitors (tenant_id, status);
CREATE INDEX monitor_asset_id ON monitors (asset_id);
ALTER TABLE monitors ENABLE ROW LEVEL SECURITY;
ALTER TABLE monitors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON monitors
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- Incidents: one outage of a monitor, or one opened by hand.
CREATE TABLE incidents (
  tenant_id            varchar(40) NOT NULL REFERENCES tenants (id),
  id                   varchar(40) NOT NULL,
  monitor_id           varchar(40),
  asset_id             varchar(40),
  title                varchar(300) NOT NULL,
  severity             text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
  status               text NOT NULL DEFAULT 'triggered' CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
  assignee_id          varchar(40),
  opened_at            timestamptz NOT NULL,
  acked_at             timestamptz,
  acked_by             varchar(40),
  resolved_at          timestamptz,
  resolved_by          varchar(40),
  parent_id            varchar(40),
  suppressed           boolean NOT NULL DEFAULT false,
  reopen_count         bigint NOT NULL DEFAULT 0,
  escalation_policy_id varchar(40),
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX incident_tenant_id ON incidents (tenant_id);
CREATE INDEX incident_tenant_id_status ON incidents (tenant_id, status);
CREATE INDEX incident_monitor_id_opened_at ON incidents (monitor_id, opened_at);
ALTER TABLE incidents ENABLE ROW LEVEL SECURITY;
ALTER TABLE incidents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON incidents
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- The incident timeline, append-only.
CREATE TABLE incident_entries (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  id          varchar(40) NOT NULL,
  incident_id varchar(40) NOT NULL,
  at          timestamptz NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('state_change', 'notification_sent', 'notification_failed', 'comment', 'assignment', 'escalation', 'suppressed_by_parent', 'signal')),
  actor_id    varchar(40) NOT NULL DEFAULT '',
  message     varchar(4000) NOT NULL DEFAULT '',
  detail      bytea,
  dedup_key   varchar(120) UNIQUE,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX incidententry_tenant_id ON incident_entries (tenant_id);
CREATE INDEX incidententry_incident_id_at ON incident_entries (incident_id, at);
ALTER TABLE incident_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE incident_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON incident_entries FOR SELECT
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
CREATE POLICY timeline_append ON incident_entries FOR INSERT
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
CREATE POLICY timeline_purge ON incident_entries FOR DELETE
  USING (opsward_privileged());

-- Maintenance windows: alerting (not checking) is silenced while one is active.
CREATE TABLE maintenance_windows (
  tenant_id        varchar(40) NOT NULL REFERENCES tenants (id),
  id               varchar(40) NOT NULL,
  name             varchar(200) NOT NULL,
  asset_ids        jsonb,
  monitor_ids      jsonb,
  starts_at        timestamptz,
  ends_at          timestamptz,
  recurrence       text NOT NULL DEFAULT 'none' CHECK (recurrence IN ('none', 'daily', 'weekly', 'monthly')),
  timezone         varchar(64) NOT NULL DEFAULT '',
  weekdays         jsonb,
  month_day        bigint NOT NULL DEFAULT 0,
  start_time       varchar(5) NOT NULL DEFAULT '',
  duration_seconds bigint NOT NULL DEFAULT 0,
  until            timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX maintenancewindow_tenant_id ON maintenance_windows (tenant_id);
ALTER TABLE maintenance_windows ENABLE ROW LEVEL SECURITY;
ALTER TABLE maintenance_windows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON maintenance_windows
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- Escalation policies: levels as JSON.
CREATE TABLE escalation_policies (
  tenant_id            varchar(40) NOT NULL REFERENCES tenants (id),
  id                   varchar(40) NOT NULL,
  name                 varchar(200) NOT NULL,
  levels               bytea NOT NULL,
  repeat               bigint NOT NULL DEFAULT 0,
  repeat_after_seconds bigint NOT NULL DEFAULT 0,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX escalationpolicy_tenant_id ON escalation_policies (tenant_id);
ALTER TABLE escalation_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE escalation_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON escalation_policies
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- Notification channels: public settings in clear, secrets sealed.
CREATE TABLE notification_channels (
  tenant_id    varchar(40) NOT NULL REFERENCES tenants (id),
  id           varchar(40) NOT NULL,
  name         varchar(200) NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'teams', 'pagerduty')),
  config       bytea NOT NULL,
  secrets      text NOT NULL DEFAULT '',
  min_severity text NOT NULL DEFAULT 'low' CHECK (min_severity IN ('critical', 'high', 'medium', 'low', 'info')),
  states       jsonb,
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX notificationchannel_tenant_id ON notification_channels (tenant_id);
ALTER TABLE notification_channels ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_channels FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_channels
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE notification_channels;
DROP TABLE escalation_policies;
DROP TABLE maintenance_windows;
DROP TABLE incident_entries;
DROP TABLE incidents;
DROP TABLE monitors;
DROP TABLE asset_dependencies;
DROP TABLE assets;
