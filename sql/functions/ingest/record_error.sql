CREATE OR REPLACE FUNCTION monitoring.record_error(
    p_task_id text,
    p_error_type text,
    p_severity text,
    p_message text,
    p_component text,
    p_stack_trace text DEFAULT NULL,
    p_context jsonb DEFAULT NULL,
    p_event_time timestamptz DEFAULT now()
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Records one error, inside a task (p_task_id) or not (NULL), and returns
-- its id. Long messages and stack traces are truncated, not rejected: an
-- error report must not be lost for being verbose.
DECLARE
    v_error_id bigint;
BEGIN
    IF p_task_id IS NOT NULL THEN
        PERFORM monitoring_internal.assert_text('task_id', p_task_id, 200);
    END IF;
    PERFORM monitoring_internal.assert_text('error_type', p_error_type, 200);
    PERFORM monitoring_internal.assert_text('severity', p_severity, 200);
    IF p_severity NOT IN ('low', 'medium', 'high', 'critical') THEN
        RAISE EXCEPTION 'unknown severity: %', p_severity
            USING ERRCODE = 'PV003',
                  HINT = 'Use one of low, medium, high, critical.';
    END IF;
    PERFORM monitoring_internal.assert_text('message', p_message, 2147483647);
    PERFORM monitoring_internal.assert_text('component', p_component, 200);
    PERFORM monitoring_internal.assert_json_object('context', p_context);
    PERFORM monitoring_internal.assert_event_time(p_event_time);

    INSERT INTO monitoring.error_tracking
        (task_id, error_type, severity, message, component, stack_trace, context, occurred_at)
    VALUES
        (p_task_id, p_error_type, p_severity, left(p_message, 10000), p_component,
         left(p_stack_trace, 100000), p_context, p_event_time)
    RETURNING error_id INTO v_error_id;
    IF p_severity = 'critical' THEN
        PERFORM monitoring_internal.notify_evaluator('critical_error');
    END IF;

    RETURN v_error_id;
END;
$$;
COMMENT ON FUNCTION monitoring.record_error(text, text, text, text, text, text, jsonb, timestamptz) IS
    'Records an error (severity low, medium, high or critical) for a task or, with a NULL task id, outside one. Message kept up to 10,000 characters, stack trace up to 100,000. Returns the error id. Errors: PV001, PV003, PV006, PV007, PV008.';
