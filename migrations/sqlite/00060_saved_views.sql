-- +goose Up
-- Saved views: a user's named filters of a list (the alert queue) in one
-- tenant. The name is unique per user, tenant and list.
CREATE TABLE saved_views (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  id          varchar(40) NOT NULL,
  user_id     varchar(40) NOT NULL,
  scope       varchar(40) NOT NULL,
  name        varchar(100) NOT NULL,
  filters     json NOT NULL,
  created_at  datetime NOT NULL,
  updated_at  datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE UNIQUE INDEX savedview_tenant_id_user_id_scope_name ON saved_views (tenant_id, user_id, scope, name);

-- +goose Down
DROP TABLE saved_views;
