CREATE OR REPLACE FUNCTION monitoring.check_processing_performance_alerts()
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- Three measures per task type, the shipped rules slow_processing (the
    -- alert_settings.processing_percentile of durations of tasks that ended in
    -- the window), task_failure_rate ((failed + timeout) / ended) and
    -- stuck_tasks (the oldest task still running), subject = task type.
    -- The original design's function, kept: it evaluates its rules (see
    -- builtin_check_rules); their thresholds and windows are still
    -- alert_thresholds and alert_settings.
    SELECT monitoring_internal.run_builtin_check('check_processing_performance_alerts');
$$;
COMMENT ON FUNCTION monitoring.check_processing_performance_alerts() IS
    'Evaluates the shipped rules slow_processing (percentile of durations), task_failure_rate ((failed + timeout) / ended) and stuck_tasks (oldest running task) now, per task type; returns the number of alerts firing.';
