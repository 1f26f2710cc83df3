CREATE OR REPLACE FUNCTION monitoring_internal.builtin_check_rules()
RETURNS TABLE (check_function text, rule_names text[])
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the original design's check functions and the shipped rules
    -- each now evaluates (config/monitoring_config.json). The rule names are
    -- the alert types the checks raised, so alert keys stay what they were.
    VALUES ('check_error_rate_alerts', ARRAY['error_rate']),
           ('check_processing_performance_alerts', ARRAY['slow_processing', 'task_failure_rate', 'stuck_tasks']),
           ('check_system_health_alerts', ARRAY['component_health']),
           ('check_queue_backlog_alerts', ARRAY['queue_backlog']);
$$;
COMMENT ON FUNCTION monitoring_internal.builtin_check_rules() IS
    'Internal: which shipped alert rules each check_*_alerts() function evaluates.';
