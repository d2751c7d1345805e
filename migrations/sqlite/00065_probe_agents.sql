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
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX probelocation_tenant_id ON probe_locations (tenant_id);
CREATE UNIQUE INDEX probelocation_tenant_id_name ON probe_locations (tenant_id, name);

CREATE TABLE probe_agents (
  tenant_id        varchar(40)  NOT NULL REFERENCES tenants (id),
  id               varchar(40)  NOT NULL,
  location_id      varchar(40)  NOT NULL REFERENCES probe_locations (id),
  name             varchar(100) NOT NULL,
  enrol_token_hash varchar(255),
  enrol_expires_at datetime,
  enrolled_at      datetime,
  credential_hash  varchar(255),
  revoked_at       datetime,
  last_seen_at     datetime,
  version          varchar(64) NOT NULL DEFAULT '',
  refused_results  integer NOT NULL DEFAULT 0,
  created_at       datetime NOT NULL,
  updated_at       datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX probeagent_tenant_id ON probe_agents (tenant_id);
CREATE UNIQUE INDEX probeagent_enrol_token_hash ON probe_agents (enrol_token_hash);
CREATE UNIQUE INDEX probeagent_credential_hash ON probe_agents (credential_hash);
CREATE INDEX probeagent_location_id ON probe_agents (location_id);

CREATE TABLE probe_checks (
  tenant_id   varchar(40)   NOT NULL REFERENCES tenants (id),
  id          varchar(40)   NOT NULL,
  monitor_id  varchar(40)   NOT NULL,
  location_id varchar(40)   NOT NULL,
  next_due_at datetime NOT NULL,
  lease_id    varchar(40),
  leased_by   varchar(40),
  leased_at   datetime,
  status      varchar(16)   NOT NULL DEFAULT 'unknown' CHECK (status IN ('up', 'degraded', 'down', 'unknown')),
  checked_at  datetime,
  latency_us  integer NOT NULL DEFAULT 0,
  reason      varchar(64)   NOT NULL DEFAULT '',
  message     varchar(1024) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX probecheck_tenant_id ON probe_checks (tenant_id);
CREATE UNIQUE INDEX probecheck_monitor_id_location_id ON probe_checks (monitor_id, location_id);
CREATE INDEX probecheck_location_id_next_due_at ON probe_checks (location_id, next_due_at);

-- A monitor's locations ("local" is Opsward's own workers) and its quorum.
ALTER TABLE monitors ADD COLUMN locations json;
ALTER TABLE monitors ADD COLUMN min_failed_locations integer NOT NULL DEFAULT 1 CHECK (min_failed_locations > 0);

-- Where a check result was checked from (NULL: Opsward's own workers).
ALTER TABLE check_results ADD COLUMN location varchar(40);

-- +goose Down
ALTER TABLE check_results DROP COLUMN location;
ALTER TABLE monitors DROP COLUMN min_failed_locations;
ALTER TABLE monitors DROP COLUMN locations;
DROP TABLE probe_checks;
DROP TABLE probe_agents;
DROP TABLE probe_locations;
