CREATE OR REPLACE FUNCTION monitoring_internal.run_builtin_check(p_check_function text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: what a check_*_alerts() function does since the checks became
-- rules: evaluate its rules now (waiting for the checks' lock, as the
-- checks always did). As in the original design, the alerts whose
-- condition cleared stay open until resolve_resolved_alerts() (or the next
-- evaluate_alert_rules()) resolves them. Its alert types are marked
-- checked, so that an alert the old check raised before the upgrade, and
-- no rule took over, resolves the same way. A rule disabled in the config
-- is not evaluated. Returns the number of its rules' groups firing.
DECLARE
    v_rules text[] := (SELECT b.rule_names FROM monitoring_internal.builtin_check_rules() AS b
                       WHERE b.check_function = p_check_function);
    v_firing integer;
    v_rule text;
BEGIN
    PERFORM monitoring_internal.config_value('{alert_thresholds}');  -- PV301 without a config
    PERFORM monitoring_internal.lock_checks();
    SELECT coalesce(sum(e.firing), 0) INTO v_firing
    FROM monitoring_internal.evaluate_rules(
             coalesce(nullif(current_setting('pgvigil.check_source', true), ''), 'manual'), v_rules,
             p_resolve => false) AS e;
    FOREACH v_rule IN ARRAY v_rules LOOP
        PERFORM monitoring_internal.finish_check(v_rule);
    END LOOP;
    RETURN v_firing;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.run_builtin_check(text) IS
    'Internal: evaluates the shipped rules of one check_*_alerts() function (builtin_check_rules); returns their groups firing.';
