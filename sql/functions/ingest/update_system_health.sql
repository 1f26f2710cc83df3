CREATE OR REPLACE FUNCTION monitoring.update_system_health(
    p_component_type text,
    p_component_name text,
    p_status text,
    p_response_time_ms numeric DEFAULT NULL,
    p_failure_reason text DEFAULT NULL,
    p_details jsonb DEFAULT NULL,
    p_event_time timestamptz DEFAULT now()
)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Records a health report for a component and returns true when its status
-- changed. Each change (and the first report) is kept in
-- system_health_history; a return to healthy records the recovery time.
-- A report older than the component's latest one is ignored (returns
-- false): it cannot rewrite what a newer report established.
DECLARE
    v_current monitoring.system_health%ROWTYPE;
BEGIN
    PERFORM monitoring_internal.assert_text('component_type', p_component_type, 200);
    PERFORM monitoring_internal.assert_text('component_name', p_component_name, 200);
    PERFORM monitoring_internal.assert_text('status', p_status, 200);
    IF p_status NOT IN ('healthy', 'degraded', 'unhealthy') THEN
        RAISE EXCEPTION 'unknown health status: %', p_status
            USING ERRCODE = 'PV002',
                  HINT = 'Use one of healthy, degraded, unhealthy.';
    END IF;
    -- Checked as a double (NaN, infinity, negative); a finite numeric beyond
    -- double's range (a float near DBL_MAX rounded up to 15 digits) or too
    -- close to zero for it (1e-400) is clamped for the check only, keeping
    -- its sign, not refused with a cast error. The column is numeric.
    PERFORM monitoring_internal.assert_count('response_time_ms',
        CASE WHEN p_response_time_ms > 1e300 AND p_response_time_ms < 'Infinity'::numeric THEN 1e300
             WHEN p_response_time_ms < -1e300 AND p_response_time_ms > '-Infinity'::numeric THEN -1e300
             WHEN p_response_time_ms <> 0 AND abs(p_response_time_ms) < 1e-300
                 THEN sign(p_response_time_ms) * 1e-300
             ELSE p_response_time_ms END::double precision);
    PERFORM monitoring_internal.assert_json_object('details', p_details);
    PERFORM monitoring_internal.assert_event_time(p_event_time);

    INSERT INTO monitoring.system_health AS h
        (component_type, component_name, status, response_time_ms, failure_reason, details,
         last_check_at, status_since, last_healthy_at, outage_started_at, consecutive_failures)
    VALUES
        (p_component_type, p_component_name, p_status, p_response_time_ms,
         left(p_failure_reason, 2000), p_details, p_event_time, p_event_time,
         CASE WHEN p_status = 'healthy' THEN p_event_time END,
         CASE WHEN p_status <> 'healthy' THEN p_event_time END,
         CASE WHEN p_status = 'unhealthy' THEN 1 ELSE 0 END)
    ON CONFLICT ON CONSTRAINT system_health_pkey DO NOTHING;
    IF FOUND THEN
        INSERT INTO monitoring.system_health_history
            (component_type, component_name, previous_status, status, response_time_ms,
             failure_reason, changed_at)
        VALUES
            (p_component_type, p_component_name, NULL, p_status, p_response_time_ms,
             left(p_failure_reason, 2000), p_event_time);
        IF p_status <> 'healthy' THEN
            PERFORM monitoring_internal.notify_evaluator('health');
        END IF;
        RETURN true;
    END IF;

    SELECT * INTO v_current
    FROM monitoring.system_health AS h
    WHERE h.component_type = p_component_type AND h.component_name = p_component_name
    FOR UPDATE;

    IF p_event_time < v_current.last_check_at THEN
        RETURN false;
    END IF;

    UPDATE monitoring.system_health AS h
    SET status = p_status,
        response_time_ms = p_response_time_ms,
        failure_reason = left(p_failure_reason, 2000),
        details = p_details,
        last_check_at = p_event_time,
        status_since = CASE WHEN h.status = p_status THEN h.status_since ELSE p_event_time END,
        last_healthy_at = CASE WHEN p_status = 'healthy' THEN p_event_time ELSE h.last_healthy_at END,
        outage_started_at = CASE
            WHEN p_status = 'healthy' THEN NULL
            ELSE coalesce(h.outage_started_at, p_event_time) END,
        consecutive_failures = CASE WHEN p_status = 'unhealthy' THEN h.consecutive_failures + 1 ELSE 0 END,
        check_count = h.check_count + 1
    WHERE h.component_type = p_component_type AND h.component_name = p_component_name;

    IF v_current.status = p_status THEN
        RETURN false;
    END IF;

    INSERT INTO monitoring.system_health_history
        (component_type, component_name, previous_status, status, previous_status_seconds,
         recovery_seconds, response_time_ms, failure_reason, changed_at)
    VALUES
        (p_component_type, p_component_name, v_current.status, p_status,
         extract(epoch FROM p_event_time - v_current.status_since)::double precision,
         CASE WHEN p_status = 'healthy' AND v_current.outage_started_at IS NOT NULL
              THEN extract(epoch FROM p_event_time - v_current.outage_started_at)::double precision END,
         p_response_time_ms, left(p_failure_reason, 2000), p_event_time);
    PERFORM monitoring_internal.notify_evaluator('health');
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.update_system_health(text, text, text, numeric, text, jsonb, timestamptz) IS
    'Records a health report (healthy, degraded, unhealthy; response time in milliseconds as in the original design) and returns true when the status changed. Reports older than the latest one are ignored. Errors: PV001, PV002, PV004, PV005, PV006, PV007, PV008.';
