-- +goose Up
-- Remote probe agents and multi-location quorum. A location is a place
-- checks run from (a tenant's private network); its agents are `opsward
-- probe` processes that enrol with a one-time token (kept hashed) and pull
-- their checks. probe_checks keeps each monitor at each of its locations:
-- when it is next due, the lease an agent holds, and the last result from
-- there, which the quorum reads.
CREATE TABLE probe_locations (
  tenant_id  varchar(40)  NOT NULL REFERENCES tenants (id),
  id         varchar(40)  NOT NULL,
  name       varchar(100) NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX probelocation_tenant_id ON probe_locations (tenant_id);
CREATE UNIQUE INDEX probelocation_tenant_id_name ON probe_locations (tenant_id, name);
ALTER TABLE probe_locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_locations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON probe_locations
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE probe_agents (
  tenant_id        varchar(40)  NOT NULL REFERENCES tenants (id),
  id               varchar(40)  NOT NULL,
  location_id      varchar(40)  NOT NULL REFERENCES probe_locations (id),
  name             varchar(100) NOT NULL,
  enrol_token_hash varchar(255),
  enrol_expires_at timestamptz,
  enrolled_at      timestamptz,
  credential_hash  varchar(255),
  revoked_at       timestamptz,
  last_seen_at     timestamptz,
  version          varchar(64) NOT NULL DEFAULT '',
  refused_results  bigint NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX probeagent_tenant_id ON probe_agents (tenant_id);
CREATE UNIQUE INDEX probeagent_enrol_token_hash ON probe_agents (enrol_token_hash);
CREATE UNIQUE INDEX probeagent_credential_hash ON probe_agents (credential_hash);
CREATE INDEX probeagent_location_id ON probe_agents (location_id);
ALTER TABLE probe_agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_agents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON probe_agents
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

CREATE TABLE probe_checks (
  tenant_id   varchar(40)   NOT NULL REFERENCES tenants (id),
  id          varchar(40)   NOT NULL,
  monitor_id  varchar(40)   NOT NULL,
  location_id varchar(40)   NOT NULL,
  next_due_at timestamptz NOT NULL,
  lease_id    varchar(40),
  leased_by   varchar(40),
  leased_at   timestamptz,
  status      varchar(16)   NOT NULL DEFAULT 'unknown' CHECK (status IN ('up', 'degraded', 'down', 'unknown')),
  checked_at  timestamptz,
  latency_us  bigint NOT NULL DEFAULT 0,
  reason      varchar(64)   NOT NULL DEFAULT '',
  message     varchar(1024) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX probecheck_tenant_id ON probe_checks (tenant_id);
CREATE UNIQUE INDEX probecheck_monitor_id_location_id ON probe_checks (monitor_id, location_id);
CREATE INDEX probecheck_location_id_next_due_at ON probe_checks (location_id, next_due_at);
ALTER TABLE probe_checks ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_checks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON probe_checks
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- A monitor's locations ("local" is Opsward's own workers) and its quorum.
ALTER TABLE monitors ADD COLUMN locations jsonb;
ALTER TABLE monitors ADD COLUMN min_failed_locations bigint NOT NULL DEFAULT 1 CHECK (min_failed_locations > 0);

-- Where a check result was checked from (NULL: Opsward's own workers).
ALTER TABLE check_results ADD COLUMN location varchar(40);

-- +goose Down
ALTER TABLE check_results DROP COLUMN location;
ALTER TABLE monitors DROP COLUMN min_failed_locations;
ALTER TABLE monitors DROP COLUMN locations;
DROP TABLE probe_checks;
DROP TABLE probe_agents;
DROP TABLE probe_locations;
