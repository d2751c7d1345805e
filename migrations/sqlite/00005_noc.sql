-- +goose Up
-- The NOC's relational model (ent/schema/noc.go). Tenant-owned tables lead
-- their primary key with tenant_id; references between them include
-- tenant_id, so that no row can point at another tenant's row.

-- Assets: what a customer runs that the NOC watches.
CREATE TABLE assets (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  id          varchar(40) NOT NULL,
  name        varchar(200) NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('host', 'network_device', 'website', 'cloud_resource', 'application', 'database')),
  address     varchar(500) NOT NULL DEFAULT '',
  tags        json,
  criticality text NOT NULL DEFAULT 'medium' CHECK (criticality IN ('critical', 'high', 'medium', 'low')),
  site        varchar(200) NOT NULL DEFAULT '',
  description varchar(2000) NOT NULL DEFAULT '',
  created_at  datetime NOT NULL,
  updated_at  datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX asset_tenant_id ON assets (tenant_id);
CREATE INDEX asset_tenant_id_name ON assets (tenant_id, name);

-- A child asset depends on a parent of the same tenant (the composite keys make a link across tenants impossible).
CREATE TABLE asset_dependencies (
  tenant_id  varchar(40) NOT NULL REFERENCES tenants (id),
  id         varchar(40) NOT NULL,
  child_id   varchar(40) NOT NULL,
  parent_id  varchar(40) NOT NULL,
  created_at datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, child_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, parent_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
  CHECK (child_id <> parent_id)
);
CREATE INDEX assetdependency_tenant_id ON asset_dependencies (tenant_id);
CREATE UNIQUE INDEX assetdependency_child_id_parent_id ON asset_dependencies (child_id, parent_id);
CREATE INDEX assetdependency_parent_id ON asset_dependencies (parent_id);

-- Monitors: one check of an asset on a schedule, with what its state machine keeps between checks. settings are sealed (they may hold credentials).
CREATE TABLE monitors (
  tenant_id                 varchar(40) NOT NULL REFERENCES tenants (id),
  id                        varchar(40) NOT NULL,
  asset_id                  varchar(40) NOT NULL,
  name                      varchar(200) NOT NULL,
  kind                      text NOT NULL CHECK (kind IN ('http', 'tcp', 'ping', 'dns', 'tls', 'heartbeat', 'server_health', 'snmp')),
  settings                  text NOT NULL,
  interval_seconds          integer NOT NULL CHECK (interval_seconds > 0),
  timeout_ms                integer NOT NULL CHECK (timeout_ms > 0),
  failures_before_down      integer NOT NULL DEFAULT 1 CHECK (failures_before_down > 0),
  successes_before_recovery integer NOT NULL DEFAULT 1 CHECK (successes_before_recovery > 0),
  degraded_mode             text NOT NULL DEFAULT 'degraded' CHECK (degraded_mode IN ('degraded', 'up', 'down')),
  flap_detection            boolean NOT NULL DEFAULT 1,
  paused                    boolean NOT NULL DEFAULT 0,
  sla_target                real,
  escalation_policy_id      varchar(40),
  channel_ids               json,
  status                    text NOT NULL DEFAULT 'unknown' CHECK (status IN ('up', 'degraded', 'down', 'paused', 'maintenance', 'unknown')),
  status_since              datetime,
  flapping                  boolean NOT NULL DEFAULT 0,
  machine                   blob,
  probe_state               blob,
  last_checked_at           datetime,
  last_latency_us           integer NOT NULL DEFAULT 0,
  last_reason               varchar(64) NOT NULL DEFAULT '',
  last_message              varchar(1024) NOT NULL DEFAULT '',
  open_incident_id          varchar(40),
  heartbeat_token_hash      text UNIQUE,
  last_beat_at              datetime,
  version                   integer NOT NULL DEFAULT 0,
  created_at                datetime NOT NULL,
  updated_at                datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id)
);
CREATE INDEX monitor_tenant_id ON monitors (tenant_id);
CREATE INDEX monitor_tenant_id_status ON monitors (tenant_id, status);
CREATE INDEX monitor_asset_id ON monitors (asset_id);

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
  opened_at            datetime NOT NULL,
  acked_at             datetime,
  acked_by             varchar(40),
  resolved_at          datetime,
  resolved_by          varchar(40),
  parent_id            varchar(40),
  suppressed           boolean NOT NULL DEFAULT 0,
  reopen_count         integer NOT NULL DEFAULT 0,
  escalation_policy_id varchar(40),
  created_at           datetime NOT NULL,
  updated_at           datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX incident_tenant_id ON incidents (tenant_id);
