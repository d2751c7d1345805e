-- +goose Up
-- Public status pages: a tenant publishes chosen monitors at /status/{slug}.
-- The slug is unique across tenants (the address names no tenant).
CREATE TABLE status_pages (
  tenant_id   varchar(40) NOT NULL REFERENCES tenants (id),
  id          varchar(40) NOT NULL,
  slug        varchar(63) NOT NULL,
  title       varchar(200) NOT NULL,
  monitor_ids json,
  created_at  datetime NOT NULL,
  updated_at  datetime NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  UNIQUE (slug)
);
CREATE INDEX statuspage_tenant_id ON status_pages (tenant_id);

-- +goose Down
DROP TABLE status_pages;
