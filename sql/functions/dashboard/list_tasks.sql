CREATE OR REPLACE FUNCTION monitoring.list_tasks(
    p_since timestamptz,
    p_until timestamptz DEFAULT now(),
    p_task_type text DEFAULT NULL,
    p_status text DEFAULT NULL,
    p_worker_id text DEFAULT NULL,
    p_limit integer DEFAULT 100
)
RETURNS TABLE (
    task_id text,
    task_type text,
    worker_id text,
    status text,
    start_time timestamptz,
    end_time timestamptz,
    duration_seconds double precision,
    running_seconds double precision,
    input_size bigint,
    output_size bigint,
    step_timings jsonb,
    metadata jsonb,
    errors bigint,
    last_error text
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- The task runs that started in [p_since, p_until), newest first, filtered
-- by type, status and worker: the drill-down behind the task counts (which
-- failed, on which worker, with which error). At most p_limit (1 to 10,000)
-- rows; the range is at most 31 days, so that the days' partitions read
-- stay few. errors and last_error: the errors recorded with the task's id.
-- Errors: PV001, PV002, PV004.
BEGIN
    PERFORM monitoring_internal.assert_time_range(p_since, p_until, interval '31 days');
    IF p_limit IS NULL THEN
        RAISE EXCEPTION 'limit must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass a limit such as 100.';
    END IF;
    IF p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'limit must be from 1 to 10000, got %', p_limit
            USING ERRCODE = 'PV004',
                  HINT = 'Ask for at most 10000 tasks; narrow the range or filter by type or status.';
    END IF;
    IF p_status IS NOT NULL AND p_status NOT IN ('running', 'completed', 'failed', 'cancelled', 'timeout') THEN
        RAISE EXCEPTION 'unknown task status %', p_status
            USING ERRCODE = 'PV002',
                  HINT = 'A task is running, completed, failed, cancelled or timeout.';
    END IF;
    RETURN QUERY
    SELECT t.task_id, t.task_type, t.worker_id, t.status, t.start_time, t.end_time, t.duration_seconds,
           CASE WHEN t.status = 'running'
                THEN extract(epoch FROM now() - t.start_time)::double precision END,
           t.input_size, t.output_size, t.step_timings, t.metadata,
           coalesce(e.errors, 0), e.last_error
    FROM monitoring.processing_metrics AS t
    LEFT JOIN LATERAL (
        SELECT count(*) AS errors,
               (array_agg(x.message ORDER BY x.occurred_at DESC))[1] AS last_error
        FROM monitoring.error_tracking AS x
        WHERE x.task_id = t.task_id AND x.occurred_at >= t.start_time
    ) AS e ON true
    WHERE t.start_time >= p_since AND t.start_time < p_until
      AND (p_task_type IS NULL OR t.task_type = p_task_type)
      AND (p_status IS NULL OR t.status = p_status)
      AND (p_worker_id IS NULL OR t.worker_id = p_worker_id)
    ORDER BY t.start_time DESC, t.task_id
    LIMIT p_limit;
END;
$$;
COMMENT ON FUNCTION monitoring.list_tasks(timestamptz, timestamptz, text, text, text, integer) IS
    'Task runs started in [since, until) (at most 31 days), newest first, by type, status and worker, at most limit (1 to 10000): id, type, worker, status, times, duration, running seconds, sizes, step timings, metadata, and the count and latest message of the errors recorded with the task. Errors: PV001, PV002, PV004.';
