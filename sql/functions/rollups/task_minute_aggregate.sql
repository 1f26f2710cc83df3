CREATE OR REPLACE FUNCTION monitoring_internal.task_minute_aggregate(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (bucket timestamptz, task_type text, ended_count bigint, completed_count bigint,
               failed_count bigint, cancelled_count bigint, duration_sum double precision,
               duration_min double precision, duration_max double precision, duration_buckets bigint[])
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    -- The one definition of a minute of tasks: per UTC minute of end_time
    -- and task type, the tasks that ended in [p_from, p_to) (pass whole
    -- minutes) as rows of task_rollup_minute: ended, completed, failed
    -- (failed + timeout, as the checks count them) and cancelled counts,
    -- duration sum, min, max and buckets of task_duration_bounds(). Written
    -- to the minute rollups by apply_rollup_pending() and read, for the
    -- minutes past the rollup boundary, by task_tail().
    -- processing_metrics is partitioned by start_time: each partition is
    -- probed by its end_time index, and start_time < p_to (a task ends on
    -- or after its start) prunes the partitions that start later.
    -- Inlined into the calling query (SQL, STABLE, not STRICT, not SECURITY
    -- DEFINER, no SET): see performance_minute_aggregate.
    SELECT date_bin('1 minute', t.end_time, TIMESTAMPTZ '2000-01-01 00:00:00+00'), t.task_type,
           count(*),
           count(*) FILTER (WHERE t.status = 'completed'),
           count(*) FILTER (WHERE t.status IN ('failed', 'timeout')),
           count(*) FILTER (WHERE t.status = 'cancelled'),
           coalesce(sum(t.duration_seconds), 0), min(t.duration_seconds), max(t.duration_seconds),
           monitoring.task_duration_histogram(t.duration_seconds)
    FROM monitoring.processing_metrics AS t
    WHERE t.end_time >= p_from AND t.end_time < p_to
      AND t.start_time < p_to
      AND t.status <> 'running'
    GROUP BY 1, 2;
$$;
COMMENT ON FUNCTION monitoring_internal.task_minute_aggregate(timestamptz, timestamptz) IS
    'Internal: the minute aggregate of tasks that ended in [p_from, p_to): per UTC minute of end_time and task type, the columns of task_rollup_minute. Used by apply_rollup_pending() and task_tail().';