CREATE INDEX incident_tenant_id_status ON incidents (tenant_id, status);
CREATE INDEX incident_monitor_id_opened_at ON incidents (monitor_id, opened_at);

-- The incident timeline, append-only.
CREATE TABLE incident_entries (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  id          varchar(40) NOT NULL,
  incident_id varchar(40) NOT NULL,
  at          datetime NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('state_change', 'notification_sent', 'notification_failed', 'comment', 'assignment', 'escalation', 'suppressed_by_parent', 'signal')),
  actor_id    varchar(40) NOT NULL DEFAULT '',
  message     varchar(4000) NOT NULL DEFAULT '',
  detail      blob,
  dedup_key   varchar(120) UNIQUE,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX incidententry_tenant_id ON incident_entries (tenant_id);
CREATE INDEX incidententry_incident_id_at ON incident_entries (incident_id, at);

-- Maintenance windows: alerting (not checking) is silenced while one is active.
CREATE TABLE maintenance_windows (
  tenant_id        varchar(40) NOT NULL REFERENCES tenants (id),
  id               varchar(40) NOT NULL,
  name             varchar(200) NOT NULL,
  asset_ids        json,
  monitor_ids      json,
  starts_at        datetime,
  ends_at          datetime,
  recurrence       text NOT NULL DEFAULT 'none' CHECK (recurrence IN ('none', 'daily', 'weekly', 'monthly')),
  timezone         varchar(64) NOT NULL DEFAULT '',
  weekdays         json,
  month_day        integer NOT NULL DEFAULT 0,
  start_time       varchar(5) NOT NULL DEFAULT '',
  duration_seconds integer NOT NULL DEFAULT 0,
  until            datetime,
  created_at       datetime NOT NULL,
  updated_at       datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX maintenancewindow_tenant_id ON maintenance_windows (tenant_id);

-- Escalation policies: levels as JSON.
CREATE TABLE escalation_policies (
  tenant_id            varchar(40) NOT NULL REFERENCES tenants (id),
  id                   varchar(40) NOT NULL,
  name                 varchar(200) NOT NULL,
  levels               blob NOT NULL,
  repeat               integer NOT NULL DEFAULT 0,
  repeat_after_seconds integer NOT NULL DEFAULT 0,
  created_at           datetime NOT NULL,
  updated_at           datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX escalationpolicy_tenant_id ON escalation_policies (tenant_id);

-- Notification channels: public settings in clear, secrets sealed.
CREATE TABLE notification_channels (
  tenant_id    varchar(40) NOT NULL REFERENCES tenants (id),
  id           varchar(40) NOT NULL,
  name         varchar(200) NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'teams', 'pagerduty')),
  config       blob NOT NULL,
  secrets      text NOT NULL DEFAULT '',
  min_severity text NOT NULL DEFAULT 'low' CHECK (min_severity IN ('critical', 'high', 'medium', 'low', 'info')),
  states       json,
  enabled      boolean NOT NULL DEFAULT 1,
  created_at   datetime NOT NULL,
  updated_at   datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX notificationchannel_tenant_id ON notification_channels (tenant_id);

-- +goose Down
DROP TABLE notification_channels;
DROP TABLE escalation_policies;
DROP TABLE maintenance_windows;
DROP TABLE incident_entries;
DROP TABLE incidents;
DROP TABLE monitors;
DROP TABLE asset_dependencies;
DROP TABLE assets;
