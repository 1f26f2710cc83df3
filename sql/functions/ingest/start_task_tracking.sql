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
-- entry in running_tasks so completion never searches the history (see
-- record_task_starts, shared with the buffered path).
BEGIN
    PERFORM monitoring_internal.assert_task_start(p_task_id, p_task_type, p_input_size, p_worker_id, p_metadata);
    PERFORM monitoring_internal.assert_event_time(p_event_time);
    -- A buffered writer elsewhere may have delivered the completion first:
    -- record_task_starts finishes the task at once if so.
    PERFORM monitoring_internal.record_task_starts(
        ARRAY[p_task_id], ARRAY[p_task_type], ARRAY[p_worker_id], ARRAY[p_input_size], ARRAY[p_metadata],
        ARRAY[p_event_time], '{NULL}'::text[], '{NULL}'::bigint[], '{NULL}'::jsonb[], '{NULL}'::timestamptz[]);
    RETURN p_task_id;
END;
$$;
COMMENT ON FUNCTION monitoring.start_task_tracking(text, text, bigint, text, jsonb, timestamptz) IS
    'Records the start of a task (input_size in bytes) at p_event_time (default now()). Returns the task id. Errors: PV001, PV004, PV005, PV006, PV007, PV008, PV101, PV103 (a replayed start of a finished task).';
