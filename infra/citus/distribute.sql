-- Distributes Opsward's Postgres schema on Citus by tenant_id.
--
-- Generated from the catalogue of a freshly migrated database and the lists
-- in migrations/citus.go; TestCitusReadiness checks that it names every table
-- exactly once. Regenerate it after a migration that adds or drops a table:
--   OPSWARD_TEST_MODE=external go test ./migrations -run 'TestCitusReadiness/distribute.sql' -update
--
-- Run it once on the coordinator, as the schema owner, after
-- 'opsward migrate' on an empty database and before the platform starts.
-- Shared tables become reference tables (a copy on every node); each
-- tenant-owned table is distributed by tenant_id and colocated with the
-- first, so that one tenant's rows of every table share a node. Each table
-- comes after the tables its foreign keys point at. Partitioned tables are
-- distributed through their parents; their partitions follow.
--
-- Citus is not served where Opsward is developed, so this script is checked
-- against the Postgres catalogue, not run. Until the gaps listed in
-- migrations/testdata/citus_gaps.txt are closed, Citus refuses the tables
-- named there (a unique key or foreign key without tenant_id).
--
-- Stay on the coordinator: goose_db_version.

-- Reference tables.
SELECT create_reference_table('check_rollup_marks');
SELECT create_reference_table('compliance_keys');
SELECT create_reference_table('tenants');
SELECT create_reference_table('users');

-- Tenant-owned tables, distributed by tenant_id and colocated.
SELECT create_distributed_table('alerts', 'tenant_id', colocate_with => 'none');
SELECT create_distributed_table('api_keys', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('assets', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('asset_dependencies', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('audit_entries', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('billing_accounts', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('check_results', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('check_rollups', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('compliance_attestations', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('compliance_controls', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('compliance_exceptions', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('compliance_report_schedules', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('compliance_reports', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('compliance_runs', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('credit_notes', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('detection_rules', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('dispatch_outbox', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('escalation_policies', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('incidents', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('incident_entries', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('indicator_lists', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('indicators', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('ingest_requests', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('ingest_usage', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('invitations', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('invoice_numbers', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('invoices', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('log_sources', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('maintenance_windows', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('memberships', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('monitors', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('notification_channels', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('playbook_runs', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('playbooks', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('price_versions', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('probe_checks', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('probe_locations', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('probe_agents', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('rule_overrides', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('saved_views', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('security_cases', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('case_entries', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('case_tasks', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('evidences', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('security_events', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('sessions', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('refresh_tokens', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('status_pages', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('stripe_customers', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('stripe_events', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('stripe_items', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('stripe_usage_reports', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('subscription_phases', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('subscriptions', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('usage_events', 'tenant_id', colocate_with => 'alerts');
SELECT create_distributed_table('usage_warnings', 'tenant_id', colocate_with => 'alerts');
