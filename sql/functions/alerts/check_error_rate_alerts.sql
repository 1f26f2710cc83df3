CREATE OR REPLACE FUNCTION monitoring.check_error_rate_alerts()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Error rate per component: errors (any severity) whose occurred_at falls in
-- the last alert_settings.error_rate_window_minutes, scaled to errors per
-- hour, against alert_thresholds.error_rates. Alert type 'error_rate',
-- subject = component. Returns the number of components alerting.
DECLARE
    v_window_minutes double precision := monitoring_internal.config_number('{alert_settings,error_rate_window_minutes}');
    v_thresholds jsonb := monitoring_internal.config_value('{alert_thresholds,error_rates}');
    v_severity text;
    v_alerting integer := 0;
    r record;
BEGIN
    PERFORM monitoring_internal.lock_checks();
    FOR r IN
        SELECT e.component,
               count(*) AS error_count,
               count(*) * 60.0 / v_window_minutes AS errors_per_hour,
               count(*) FILTER (WHERE e.severity IN ('high', 'critical')) AS serious_count,
               max(e.occurred_at) AS last_error_at
        FROM monitoring.error_tracking AS e
        WHERE e.occurred_at > now() - make_interval(mins => 1) * v_window_minutes
          AND e.occurred_at <= now()
        GROUP BY e.component
    LOOP
        v_severity := monitoring_internal.severity_for_value(r.errors_per_hour, v_thresholds);
        CONTINUE WHEN v_severity IS NULL;
        PERFORM monitoring_internal.upsert_alert(
            'error_rate', r.component, v_severity,
            format('High error rate in %s', r.component),
            format('%s errors in the last %s minutes in %s (%s per hour; %s threshold %s per hour)',
                   r.error_count, v_window_minutes, r.component, round(r.errors_per_hour::numeric, 1),
                   v_severity, v_thresholds ->> v_severity),
            r.errors_per_hour, (v_thresholds ->> v_severity)::double precision,
            jsonb_build_object('error_count', r.error_count, 'window_minutes', v_window_minutes,
                               'high_or_critical_count', r.serious_count,
                               'last_error_at', r.last_error_at));
        v_alerting := v_alerting + 1;
    END LOOP;
    PERFORM monitoring_internal.finish_check('error_rate');
    RETURN v_alerting;
END;
$$;
COMMENT ON FUNCTION monitoring.check_error_rate_alerts() IS
    'Raises or updates an error_rate alert per component whose errors in the last alert_settings.error_rate_window_minutes, scaled to per hour, reach alert_thresholds.error_rates. Returns the number of components alerting.';
