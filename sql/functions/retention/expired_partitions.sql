CREATE OR REPLACE FUNCTION monitoring.expired_partitions()
RETURNS TABLE (table_name text, partition_name text, attached boolean)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- The daily partitions whose whole day is older than their table's
    -- retention (errors: the longest severity's), oldest first, plus any
    -- such table a previous retention run detached but could not drop yet
    -- (attached = false). History expires by whole days: data is kept at
    -- least N days and at most N + 1.
    WITH retention AS (
        SELECT h.table_name,
               monitoring_internal.history_retention_cutoff(
                   monitoring_internal.config_value(ARRAY['retention', h.retention_setting])) AS cutoff
        FROM monitoring_internal.history_tables AS h
    )
    SELECT r.table_name, c.relname::text, c.relispartition
    FROM retention AS r
    JOIN pg_catalog.pg_class AS c
      ON c.relnamespace = 'monitoring'::regnamespace
     AND c.relkind = 'r'
     AND c.relname ~ ('^' || r.table_name || '_p[0-9]{8}$')
    WHERE (to_date(right(c.relname, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= r.cutoff
      -- Attached partitions only of this table (a name match alone could
      -- be another table's), detached ones only if nothing inherits them.
      AND (NOT c.relispartition
           OR EXISTS (SELECT FROM pg_catalog.pg_inherits AS i
                      WHERE i.inhrelid = c.oid
                        AND i.inhparent = format('monitoring.%I', r.table_name)::regclass))
    ORDER BY c.relname;
$$;
COMMENT ON FUNCTION monitoring.expired_partitions() IS
    'Daily partitions past their table''s retention (attached = true), and tables a retention run detached but has not dropped yet (attached = false), oldest first. Read by run_retention() and cleanup_old_monitoring_data().';
