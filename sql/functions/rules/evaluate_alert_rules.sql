CREATE OR REPLACE FUNCTION monitoring.evaluate_alert_rules(p_source text DEFAULT 'manual')
RETURNS TABLE (rule_name text, groups integer, pending integer, firing integer, transitions integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Evaluates every enabled alert rule once, in one transaction, at the
-- transaction's time (monitoring_internal.evaluate_rules); one row per
-- rule: groups with data, groups pending and firing after this evaluation,
-- state changes made. p_source (worker, pg_cron, manual...) is recorded on
-- the alerts it raises and resolves. One evaluation at a time: another
-- evaluator (a second worker, pg_cron, the checks) holding the lock makes
-- this one return no rows instead of waiting, so two evaluators never make
-- the same transition twice. On a standby it does nothing.
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN;
    END IF;
    PERFORM monitoring_internal.assert_text('source', p_source, 200);
    IF NOT pg_try_advisory_xact_lock(hashtext('pgvigil.monitoring_checks')) THEN
        RAISE NOTICE 'pgvigil: alert evaluation already running in another session; skipped';
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM monitoring_internal.evaluate_rules(p_source);
    -- And what a check_*() function left for resolve_resolved_alerts().
    PERFORM set_config('pgvigil.check_source', p_source, true);
    PERFORM monitoring.resolve_resolved_alerts();
END;
$$;
COMMENT ON FUNCTION monitoring.evaluate_alert_rules(text) IS
    'Evaluates every enabled alert rule once (pending, firing, resolved; see docs/rules.md); one row per rule: groups with data, groups pending and firing, state transitions made. Returns no rows when another evaluation holds the lock. Errors: PV001/PV008 (p_source).';
