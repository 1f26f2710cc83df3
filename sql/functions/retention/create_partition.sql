CREATE OR REPLACE FUNCTION monitoring_internal.create_partition(p_table_name text, p_day date)
RETURNS boolean
LANGUAGE plpgsql
AS $$
-- Internal: creates the partition of a history table for one UTC day, named
-- <table>_pYYYYMMDD, unless it exists. Rows of that day that landed in the
-- default partition (a partition was missing) are moved into it first, so
-- nothing is lost and the default stays empty. Returns true if created.
DECLARE
    v_time_column text;
    v_partition text := p_table_name || '_p' || to_char(p_day, 'YYYYMMDD');
    v_from timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
    v_to timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    SELECT h.time_column INTO STRICT v_time_column
    FROM monitoring_internal.history_tables AS h WHERE h.table_name = p_table_name;
    IF to_regclass(format('monitoring.%I', v_partition)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE monitoring.%I (LIKE monitoring.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   v_partition, p_table_name);
    EXECUTE format('WITH moved AS (DELETE FROM monitoring.%I WHERE %I >= $1 AND %I < $2 RETURNING *) '
                   'INSERT INTO monitoring.%I SELECT * FROM moved',
                   p_table_name || '_default', v_time_column, v_time_column, v_partition)
        USING v_from, v_to;
    EXECUTE format('ALTER TABLE monitoring.%I ATTACH PARTITION monitoring.%I FOR VALUES FROM (%L) TO (%L)',
                   p_table_name, v_partition, v_from, v_to);
    -- The privileges sql/grants.sql gives every table of the schema, so a
    -- partition's ACL is the same whether it was made before or after the
    -- grants were last applied (a fresh install equals an upgraded one).
    EXECUTE format('REVOKE ALL ON monitoring.%I FROM PUBLIC', v_partition);
    EXECUTE format('GRANT SELECT ON monitoring.%I TO pgvigil_admin', v_partition);
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.create_partition(text, date) IS
    'Internal: creates the daily (UTC) partition of a history table, moving that day''s rows out of the default partition.';
