-- +goose Up
-- Public status pages: a tenant publishes chosen monitors at /status/{slug}.
-- The slug is unique across tenants (the address names no tenant).
CREATE TABLE status_pages (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  id          varchar(40) NOT NULL,
  slug        varchar(63) NOT NULL,
  title       varchar(200) NOT NULL,
  monitor_ids jsonb,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  UNIQUE (slug)
);
CREATE INDEX statuspage_tenant_id ON status_pages (tenant_id);
ALTER TABLE status_pages ENABLE ROW LEVEL SECURITY;
ALTER TABLE status_pages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON status_pages
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP TABLE status_pages;
