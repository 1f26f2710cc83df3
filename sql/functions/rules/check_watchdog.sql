CREATE OR REPLACE FUNCTION monitoring.check_watchdog(p_source text DEFAULT 'manual')
RETURNS TABLE (rule_name text, groups integer, pending integer, firing integer, transitions integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Evaluates only the rules over pgvigil itself (source kind pgvigil:
-- PgvigilEvaluationStalled, PgvigilJobFailing, Watchdog), from a pg_cron
-- job of its own (pgvigil-watchdog): when the evaluation job fails or
-- stops, this one still runs and says so. It is not an evaluation of the
-- rules (check_runs 'alert_rules' does not move), so it cannot hide a
-- stall. Returns no rows while an evaluation holds the lock: one is
-- running, so evaluation has not stalled.
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN;
    END IF;
    PERFORM monitoring_internal.assert_text('source', p_source, 200);
    IF NOT pg_try_advisory_xact_lock(hashtext('pgvigil.monitoring_checks')) THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT * FROM monitoring_internal.evaluate_rules(
        p_source, ARRAY(SELECT r.rule_name FROM monitoring.alert_rules AS r WHERE r.source_kind = 'pgvigil'));
END;
$$;
COMMENT ON FUNCTION monitoring.check_watchdog(text) IS
    'Evaluates the rules over pgvigil itself (evaluation stalled, pgvigil pg_cron jobs failing, Watchdog); run by the pgvigil-watchdog job. Returns no rows while an evaluation runs. Errors: PV001/PV008 (p_source).';
