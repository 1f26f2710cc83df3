CREATE OR REPLACE FUNCTION monitoring_internal.assert_task_completion(
    p_task_id text,
    p_status text,
    p_output_size bigint,
    p_step_timings jsonb
)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
-- Internal: the argument rules of a task completion, shared by
-- complete_task_tracking() and the buffered record_task_events().
BEGIN
    PERFORM monitoring_internal.assert_text('task_id', p_task_id, 200);
    PERFORM monitoring_internal.assert_text('status', p_status, 200);
    IF p_status NOT IN ('completed', 'failed', 'cancelled', 'timeout') THEN
        RAISE EXCEPTION 'unknown task status: %', p_status
            USING ERRCODE = 'PV002',
                  HINT = 'Use one of completed, failed, cancelled, timeout.';
    END IF;
    PERFORM monitoring_internal.assert_count('output_size', p_output_size);
    PERFORM monitoring_internal.assert_json_object('step_timings', p_step_timings);
    IF EXISTS (SELECT FROM jsonb_each(p_step_timings) AS s
               WHERE jsonb_typeof(s.value) <> 'number' OR s.value::text::numeric < 0) THEN
        RAISE EXCEPTION 'step_timings must map step names to seconds'
            USING ERRCODE = 'PV007',
                  DETAIL = format('Got %s.', left(p_step_timings::text, 200)),
                  HINT = 'Pass an object such as {"parse": 1.2, "store": 0.4}: each value a number of seconds >= 0.';
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.assert_task_completion(text, text, bigint, jsonb) IS
    'Internal: raises PV001, PV002, PV004, PV007 or PV008 for invalid task completion arguments (event time not included).';
