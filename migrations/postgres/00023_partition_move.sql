-- +goose Up
-- Making a day's partition moved that day's rows out of the default
-- partition in two statements (copy, then delete). A row committed into
-- the default partition between the two was deleted without being copied:
-- lost. The move is now one statement, under a lock that holds writers to
-- the default partition (not readers) until the partition is attached.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION opsward_check_results_partitions(first_day date, days integer)
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
    -- or attaching would fail. Writers into the default partition wait
    -- (reads go on) until this commits, and the rows move in one
    -- statement, so that a row committed meanwhile is neither left out of
    -- the move nor deleted with it.
    EXECUTE 'LOCK TABLE check_results_default IN SHARE ROW EXCLUSIVE MODE';
    EXECUTE format('WITH moved AS (DELETE FROM check_results_default WHERE checked_at >= %L AND checked_at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, name);
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
CREATE OR REPLACE FUNCTION opsward_security_events_partitions(first_day date, days integer)
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
    -- or attaching would fail. Writers into the default partition wait
    -- (reads go on) until this commits, and the rows move in one
    -- statement, so that a row committed meanwhile is neither left out of
    -- the move nor deleted with it.
    EXECUTE 'LOCK TABLE security_events_default IN SHARE ROW EXCLUSIVE MODE';
    EXECUTE format('WITH moved AS (DELETE FROM security_events_default WHERE ts >= %L AND ts < %L RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, name);
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION opsward_check_results_partitions(first_day date, days integer)
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
CREATE OR REPLACE FUNCTION opsward_security_events_partitions(first_day date, days integer)
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
