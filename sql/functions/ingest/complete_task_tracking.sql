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
-- The start time comes from running_tasks by primary key, so the history
-- row is updated in exactly one partition, without a search.
DECLARE
    v_start_time timestamptz;
    v_duration_seconds double precision;
BEGIN
    PERFORM monitoring.assert_task_completion(p_task_id, p_status, p_output_size, p_step_timings);
    PERFORM monitoring.assert_event_time(p_event_time);

    DELETE FROM monitoring.running_tasks AS r
    WHERE r.task_id = p_task_id
    RETURNING r.start_time INTO v_start_time;

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

    IF p_event_time < v_start_time THEN
        RAISE EXCEPTION 'task % cannot end at %, before it started at %', p_task_id, p_event_time, v_start_time
            USING ERRCODE = 'PV006',
                  HINT = 'Pass the completion time as event_time, from the same clock as the start.';
    END IF;

    v_duration_seconds := extract(epoch FROM p_event_time - v_start_time)::double precision;

    UPDATE monitoring.processing_metrics AS m
    SET status = p_status,
        output_size = p_output_size,
        step_timings = p_step_timings,
        end_time = p_event_time,
        duration_seconds = v_duration_seconds
    WHERE m.task_id = p_task_id
      AND m.start_time = v_start_time;
    -- Task rollups are by end time: a late completion changes a rolled-up minute.
    PERFORM monitoring.note_ingest('processing_metrics', p_event_time, p_event_time);

    RETURN v_duration_seconds;
END;
$$;
COMMENT ON FUNCTION monitoring.complete_task_tracking(text, text, bigint, jsonb, timestamptz) IS
    'Records the end of a running task with status completed, failed, cancelled or timeout, output_size in bytes and step timings in seconds. Returns the duration in seconds. Errors: PV001, PV002, PV004, PV005, PV006, PV007, PV008, PV102, PV103.';
