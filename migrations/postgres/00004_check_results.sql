-- +goose Up
-- Check results: bulk data, written in batches by the result writer and
-- kept by time. check_results is partitioned by day (UTC) so that retention
-- drops whole partitions; a default partition takes any row whose day has
-- no partition yet, so no write is ever refused. Partitions are made ahead
-- by opsward_check_results_partitions, which runs as the owner of the
-- schema (SECURITY DEFINER): the application role owns nothing, so every
-- partition belongs to the owner, keeps the grants of ALTER DEFAULT
-- PRIVILEGES out of reach (they are revoked: the parent is the only way
-- in), and row-level security cannot be escaped by naming a partition.
-- Policies on the partitioned parent apply to every query through it.
CREATE TABLE check_results (
  tenant_id      varchar(40)   NOT NULL,
  monitor_id     varchar(40)   NOT NULL,
  checked_at     timestamptz   NOT NULL,
  status         text          NOT NULL CHECK (status IN ('up', 'degraded', 'down', 'unknown')),
  latency_us     bigint        NOT NULL DEFAULT 0,
  reason         varchar(64)   NOT NULL DEFAULT '',
  message        varchar(1024) NOT NULL DEFAULT '',
  metrics        jsonb,
  in_maintenance boolean       NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, monitor_id, checked_at)
) PARTITION BY RANGE (checked_at);

CREATE TABLE check_results_default PARTITION OF check_results DEFAULT;
ALTER TABLE check_results_default ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON check_results_default FROM opsward_app;

ALTER TABLE check_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE check_results FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON check_results
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- Hourly and daily rollups of check_results: counts by state and a latency
-- histogram on a fixed log scale (four buckets per doubling of
-- microseconds, see services/noc/results), so that long ranges read these
-- rows instead of raw results.
CREATE TABLE check_rollups (
  tenant_id         varchar(40) NOT NULL,
  monitor_id        varchar(40) NOT NULL,
  bucket            text        NOT NULL CHECK (bucket IN ('hour', 'day')),
  bucket_start      timestamptz NOT NULL,
  up_count          bigint      NOT NULL DEFAULT 0,
  degraded_count    bigint      NOT NULL DEFAULT 0,
  down_count        bigint      NOT NULL DEFAULT 0,
  unknown_count     bigint      NOT NULL DEFAULT 0,
  maintenance_count bigint      NOT NULL DEFAULT 0,
  latency_count     bigint      NOT NULL DEFAULT 0,
  latency_sum_us    bigint      NOT NULL DEFAULT 0,
  latency_min_us    bigint      NOT NULL DEFAULT 0,
  latency_max_us    bigint      NOT NULL DEFAULT 0,
  latency_hist      jsonb       NOT NULL DEFAULT '[]',
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, monitor_id, bucket, bucket_start)
);
ALTER TABLE check_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE check_rollups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON check_rollups
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- How far rollups of each bucket size are complete; no tenant data.
CREATE TABLE check_rollup_marks (
  bucket  text        PRIMARY KEY CHECK (bucket IN ('hour', 'day')),
  through timestamptz NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION opsward_check_results_partitions(first_day date, days integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  d    date;
  name text;
  lo   timestamptz;
  hi   timestamptz;
  made integer := 0;
BEGIN
  IF days < 1 OR days > 62 THEN
    RAISE EXCEPTION 'days must be between 1 and 62, not %', days;
  END IF;
  FOR i IN 0 .. days - 1 LOOP
    d := first_day + i;
    name := 'check_results_' || to_char(d, 'YYYYMMDD');
    CONTINUE WHEN to_regclass(name) IS NOT NULL;
    -- One maker at a time; the second finds the partition made.
    PERFORM pg_advisory_xact_lock(hashtext('opsward_check_results_partitions'));
    CONTINUE WHEN to_regclass(name) IS NOT NULL;
    lo := d::timestamp AT TIME ZONE 'UTC';
    hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
    EXECUTE format('CREATE TABLE %I (LIKE check_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    -- Rows of that day that landed in the default partition move in first,
    -- or attaching would fail.
    EXECUTE format('INSERT INTO %I SELECT * FROM check_results_default WHERE checked_at >= %L AND checked_at < %L', name, lo, hi);
    EXECUTE format('DELETE FROM check_results_default WHERE checked_at >= %L AND checked_at < %L', lo, hi);
    EXECUTE format('ALTER TABLE %I ADD CHECK (checked_at >= %L AND checked_at < %L)', name, lo, hi);
    EXECUTE format('ALTER TABLE check_results ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
    EXECUTE format('REVOKE ALL ON %I FROM opsward_app', name);
    made := made + 1;
  END LOOP;
  RETURN made;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION opsward_check_results_drop_before(cutoff timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  r       record;
  hi      timestamptz;
  dropped integer := 0;
BEGIN
  FOR r IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'check_results'::regclass AND c.relname ~ '^check_results_[0-9]{8}$'
    ORDER BY c.relname
  LOOP
    hi := (to_date(substr(r.relname, 15), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC';
    CONTINUE WHEN hi > cutoff;
    EXECUTE format('ALTER TABLE check_results DETACH PARTITION %I', r.relname);
    EXECUTE format('DROP TABLE %I', r.relname);
    dropped := dropped + 1;
  END LOOP;
  DELETE FROM check_results_default WHERE checked_at < cutoff;
  RETURN dropped;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION opsward_check_results_partitions(date, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION opsward_check_results_drop_before(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION opsward_check_results_partitions(date, integer) TO opsward_app;
GRANT EXECUTE ON FUNCTION opsward_check_results_drop_before(timestamptz) TO opsward_app;

-- +goose Down
DROP FUNCTION opsward_check_results_drop_before(timestamptz);
DROP FUNCTION opsward_check_results_partitions(date, integer);
DROP TABLE check_rollup_marks;
DROP TABLE check_rollups;
DROP TABLE check_results;
