CREATE OR REPLACE FUNCTION monitoring.check_system_health_alerts()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Per component whose latest status is not healthy: the seconds it has been
-- in that status against alert_thresholds.unhealthy_seconds. A degraded
-- component is capped at alert_settings.degraded_max_severity. Alert type
-- 'component_health', subject = component_type/component_name. Returns the
-- number of components alerting.
DECLARE
    v_thresholds jsonb := monitoring_internal.config_value('{alert_thresholds,unhealthy_seconds}');
    v_degraded_cap text := monitoring_internal.config_value('{alert_settings,degraded_max_severity}') #>> '{}';
    v_severity text;
    v_alerting integer := 0;
    r record;
BEGIN
    PERFORM monitoring_internal.lock_checks();
    FOR r IN
        SELECT h.*,
               greatest(extract(epoch FROM now() - h.status_since)::double precision, 0) AS seconds_in_status
        FROM monitoring.system_health AS h
        WHERE h.status <> 'healthy'
    LOOP
        v_severity := monitoring_internal.severity_for_value(r.seconds_in_status, v_thresholds);
        CONTINUE WHEN v_severity IS NULL;
        IF r.status = 'degraded'
           AND monitoring_internal.severity_rank(v_severity) > monitoring_internal.severity_rank(v_degraded_cap) THEN
            v_severity := v_degraded_cap;
        END IF;
        PERFORM monitoring_internal.upsert_alert(
            'component_health', r.component_type || '/' || r.component_name, v_severity,
            format('%s %s is %s', r.component_type, r.component_name, r.status),
            format('%s %s has been %s for %s s%s', r.component_type, r.component_name, r.status,
                   round(r.seconds_in_status::numeric),
                   coalesce(': ' || r.failure_reason, '')),
            r.seconds_in_status, (v_thresholds ->> v_severity)::double precision,
            jsonb_build_object('status', r.status, 'status_since', r.status_since,
                               'failure_reason', r.failure_reason,
                               'consecutive_failures', r.consecutive_failures,
                               'response_time_ms', r.response_time_ms));
        v_alerting := v_alerting + 1;
    END LOOP;
    PERFORM monitoring_internal.finish_check('component_health');
    RETURN v_alerting;
END;
$$;
COMMENT ON FUNCTION monitoring.check_system_health_alerts() IS
    'Raises or updates a component_health alert per component that is degraded or unhealthy, by seconds in that status against alert_thresholds.unhealthy_seconds (degraded capped at alert_settings.degraded_max_severity). Returns the number of components alerting.';
