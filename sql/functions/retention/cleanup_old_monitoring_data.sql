CREATE OR REPLACE FUNCTION monitoring.cleanup_old_monitoring_data()
RETURNS TABLE (table_name text, partitions_dropped integer, rows_removed bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Applies the retention of the config. History expires by whole days: a
-- daily partition is dropped (instant, no bloat) once all of it is older
-- than the retention, so data is kept at least N days and at most N + 1.
-- Where retention differs by severity (errors), partitions are kept for the
-- longest and the shorter-lived severities are deleted a day at a time.
-- The minute rollups are history tables too (daily partitions); the hour
-- rollups are deleted an hour at a time past retention.*_rollup_hour_days,
-- the 5-minute performance rollups (read by v_performance_trends, 24 hours)
-- past 2 days.
-- Resolved alerts older than retention.resolved_alerts_days are deleted.
-- Returns what it removed, per table (for dropped partitions, the row
-- count estimated by the statistics). Skips on a standby or if another
-- cleanup is running.
DECLARE
    v_retention jsonb;
    v_days double precision;
    v_cutoff timestamptz;
    v_count bigint;
    h record;
    p record;
    s record;
BEGIN
    IF pg_is_in_recovery() OR NOT pg_try_advisory_xact_lock(hashtext('pgvigil.cleanup')) THEN
        RETURN;
    END IF;
    FOR h IN SELECT * FROM monitoring.history_tables ORDER BY 1 LOOP
        table_name := h.table_name;
        partitions_dropped := 0;
        rows_removed := 0;
        v_retention := monitoring.config_value(ARRAY['retention', h.retention_setting]);
        IF jsonb_typeof(v_retention) = 'object' THEN
            SELECT max(value::text::double precision) INTO v_days FROM jsonb_each(v_retention);
        ELSE
            v_days := v_retention::text::double precision;
        END IF;
        v_cutoff := now() - make_interval(days => 1) * v_days;

        FOR p IN
            SELECT c.relname
            FROM pg_catalog.pg_inherits AS i
            JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
            WHERE i.inhparent = format('monitoring.%I', h.table_name)::regclass
              AND c.relname ~ ('^' || h.table_name || '_p[0-9]{8}$')
              AND (to_date(right(c.relname, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= v_cutoff
            ORDER BY c.relname
        LOOP
            -- The statistics' row estimate: counting would read the whole day.
            SELECT greatest(c.reltuples, 0)::bigint INTO v_count
            FROM pg_catalog.pg_class AS c
            WHERE c.oid = format('monitoring.%I', p.relname)::regclass;
            EXECUTE format('DROP TABLE monitoring.%I', p.relname);
            partitions_dropped := partitions_dropped + 1;
            rows_removed := rows_removed + v_count;
        END LOOP;

        -- Stragglers in the default partition are few; delete them.
        EXECUTE format('DELETE FROM monitoring.%I WHERE %I < $1', h.table_name || '_default', h.time_column)
            USING v_cutoff;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        rows_removed := rows_removed + v_count;

        IF jsonb_typeof(v_retention) = 'object' THEN
            FOR s IN SELECT key AS severity, value::text::double precision AS days
                     FROM jsonb_each(v_retention) WHERE value::text::double precision < v_days LOOP
                EXECUTE format('DELETE FROM monitoring.%I WHERE severity = $1 AND %I < $2',
                               h.table_name, h.time_column)
                    USING s.severity,
                          date_trunc('day', now() - make_interval(days => 1) * s.days, 'UTC');
                GET DIAGNOSTICS v_count = ROW_COUNT;
                rows_removed := rows_removed + v_count;
            END LOOP;
        END IF;
        RETURN NEXT;
    END LOOP;

    -- The hour rollups are not partitioned (small): delete hours that ended
    -- before their retention, so they too are kept at least N days.
    table_name := 'performance_rollup_hour';
    partitions_dropped := 0;
    DELETE FROM monitoring.performance_rollup_hour AS o
    WHERE o.bucket < now() - interval '1 hour' - make_interval(days => 1)
                     * monitoring.config_number('{retention,performance_rollup_hour_days}');
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;

    table_name := 'performance_rollup_5min';
    DELETE FROM monitoring.performance_rollup_5min AS o
    WHERE o.bucket < now() - interval '2 days';
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;

    table_name := 'task_rollup_hour';
    DELETE FROM monitoring.task_rollup_hour AS o
    WHERE o.bucket < now() - interval '1 hour' - make_interval(days => 1)
                     * monitoring.config_number('{retention,task_rollup_hour_days}');
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;

    table_name := 'alerts';
    partitions_dropped := 0;
    DELETE FROM monitoring.alerts AS a
    WHERE a.resolved_at < now() - make_interval(days => 1)
                                  * monitoring.config_number('{retention,resolved_alerts_days}');
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION monitoring.cleanup_old_monitoring_data() IS
    'Applies retention: drops daily partitions older than the retention of their table (errors: the longest severity retention, then per-severity deletes; minute rollups included), deletes hour rollups past their retention, 5-minute performance rollups past 2 days and resolved alerts past retention.resolved_alerts_days. Returns partitions dropped and rows removed per table (estimated from statistics for dropped partitions).';
