CREATE OR REPLACE FUNCTION monitoring.check_error_rate_alerts()
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- Errors per hour per component over alert_settings.error_rate_window_minutes,
    -- against alert_thresholds.error_rates: the shipped rule error_rate (alert
    -- type error_rate, subject = component).
    -- The original design's function, kept: it evaluates its rules (see
    -- builtin_check_rules); their thresholds and windows are still
    -- alert_thresholds and alert_settings.
    SELECT monitoring_internal.run_builtin_check('check_error_rate_alerts');
$$;
COMMENT ON FUNCTION monitoring.check_error_rate_alerts() IS
    'Evaluates the shipped rule error_rate now (errors per hour per component over alert_settings.error_rate_window_minutes against alert_thresholds.error_rates) and returns the number of components alerting.';
