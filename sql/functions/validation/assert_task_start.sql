CREATE OR REPLACE FUNCTION monitoring_internal.assert_task_start(
    p_task_id text,
    p_task_type text,
    p_input_size bigint,
    p_worker_id text,
    p_metadata jsonb
)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
-- Internal: the argument rules of a task start, shared by
-- start_task_tracking() and the buffered record_task_events().
BEGIN
    PERFORM monitoring_internal.assert_text('task_id', p_task_id, 200);
    PERFORM monitoring_internal.assert_text('task_type', p_task_type, 200);
    IF p_worker_id IS NOT NULL THEN
        PERFORM monitoring_internal.assert_text('worker_id', p_worker_id, 200);
    END IF;
    PERFORM monitoring_internal.assert_count('input_size', p_input_size);
    PERFORM monitoring_internal.assert_json_object('metadata', p_metadata);
END;
$$;
COMMENT ON FUNCTION monitoring_internal.assert_task_start(text, text, bigint, text, jsonb) IS
    'Internal: raises PV001, PV004, PV007 or PV008 for invalid task start arguments (event time not included).';
