CREATE OR REPLACE FUNCTION monitoring.run_monitoring_checks(p_source text DEFAULT 'manual')
RETURNS TABLE (check_name text, alerts integer, duration_ms double precision)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Runs every check, then resolves what cleared, in one transaction. p_source
-- (pg_cron, scheduler, manual...) is recorded on the alerts it raises. If
-- another run keeps the lock for 5 s (pg_cron replaying missed minutes
-- while a DBA runs it by hand) this one returns no rows instead of
-- queueing; on a standby it does nothing.
DECLARE
    v_started timestamptz;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN;
    END IF;
    PERFORM monitoring_internal.assert_text('source', p_source, 200);
    -- Waits up to 5 s for the lock: the watchdog job (due the same minute)
    -- and a worker's evaluation hold it for moments only.
    IF NOT monitoring_internal.wait_for_checks_lock(5) THEN
        RAISE NOTICE 'pgvigil: monitoring checks already running in another session; skipped';
        RETURN;
    END IF;
    PERFORM set_config('pgvigil.check_source', p_source, true);

    -- Components seen since the last run join the registry first, so that
    -- the alerts below carry the labels admins gave them.
    v_started := clock_timestamp();
    check_name := 'register_components';
    alerts := monitoring_internal.register_components();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    v_started := clock_timestamp();
    check_name := 'check_error_rate_alerts';
    alerts := monitoring.check_error_rate_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    v_started := clock_timestamp();
    check_name := 'check_processing_performance_alerts';
    alerts := monitoring.check_processing_performance_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    v_started := clock_timestamp();
    check_name := 'check_system_health_alerts';
    alerts := monitoring.check_system_health_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    v_started := clock_timestamp();
    check_name := 'check_queue_backlog_alerts';
    alerts := monitoring.check_queue_backlog_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    -- The other alert rules (config alert_rules; the checks above evaluated
    -- theirs): pg_cron's minute job is their evaluator when no pgvigil
    -- worker runs.
    v_started := clock_timestamp();
    check_name := 'evaluate_alert_rules';
    alerts := (SELECT coalesce(sum(r.firing), 0)
               FROM monitoring_internal.evaluate_rules(
                        p_source, NULL,
                        ARRAY(SELECT unnest(b.rule_names) FROM monitoring_internal.builtin_check_rules() AS b)) AS r);
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;
    v_started := clock_timestamp();
    check_name := 'resolve_resolved_alerts';
    alerts := monitoring.resolve_resolved_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    -- The notifications now due (pg_cron is the fallback of the worker here
    -- too): written to the outbox, which the worker delivers.
    v_started := clock_timestamp();
    check_name := 'flush_notification_groups';
    alerts := monitoring.flush_notification_groups();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION monitoring.run_monitoring_checks(text) IS
    'Registers components seen since the last run (register_components: alerts = components new), runs all alert checks, the alert rules (evaluate_alert_rules) resolve_resolved_alerts() and flush_notification_groups() (alerts = notifications written) in one transaction; one row per check with its duration in ms and alerts: for a check, the alerts it raised or updated; for evaluate_alert_rules, the alerts firing; for resolve_resolved_alerts, the alerts it resolved. Skips (no rows) when another run keeps the lock for 5 s.';
