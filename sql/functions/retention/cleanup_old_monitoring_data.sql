CREATE OR REPLACE FUNCTION monitoring.cleanup_old_monitoring_data(p_lock_timeout_ms integer DEFAULT 50)
RETURNS TABLE (table_name text, partitions_dropped integer, rows_removed bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Applies the retention of the config in one transaction, for a manual
-- run (the original design's `SELECT cleanup_old_monitoring_data()`): it
-- drops the daily partitions past retention (expired_partitions) and
-- deletes expired rows (expire_old_rows). A partition whose lock is not had
-- within p_lock_timeout_ms is skipped with a NOTICE and left for the next
-- run. Being one transaction, it holds each dropped table's lock until it
-- returns: the scheduled job runs CALL monitoring.run_retention() instead,
-- which commits after every partition so writers never wait on it.
-- Returns, per table, partitions dropped and rows removed (for dropped
-- partitions, the row count estimated by the statistics). Skips on a
-- standby or if another retention run is in progress.
DECLARE
    p record;
    v_rows bigint;
    v_dropped jsonb := '{}'::jsonb;  -- table name -> [partitions dropped, their rows]
BEGIN
    IF pg_is_in_recovery() OR NOT pg_try_advisory_xact_lock(hashtext('pgvigil.cleanup')) THEN
        RETURN;
    END IF;
    FOR p IN SELECT * FROM monitoring.expired_partitions() LOOP
        v_rows := monitoring.detach_expired_partition(p.table_name, p.partition_name, p_lock_timeout_ms);
        IF v_rows IS NOT NULL
           AND monitoring.drop_detached_partition(p.partition_name, p_lock_timeout_ms) THEN
            v_dropped := v_dropped || jsonb_build_object(p.table_name, jsonb_build_array(
                coalesce((v_dropped #>> ARRAY[p.table_name, '0'])::integer, 0) + 1,
                coalesce((v_dropped #>> ARRAY[p.table_name, '1'])::bigint, 0) + v_rows));
        END IF;
    END LOOP;
    RETURN QUERY
    SELECT e.table_name,
           coalesce((v_dropped #>> ARRAY[e.table_name, '0'])::integer, 0),
           e.rows_removed + coalesce((v_dropped #>> ARRAY[e.table_name, '1'])::bigint, 0)
    FROM monitoring.expire_old_rows() AS e;
END;
$$;
COMMENT ON FUNCTION monitoring.cleanup_old_monitoring_data(integer) IS
    'Applies retention in one transaction (manual use): drops daily partitions past retention (errors: the longest severity retention), skipping any whose lock is not had within p_lock_timeout_ms, and deletes expired rows (expire_old_rows). Returns partitions dropped and rows removed per table (estimated from statistics for dropped partitions). The scheduled job uses CALL monitoring.run_retention(), which commits per partition.';
