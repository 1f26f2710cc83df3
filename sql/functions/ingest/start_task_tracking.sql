CREATE OR REPLACE FUNCTION monitoring.start_task_tracking(
    p_task_id text,
    p_task_type text,
    p_input_size bigint DEFAULT NULL,
    p_worker_id text DEFAULT NULL,
    p_metadata jsonb DEFAULT NULL,
    p_event_time timestamptz DEFAULT now()
)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Records that a task started: one 'running' row in the history, plus an
-- entry in running_tasks so completion never searches the history.
DECLARE
    v_parked monitoring.pending_task_completions;
BEGIN
    PERFORM monitoring.assert_task_start(p_task_id, p_task_type, p_input_size, p_worker_id, p_metadata);
    PERFORM monitoring.assert_event_time(p_event_time);

    -- A buffered writer elsewhere may have delivered the completion first.
    DELETE FROM monitoring.pending_task_completions AS p
    WHERE p.task_id = p_task_id
    RETURNING p.* INTO v_parked;
    IF FOUND THEN
        IF v_parked.end_time < p_event_time THEN
            RAISE EXCEPTION 'task % cannot end at %, before it started at %', p_task_id, v_parked.end_time, p_event_time
                USING ERRCODE = 'PV006',
                      HINT = 'Pass the start time as event_time, from the same clock as the completion.';
        END IF;
        INSERT INTO monitoring.processing_metrics
            (task_id, task_type, worker_id, status, input_size, output_size, start_time, end_time,
             duration_seconds, step_timings, metadata)
        VALUES
            (p_task_id, p_task_type, p_worker_id, v_parked.status, p_input_size, v_parked.output_size,
             p_event_time, v_parked.end_time, extract(epoch FROM v_parked.end_time - p_event_time)::double precision,
             v_parked.step_timings, p_metadata);
        PERFORM monitoring.note_ingest('processing_metrics', v_parked.end_time, v_parked.end_time);
        RETURN p_task_id;
    END IF;

    INSERT INTO monitoring.running_tasks (task_id, task_type, worker_id, start_time)
    VALUES (p_task_id, p_task_type, p_worker_id, p_event_time)
    ON CONFLICT (task_id) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % is already running', p_task_id
            USING ERRCODE = 'PV101',
                  HINT = 'Complete it with complete_task_tracking() first, or use a new task id.';
    END IF;

    INSERT INTO monitoring.processing_metrics
        (task_id, task_type, worker_id, status, input_size, start_time, metadata)
    VALUES
        (p_task_id, p_task_type, p_worker_id, 'running', p_input_size, p_event_time, p_metadata);

    -- A completion parked by another session while this insert waited on
    -- its probe of running_tasks (see record_task_events) is visible now.
    PERFORM monitoring.apply_parked_completions(ARRAY[p_task_id]);
    RETURN p_task_id;
END;
$$;
COMMENT ON FUNCTION monitoring.start_task_tracking(text, text, bigint, text, jsonb, timestamptz) IS
    'Records the start of a task (input_size in bytes) at p_event_time (default now()). Returns the task id. Errors: PV001, PV004, PV005, PV006, PV007, PV008, PV101.';
