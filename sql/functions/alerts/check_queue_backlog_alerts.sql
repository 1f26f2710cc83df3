CREATE OR REPLACE FUNCTION monitoring.check_queue_backlog_alerts()
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- Per queue, pending items of its latest sample younger than
    -- alert_settings.queue_sample_max_age_minutes against
    -- alert_thresholds.queue_backlog: the shipped rule queue_backlog (subject =
    -- queue name). A queue that stopped reporting clears its alert.
    -- The original design's function, kept: it evaluates its rules (see
    -- builtin_check_rules); their thresholds and windows are still
    -- alert_thresholds and alert_settings.
    SELECT monitoring_internal.run_builtin_check('check_queue_backlog_alerts');
$$;
COMMENT ON FUNCTION monitoring.check_queue_backlog_alerts() IS
    'Evaluates the shipped rule queue_backlog now (pending items of each queue''s latest recent sample against alert_thresholds.queue_backlog); returns the number of queues alerting.';
