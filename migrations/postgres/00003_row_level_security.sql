-- +goose Up
-- Row-level security: the second layer of tenant isolation, under the
-- application's own filter. The application sets, per statement or
-- transaction, the acting tenant's path (app.tenant_path), the acting user
-- (app.user_id) and whether the work is the audited privileged path
-- (app.privileged); see tenants.SessionSettings. dispatch_outbox is
-- written inside a tenant's transaction and read by the relay, which runs
-- on the privileged path. With none set, every
-- policy denies. FORCE applies the policies to the tables' owner too.

-- +goose StatementBegin
CREATE FUNCTION opsward_privileged() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('app.privileged', true), '') = 'on'
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION opsward_tenant_path() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('app.tenant_path', true), '')
$$;
-- +goose StatementEnd

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_subtree ON tenants
  USING (opsward_privileged() OR starts_with(path, opsward_tenant_path()))
  WITH CHECK (opsward_privileged() OR starts_with(path, opsward_tenant_path()));

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY user_reach ON users
  USING (opsward_privileged()
         OR id = nullif(current_setting('app.user_id', true), '')
         OR id IN (SELECT m.user_id FROM memberships m))
  WITH CHECK (opsward_privileged() OR id = nullif(current_setting('app.user_id', true), ''));

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- The audit log: read and appended within reach, never updated, deleted
-- only by the privileged purge.
ALTER TABLE audit_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_entries FOR SELECT
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
CREATE POLICY audit_append ON audit_entries FOR INSERT
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));
CREATE POLICY audit_purge ON audit_entries FOR DELETE
  USING (opsward_privileged());

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON subscriptions
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

ALTER TABLE dispatch_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE dispatch_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dispatch_outbox
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose Down
DROP POLICY tenant_isolation ON dispatch_outbox;
ALTER TABLE dispatch_outbox NO FORCE ROW LEVEL SECURITY;
ALTER TABLE dispatch_outbox DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_isolation ON subscriptions;
ALTER TABLE subscriptions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE subscriptions DISABLE ROW LEVEL SECURITY;
DROP POLICY audit_purge ON audit_entries;
DROP POLICY audit_append ON audit_entries;
DROP POLICY tenant_isolation ON audit_entries;
ALTER TABLE audit_entries NO FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_entries DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_isolation ON refresh_tokens;
ALTER TABLE refresh_tokens NO FORCE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_isolation ON sessions;
ALTER TABLE sessions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sessions DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_isolation ON api_keys;
ALTER TABLE api_keys NO FORCE ROW LEVEL SECURITY;
ALTER TABLE api_keys DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_isolation ON invitations;
ALTER TABLE invitations NO FORCE ROW LEVEL SECURITY;
ALTER TABLE invitations DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_isolation ON memberships;
ALTER TABLE memberships NO FORCE ROW LEVEL SECURITY;
ALTER TABLE memberships DISABLE ROW LEVEL SECURITY;
DROP POLICY user_reach ON users;
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE users DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_subtree ON tenants;
ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tenants DISABLE ROW LEVEL SECURITY;
DROP FUNCTION opsward_tenant_path();
DROP FUNCTION opsward_privileged();
