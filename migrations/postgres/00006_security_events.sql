-- +goose Up
-- Security events: the SOC's bulk data, written in batches by the event
-- writer (services/soc/events) and kept by time, exactly as check_results
-- is (see 00004): partitioned by UTC day on the event's own time so that
-- retention drops whole partitions; a default partition takes any row
-- whose day has no partition yet (late or clock-skewed sources), so no
-- write is ever refused; partitions are made ahead and dropped by
-- functions that run as the owner of the schema (SECURITY DEFINER), so
-- every partition belongs to the owner, the application role has no grant
-- on any partition, and row-level security on the parent cannot be
-- escaped by naming a partition.
--
-- The common ECS fields sit in columns so that the usual filters use an
-- index; fields holds the whole normalised event (dotted ECS names to
-- values) apart from message and event.original, which have columns of
-- their own and are not stored twice. IP addresses are text in their
-- canonical form so that equality behaves the same on SQLite.
CREATE TABLE security_events (
  tenant_id          varchar(40)   NOT NULL,
  id                 varchar(40)   NOT NULL,
  ts                 timestamptz   NOT NULL,
  received_at        timestamptz   NOT NULL,
  source_id          varchar(40)   NOT NULL DEFAULT '',
  dataset            varchar(128)  NOT NULL DEFAULT '',
  category           varchar(64)   NOT NULL DEFAULT '',
  action             varchar(128)  NOT NULL DEFAULT '',
  outcome            varchar(16)   NOT NULL DEFAULT '',
  severity           integer,
  host_name          varchar(255)  NOT NULL DEFAULT '',
  user_name          varchar(255)  NOT NULL DEFAULT '',
  source_ip          varchar(45)   NOT NULL DEFAULT '',
  destination_ip     varchar(45)   NOT NULL DEFAULT '',
  destination_port   integer,
  process_executable varchar(1024) NOT NULL DEFAULT '',
  event_code         varchar(64)   NOT NULL DEFAULT '',
  message            varchar(4096) NOT NULL DEFAULT '',
  fields             jsonb         NOT NULL DEFAULT '{}',
  original           varchar(65536) NOT NULL DEFAULT '',
  -- The partition key must be in the key; (tenant_id, ts, id) also gives
  -- "a tenant, newest first" and the keyset cursor (ts, id) its index.
  PRIMARY KEY (tenant_id, ts, id)
) PARTITION BY RANGE (ts);

-- Alerts link to events by id alone: without ts no partition is pruned,
-- so each partition has an index to probe.
CREATE INDEX security_events_id ON security_events (tenant_id, id);
-- The selective column filters, each within a tenant and a time range.
CREATE INDEX security_events_host ON security_events (tenant_id, host_name, ts);
CREATE INDEX security_events_user ON security_events (tenant_id, user_name, ts);
CREATE INDEX security_events_src ON security_events (tenant_id, source_ip, ts);
CREATE INDEX security_events_dst ON security_events (tenant_id, destination_ip, ts);
CREATE INDEX security_events_code ON security_events (tenant_id, event_code, ts);

CREATE TABLE security_events_default PARTITION OF security_events DEFAULT;
ALTER TABLE security_events_default ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON security_events_default FROM opsward_app;

ALTER TABLE security_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE security_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON security_events
  USING (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants))
  WITH CHECK (opsward_privileged() OR tenant_id IN (SELECT id FROM tenants));

-- +goose StatementBegin
CREATE FUNCTION opsward_security_events_partitions(first_day date, days integer)
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
    name := 'security_events_' || to_char(d, 'YYYYMMDD');
    CONTINUE WHEN to_regclass(name) IS NOT NULL;
    -- One maker at a time; the second finds the partition made.
    PERFORM pg_advisory_xact_lock(hashtext('opsward_security_events_partitions'));
    CONTINUE WHEN to_regclass(name) IS NOT NULL;
    lo := d::timestamp AT TIME ZONE 'UTC';
    hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
    EXECUTE format('CREATE TABLE %I (LIKE security_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    -- Rows of that day that landed in the default partition move in first,
    -- or attaching would fail.
    EXECUTE format('INSERT INTO %I SELECT * FROM security_events_default WHERE ts >= %L AND ts < %L', name, lo, hi);
    EXECUTE format('DELETE FROM security_events_default WHERE ts >= %L AND ts < %L', lo, hi);
    EXECUTE format('ALTER TABLE %I ADD CHECK (ts >= %L AND ts < %L)', name, lo, hi);
    EXECUTE format('ALTER TABLE security_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
    EXECUTE format('REVOKE ALL ON %I FROM opsward_app', name);
    made := made + 1;
  END LOOP;
  RETURN made;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION opsward_security_events_drop_before(cutoff timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  r       record;
  hi      timestamptz;
  dropped integer := 0;
BEGIN
  FOR r IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'security_events'::regclass AND c.relname ~ '^security_events_[0-9]{8}$'
    ORDER BY c.relname
  LOOP
    hi := (to_date(substr(r.relname, 17), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC';
    CONTINUE WHEN hi > cutoff;
    EXECUTE format('ALTER TABLE security_events DETACH PARTITION %I', r.relname);
    EXECUTE format('DROP TABLE %I', r.relname);
    dropped := dropped + 1;
  END LOOP;
  DELETE FROM security_events_default WHERE ts < cutoff;
  RETURN dropped;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION opsward_security_events_partitions(date, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION opsward_security_events_drop_before(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION opsward_security_events_partitions(date, integer) TO opsward_app;
GRANT EXECUTE ON FUNCTION opsward_security_events_drop_before(timestamptz) TO opsward_app;

-- +goose Down
DROP FUNCTION opsward_security_events_drop_before(timestamptz);
DROP FUNCTION opsward_security_events_partitions(date, integer);
DROP TABLE security_events;
