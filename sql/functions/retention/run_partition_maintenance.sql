CREATE OR REPLACE FUNCTION monitoring.run_partition_maintenance()
RETURNS TABLE (table_name text, partitions_created integer, rows_moved_from_default bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Keeps daily partitions ready for every history table: from the oldest day
-- an event may still be recorded for (ingest.max_event_age_hours) to
-- partitioning.premake_days ahead, so writes never hit the default partition
-- even after days without maintenance. Rows found in the default partition
-- are moved into partitions of their own. Also expires buffered-ingest
-- state (expire_ingest_state). Idempotent; skips when another
-- maintenance run holds the lock or on a standby.
DECLARE
    v_premake_days integer := monitoring_internal.config_number('{partitioning,premake_days}')::integer;
    v_back_days integer := ceil(monitoring_internal.config_number('{ingest,max_event_age_hours}') / 24)::integer;
    v_today date := (now() AT TIME ZONE 'UTC')::date;
    v_day date;
    h record;
BEGIN
    IF pg_is_in_recovery() OR NOT pg_try_advisory_xact_lock(hashtext('pgvigil.partition_maintenance')) THEN
        RETURN;
    END IF;
    FOR h IN SELECT * FROM monitoring_internal.history_tables ORDER BY 1 LOOP
        table_name := h.table_name;
        partitions_created := 0;
        EXECUTE format('SELECT count(*) FROM monitoring.%I', h.table_name || '_default')
            INTO rows_moved_from_default;
        IF rows_moved_from_default > 0 THEN
            FOR v_day IN EXECUTE format('SELECT DISTINCT (%I AT TIME ZONE ''UTC'')::date FROM monitoring.%I',
                                        h.time_column, h.table_name || '_default') LOOP
                IF monitoring_internal.create_partition(h.table_name, v_day) THEN
                    partitions_created := partitions_created + 1;
                END IF;
            END LOOP;
        END IF;
        FOR v_day IN SELECT d::date FROM generate_series(v_today - v_back_days, v_today + v_premake_days,
                                                          interval '1 day') AS d LOOP
            IF monitoring_internal.create_partition(h.table_name, v_day) THEN
                partitions_created := partitions_created + 1;
            END IF;
        END LOOP;
        RETURN NEXT;
    END LOOP;
    PERFORM monitoring.expire_ingest_state();
END;
$$;
COMMENT ON FUNCTION monitoring.run_partition_maintenance() IS
    'Creates the daily partitions of every history table from ingest.max_event_age_hours back to partitioning.premake_days ahead, and moves rows out of default partitions. One row per table.';
