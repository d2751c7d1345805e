-- +goose Up
-- Saved views: a user's named filters of a list (the alert queue) in one
-- tenant. The name is unique per user, tenant and list.
CREATE TABLE saved_views (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  id          varchar(40) NOT NULL,
  user_id     varchar(40) NOT NULL,
  scope       varchar(40) NOT NULL,
  name        varchar(100) NOT NULL,
  filters     jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE UNIQUE INDEX savedview_tenant_id_user_id_scope_name ON saved_views (tenant_id, user_id, scope, name);
ALTER TABLE saved_views ENABLE ROW LEVEL SECURITY;
ALTER TABLE saved_views FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON saved_views
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE saved_views;
