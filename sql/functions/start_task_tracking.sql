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
BEGIN
    PERFORM monitoring.assert_text('task_id', p_task_id, 200);
    PERFORM monitoring.assert_text('task_type', p_task_type, 200);
    IF p_worker_id IS NOT NULL THEN
        PERFORM monitoring.assert_text('worker_id', p_worker_id, 200);
    END IF;
    PERFORM monitoring.assert_count('input_size', p_input_size);
    PERFORM monitoring.assert_json_object('metadata', p_metadata);
    PERFORM monitoring.assert_event_time(p_event_time);

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

    RETURN p_task_id;
END;
$$;
COMMENT ON FUNCTION monitoring.start_task_tracking(text, text, bigint, text, jsonb, timestamptz) IS
    'Records the start of a task (input_size in bytes) at p_event_time (default now()). Returns the task id. Errors: PV001, PV004, PV005, PV006, PV007, PV008, PV101.';
