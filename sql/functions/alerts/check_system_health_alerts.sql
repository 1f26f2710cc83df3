CREATE OR REPLACE FUNCTION monitoring.check_system_health_alerts()
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- Per degraded or unhealthy component, seconds in that status against
    -- alert_thresholds.unhealthy_seconds, degraded held at
    -- alert_settings.degraded_max_severity: the shipped rule component_health
    -- (subject = component_type/component_name).
    -- The original design's function, kept: it evaluates its rules (see
    -- builtin_check_rules); their thresholds and windows are still
    -- alert_thresholds and alert_settings.
    SELECT monitoring_internal.run_builtin_check('check_system_health_alerts');
$$;
COMMENT ON FUNCTION monitoring.check_system_health_alerts() IS
    'Evaluates the shipped rule component_health now (seconds degraded or unhealthy against alert_thresholds.unhealthy_seconds, degraded capped at alert_settings.degraded_max_severity); returns the number of components alerting.';
