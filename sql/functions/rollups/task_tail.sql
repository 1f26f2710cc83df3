CREATE OR REPLACE FUNCTION monitoring.task_tail(p_since timestamptz, p_width interval)
RETURNS TABLE (bucket timestamptz, task_type text, ended_count bigint, completed_count bigint,
               failed_count bigint, cancelled_count bigint, duration_sum double precision,
               duration_min double precision, duration_max double precision, duration_buckets bigint[])
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
ROWS 100
AS $$
-- The newest buckets of the task views: per UTC bucket of p_width (by
-- end_time, a whole number of minutes) and task type, every bucket from the
-- one holding rollup_boundary() (or from p_since if later) on, built from
-- minute rollups before the boundary and, from it on, the raw tasks'
-- minutes as task_minute_aggregate() defines them (the definition the
-- rollups are written with; each processing_metrics partition probed by
-- its end_time index: they are by start_time). Why a function: see
-- performance_tail.
DECLARE
    c_origin CONSTANT timestamptz := TIMESTAMPTZ '2000-01-01 00:00:00+00';
    v_boundary timestamptz := monitoring.rollup_boundary('processing_metrics');
    v_from timestamptz := greatest(p_since, date_bin(p_width, v_boundary, c_origin));
    v_raw_from timestamptz := greatest(p_since, v_boundary);
BEGIN
    RETURN QUERY
    SELECT date_bin(p_width, u.bucket, c_origin), u.task_type,
           sum(u.ended_count)::bigint, sum(u.completed_count)::bigint,
           sum(u.failed_count)::bigint, sum(u.cancelled_count)::bigint,
           sum(u.duration_sum), min(u.duration_min), max(u.duration_max),
           monitoring.sum_bucket_counts(u.duration_buckets)
    FROM (SELECT r.bucket, r.task_type, r.ended_count, r.completed_count, r.failed_count,
                 r.cancelled_count, r.duration_sum, r.duration_min, r.duration_max, r.duration_buckets
          FROM monitoring.task_rollup_minute AS r
          WHERE r.bucket >= v_from AND r.bucket < v_boundary
          UNION ALL
          SELECT a.bucket, a.task_type, a.ended_count, a.completed_count, a.failed_count,
                 a.cancelled_count, a.duration_sum, a.duration_min, a.duration_max, a.duration_buckets
          FROM monitoring_internal.task_minute_aggregate(v_raw_from, 'infinity') AS a) AS u
    GROUP BY 1, 2;
END;
$$;
COMMENT ON FUNCTION monitoring.task_tail(timestamptz, interval) IS
    'Internal to the task views: per UTC bucket of p_width (by end_time) and task type (the columns of the task rollups), the buckets from the one holding the rollup boundary (or p_since if later) on, from minute rollups before the boundary and the raw tasks'' minutes (task_minute_aggregate) after it.';
