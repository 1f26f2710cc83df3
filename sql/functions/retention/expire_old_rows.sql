CREATE OR REPLACE FUNCTION monitoring.expire_old_rows()
RETURNS TABLE (table_name text, rows_removed bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- The retention that deletes rows rather than dropping partitions (row
-- locks only: writers never wait for it):
-- - stragglers in each history table's default partition;
-- - where retention differs by severity (errors), the shorter-lived
--   severities, a day at a time (partitions are kept for the longest);
-- - hour rollups past retention.*_rollup_hour_days, an hour at a time, and
--   the 5-minute performance rollups (read by v_performance_trends, 24
--   hours) past 2 days;
-- - resolved alerts past retention.resolved_alerts_days.
-- One row per table it looked at.
DECLARE
    v_retention jsonb;
    v_cutoff timestamptz;
    v_count bigint;
    h record;
    s record;
BEGIN
    FOR h IN SELECT * FROM monitoring_internal.history_tables ORDER BY 1 LOOP
        table_name := h.table_name;
        v_retention := monitoring_internal.config_value(ARRAY['retention', h.retention_setting]);
        v_cutoff := monitoring_internal.history_retention_cutoff(v_retention);
        EXECUTE format('DELETE FROM monitoring.%I WHERE %I < $1', h.table_name || '_default', h.time_column)
            USING v_cutoff;
        GET DIAGNOSTICS rows_removed = ROW_COUNT;
        IF jsonb_typeof(v_retention) = 'object' THEN
            FOR s IN SELECT key AS severity, value::text::double precision AS days
                     FROM jsonb_each(v_retention)
                     WHERE now() - make_interval(days => 1) * value::text::double precision > v_cutoff LOOP
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
    DELETE FROM monitoring.performance_rollup_hour AS o
    WHERE o.bucket < now() - interval '1 hour' - make_interval(days => 1)
                     * monitoring_internal.config_number('{retention,performance_rollup_hour_days}');
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;

    table_name := 'performance_rollup_5min';
    DELETE FROM monitoring.performance_rollup_5min AS o
    WHERE o.bucket < now() - interval '2 days';
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;

    -- What goes is added to expired_task_totals first, so that the task
    -- counters of /metrics never go down.
    table_name := 'task_rollup_hour';
    WITH gone AS (
        DELETE FROM monitoring.task_rollup_hour AS o
        WHERE o.bucket < now() - interval '1 hour' - make_interval(days => 1)
                         * monitoring_internal.config_number('{retention,task_rollup_hour_days}')
        RETURNING o.*
    ), totals AS (
        SELECT g.task_type, sum(g.ended_count) AS ended_count, sum(g.completed_count) AS completed_count,
               sum(g.failed_count) AS failed_count, sum(g.cancelled_count) AS cancelled_count,
               sum(g.duration_sum) AS duration_sum, monitoring.sum_bucket_counts(g.duration_buckets) AS duration_buckets,
               count(*) AS hours
        FROM gone AS g GROUP BY g.task_type
    ), kept AS (
        INSERT INTO monitoring_internal.expired_task_totals AS e
            (task_type, ended_count, completed_count, failed_count, cancelled_count, duration_sum, duration_buckets)
        SELECT t.task_type, t.ended_count, t.completed_count, t.failed_count, t.cancelled_count,
               t.duration_sum, t.duration_buckets
        FROM totals AS t
        ON CONFLICT (task_type) DO UPDATE
        SET ended_count = e.ended_count + excluded.ended_count,
            completed_count = e.completed_count + excluded.completed_count,
            failed_count = e.failed_count + excluded.failed_count,
            cancelled_count = e.cancelled_count + excluded.cancelled_count,
            duration_sum = e.duration_sum + excluded.duration_sum,
            duration_buckets = monitoring_internal.add_bucket_counts(e.duration_buckets, excluded.duration_buckets)
        RETURNING 1
    )
    SELECT coalesce(sum(t.hours), 0) INTO rows_removed FROM totals AS t;
    RETURN NEXT;

    table_name := 'alerts';
    DELETE FROM monitoring.alerts AS a
    WHERE a.resolved_at < now() - make_interval(days => 1)
                              * monitoring_internal.config_number('{retention,resolved_alerts_days}');
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION monitoring.expire_old_rows() IS
    'The row-deleting part of retention: default-partition stragglers, per-severity error retention, hour and 5-minute rollups, resolved alerts. Returns rows deleted per table. Called by run_retention() and cleanup_old_monitoring_data().';
