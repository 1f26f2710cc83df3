CREATE OR REPLACE FUNCTION monitoring.evaluate_alert_rules(p_source text DEFAULT 'manual')
RETURNS TABLE (rule_name text, groups integer, pending integer, firing integer, transitions integer,
               duration_ms double precision)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Evaluates every enabled alert rule once, in one transaction, at the
-- transaction's time; one row per rule. p_source (worker, pg_cron,
-- manual...) is recorded on the alerts it raises and resolves. One
-- evaluation at a time: another evaluator (a second worker, pg_cron, the
-- checks) holding the lock makes this one return no rows instead of
-- waiting, so two evaluators never make the same transition twice. On a
-- standby it does nothing.
DECLARE
    v_rule monitoring.alert_rules;
    v_started timestamptz;
    v_result record;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN;
    END IF;
    PERFORM monitoring_internal.assert_text('source', p_source, 200);
    IF NOT pg_try_advisory_xact_lock(hashtext('pgvigil.monitoring_checks')) THEN
        RAISE NOTICE 'pgvigil: alert evaluation already running in another session; skipped';
        RETURN;
    END IF;
    -- Each distinct source once, for every rule that reads it (composites
    -- compute their conditions themselves).
    DELETE FROM monitoring_internal.evaluation_values;
    INSERT INTO monitoring_internal.evaluation_values (source_key, group_key, group_labels, value, samples)
    SELECT monitoring_internal.rule_source_key(k.source_kind, k.source_filter, k.aggregate, k.window_seconds, k.group_by),
           md5(v.group_labels::text), v.group_labels, v.value, v.samples
    FROM (SELECT DISTINCT r.source_kind, r.source_filter, r.aggregate, r.window_seconds, r.group_by
          FROM monitoring.alert_rules AS r WHERE r.enabled AND r.composite_match IS NULL) AS k,
         LATERAL monitoring_internal.source_values(k.source_kind, k.source_filter, k.aggregate,
                                                   k.window_seconds, k.group_by, now()) AS v;
    ANALYZE monitoring_internal.evaluation_values;
    -- Simple rules first: a composite reads them in the same snapshot anyway.
    FOR v_rule IN SELECT * FROM monitoring.alert_rules AS r WHERE r.enabled
                  ORDER BY r.composite_match IS NOT NULL, r.rule_name LOOP
        v_started := clock_timestamp();
        v_result := monitoring_internal.evaluate_rule(v_rule, now(), p_source);
        rule_name := v_rule.rule_name;
        groups := v_result.groups;
        pending := v_result.pending;
        firing := v_result.firing;
        transitions := v_result.transitions;
        duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
        RETURN NEXT;
    END LOOP;
    PERFORM set_config('pgvigil.check_source', p_source, true);
    PERFORM monitoring_internal.finish_check('alert_rules');
END;
$$;
COMMENT ON FUNCTION monitoring.evaluate_alert_rules(text) IS
    'Evaluates every enabled alert rule once (pending, firing, resolved; see docs/rules.md); one row per rule: groups seen, pending, firing, state transitions, duration in ms. Returns no rows when another evaluation holds the lock. Errors: PV001/PV008 (p_source).';
