-- +goose Up
-- The application connects as (or SETs ROLE to) opsward_app, a role that
-- owns nothing: tables belong to the role that runs migrations, so the
-- application cannot alter them or escape row-level security.
-- +goose StatementBegin
DO $$
BEGIN
  CREATE ROLE opsward_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO opsward_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO opsward_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO opsward_app;
GRANT SELECT ON goose_db_version TO opsward_app;

CREATE TABLE tenants (
  id             varchar(40)  PRIMARY KEY,
  parent_id      varchar(40)  REFERENCES tenants (id) ON DELETE SET NULL,
  kind           text         NOT NULL CHECK (kind IN ('provider', 'customer', 'organization')),
  slug           varchar(63)  NOT NULL UNIQUE,
  name           varchar(200) NOT NULL,
  timezone       varchar(64)  NOT NULL DEFAULT 'UTC',
  retention_days bigint       NOT NULL DEFAULT 90 CHECK (retention_days > 0),
  contact_name   varchar(200) NOT NULL DEFAULT '',
  contact_email  varchar(254) NOT NULL DEFAULT '',
  status         text         NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
  path           text         NOT NULL,
  suspended_at   timestamptz,
  closed_at      timestamptz,
  created_at     timestamptz  NOT NULL,
  updated_at     timestamptz  NOT NULL
);
CREATE INDEX tenant_parent_id ON tenants (parent_id);
CREATE INDEX tenant_path ON tenants (path text_pattern_ops);

CREATE TABLE users (
  id             varchar(40)  PRIMARY KEY,
  email          varchar(254) NOT NULL UNIQUE,
  name           varchar(200) NOT NULL DEFAULT '',
  password_hash  text         NOT NULL DEFAULT '',
  totp_secret    bytea,
  totp_enabled   boolean      NOT NULL DEFAULT false,
  totp_last_step bigint       NOT NULL DEFAULT 0,
  status         text         NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  last_login_at  timestamptz,
  created_at     timestamptz  NOT NULL,
  updated_at     timestamptz  NOT NULL
);

-- Tenant-owned tables: the primary key leads with tenant_id so that the
-- schema distributes by tenant.
CREATE TABLE memberships (
  tenant_id  varchar(40) NOT NULL REFERENCES tenants (id),
  id         varchar(40) NOT NULL,
  user_id    varchar(40) NOT NULL REFERENCES users (id),
  role       text        NOT NULL CHECK (role IN ('owner', 'admin', 'analyst', 'viewer', 'billing')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX membership_tenant_id ON memberships (tenant_id);
CREATE UNIQUE INDEX membership_tenant_id_user_id ON memberships (tenant_id, user_id);
CREATE INDEX membership_user_id ON memberships (user_id);

CREATE TABLE invitations (
  tenant_id   varchar(40)  NOT NULL REFERENCES tenants (id),
  id          varchar(40)  NOT NULL,
  email       varchar(254) NOT NULL,
  role        text         NOT NULL CHECK (role IN ('owner', 'admin', 'analyst', 'viewer', 'billing')),
  token_hash  text         NOT NULL UNIQUE,
  invited_by  varchar(40)  NOT NULL DEFAULT '',
  expires_at  timestamptz  NOT NULL,
  accepted_at timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz  NOT NULL,
  updated_at  timestamptz  NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX invitation_tenant_id ON invitations (tenant_id);
CREATE INDEX invitation_tenant_id_email ON invitations (tenant_id, email);

CREATE TABLE api_keys (
  tenant_id    varchar(40)  NOT NULL REFERENCES tenants (id),
  id           varchar(40)  NOT NULL,
  name         varchar(100) NOT NULL,
  prefix       varchar(40)  NOT NULL UNIQUE,
  secret_hash  text         NOT NULL,
  scopes       jsonb        NOT NULL,
  created_by   varchar(40)  NOT NULL DEFAULT '',
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz  NOT NULL,
  updated_at   timestamptz  NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX apikey_tenant_id ON api_keys (tenant_id);

CREATE TABLE sessions (
  tenant_id      varchar(40)  NOT NULL REFERENCES tenants (id),
  id             varchar(40)  NOT NULL,
  user_id        varchar(40)  NOT NULL REFERENCES users (id),
  ip             varchar(64)  NOT NULL DEFAULT '',
  user_agent     varchar(512) NOT NULL DEFAULT '',
  expires_at     timestamptz  NOT NULL,
  revoked_at     timestamptz,
  revoked_reason varchar(64)  NOT NULL DEFAULT '',
  created_at     timestamptz  NOT NULL,
  updated_at     timestamptz  NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX session_tenant_id ON sessions (tenant_id);
CREATE INDEX session_user_id ON sessions (user_id);

CREATE TABLE refresh_tokens (
  tenant_id  varchar(40) NOT NULL REFERENCES tenants (id),
  id         varchar(40) NOT NULL,
  session_id varchar(40) NOT NULL,
  token_hash text        NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refreshtoken_tenant_id ON refresh_tokens (tenant_id);
CREATE INDEX refreshtoken_session_id ON refresh_tokens (session_id);

CREATE TABLE audit_entries (
  tenant_id       varchar(40)   NOT NULL REFERENCES tenants (id),
  id              varchar(40)   NOT NULL,
  seq             bigint        NOT NULL,
  created_at      timestamptz   NOT NULL,
  actor_type      varchar(16)   NOT NULL,
  actor_id        varchar(40)   NOT NULL DEFAULT '',
  actor_tenant_id varchar(40)   NOT NULL DEFAULT '',
  action          varchar(64)   NOT NULL,
  target_id       varchar(40)   NOT NULL DEFAULT '',
  ip              varchar(64)   NOT NULL DEFAULT '',
  user_agent      varchar(512)  NOT NULL DEFAULT '',
  detail          varchar(4000) NOT NULL DEFAULT '',
  prev_hash       varchar(64)   NOT NULL,
  hash            varchar(64)   NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX auditentry_tenant_id ON audit_entries (tenant_id);
CREATE UNIQUE INDEX auditentry_tenant_id_seq ON audit_entries (tenant_id, seq);
CREATE INDEX auditentry_created_at ON audit_entries (created_at);
-- The audit log is append-only for the application: no entry is ever
-- changed; deletion is for the purge of closed tenants alone (row-level
-- security allows it only on the privileged path).
REVOKE UPDATE ON audit_entries FROM opsward_app;

CREATE TABLE subscriptions (
  tenant_id  varchar(40) NOT NULL REFERENCES tenants (id),
  id         varchar(40) NOT NULL,
  plan       varchar(40) NOT NULL,
  status     text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'canceled')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX subscription_tenant_id ON subscriptions (tenant_id);
CREATE UNIQUE INDEX subscription_tenant_unique ON subscriptions (tenant_id);

-- +goose Down
DROP TABLE subscriptions;
DROP TABLE audit_entries;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE api_keys;
DROP TABLE invitations;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE tenants;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM opsward_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM opsward_app;
REVOKE SELECT ON goose_db_version FROM opsward_app;
REVOKE USAGE ON SCHEMA public FROM opsward_app;
