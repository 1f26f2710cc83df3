CREATE OR REPLACE FUNCTION monitoring.complete_task_tracking(
    p_task_id text,
    p_status text,
    p_output_size bigint DEFAULT NULL,
    p_step_timings jsonb DEFAULT NULL,
    p_event_time timestamptz DEFAULT now()
)
RETURNS double precision
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Records the end of a running task and returns its duration in seconds.
-- finish_tasks (shared with the buffered path) takes the start time from
-- running_tasks by primary key and updates one partition, without a search.
DECLARE
    v_duration_seconds double precision;
BEGIN
    PERFORM monitoring_internal.assert_task_completion(p_task_id, p_status, p_output_size, p_step_timings);
    PERFORM monitoring_internal.assert_event_time(p_event_time);
    SELECT f.duration_seconds INTO v_duration_seconds
    FROM monitoring_internal.finish_tasks(ARRAY[p_task_id], ARRAY[p_status], ARRAY[p_output_size],
                                 ARRAY[p_step_timings], ARRAY[p_event_time]) AS f;
    IF NOT FOUND THEN
        -- Error path only: tell "finished already" from "never started".
        IF EXISTS (SELECT FROM monitoring.processing_metrics AS m WHERE m.task_id = p_task_id) THEN
            RAISE EXCEPTION 'task % is already completed', p_task_id
                USING ERRCODE = 'PV103',
                      HINT = 'A task is completed once; start a new task id for a retry.';
        END IF;
        RAISE EXCEPTION 'unknown task: %', p_task_id
            USING ERRCODE = 'PV102',
                  HINT = 'Call start_task_tracking() for this task id first.';
    END IF;
    RETURN v_duration_seconds;
END;
$$;
COMMENT ON FUNCTION monitoring.complete_task_tracking(text, text, bigint, jsonb, timestamptz) IS
    'Records the end of a running task with status completed, failed, cancelled or timeout, output_size in bytes and step timings in seconds. Returns the duration in seconds. Errors: PV001, PV002, PV004, PV005, PV006, PV007, PV008, PV102, PV103.';
