CREATE OR REPLACE FUNCTION monitoring.test_alert_rule(p_rule jsonb)
RETURNS TABLE (group_labels jsonb, value double precision, severity text, threshold double precision,
               state text, would_be text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Evaluates a rule now and shows, per group, what it measures and what an
-- evaluation would make of it, changing nothing: p_rule is a whole rule
-- (validated as if it were added to the active config, so an unsaved rule
-- can be tried) or {"name": ...} of a rule of the config. would_be is
-- firing, pending or inactive, from the group's current state and the
-- rule's for; no_data handling is not applied (groups without data are not
-- listed).
DECLARE
    v_document jsonb;
    v_rule monitoring.alert_rules;
    v_code text;
    v_problems text[];
BEGIN
    IF p_rule IS NULL OR jsonb_typeof(p_rule) <> 'object' OR jsonb_typeof(p_rule -> 'name') <> 'string' THEN
        RAISE EXCEPTION 'a rule must be a JSON object with a "name"'
            USING ERRCODE = 'PV509', HINT = monitoring_internal.rule_error_hint('PV509');
    END IF;
    SELECT c.document INTO v_document FROM monitoring.config AS c;
    IF (SELECT count(*) FROM jsonb_object_keys(p_rule)) = 1 THEN
        SELECT * INTO v_rule FROM monitoring.alert_rules AS r WHERE r.rule_name = p_rule ->> 'name';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown alert rule: %', p_rule ->> 'name'
                USING ERRCODE = 'PV510', HINT = monitoring_internal.rule_error_hint('PV510');
        END IF;
    ELSE
        v_document := jsonb_set(coalesce(v_document, '{}'), '{alert_rules}', coalesce(
            (SELECT jsonb_agg(r) FROM jsonb_array_elements(v_document -> 'alert_rules') AS r
             WHERE r ->> 'name' <> p_rule ->> 'name'), '[]') || jsonb_build_array(p_rule));
        SELECT array_agg(x.problem), (array_agg(x.code))[1] INTO v_problems, v_code
        FROM monitoring_internal.rule_problems(p_rule, v_document) AS x;
        IF v_problems IS NOT NULL THEN
            RAISE EXCEPTION 'invalid alert rule: % problem(s)', cardinality(v_problems)
                USING ERRCODE = v_code, DETAIL = array_to_string(v_problems, E'\n'),
                      HINT = monitoring_internal.rule_error_hint(v_code);
        END IF;
        SELECT * INTO v_rule FROM monitoring_internal.compiled_rules(v_document) AS c
        WHERE c.rule_name = p_rule ->> 'name';
    END IF;
    RETURN QUERY
    SELECT v.group_labels, v.value, v.severity, v.threshold, coalesce(g.state, 'inactive'),
           CASE WHEN v.severity IS NULL THEN
                    CASE WHEN g.state = 'firing' AND v_rule.keep_firing_for_seconds > 0
                              AND now() - g.last_breach_at < make_interval(secs => v_rule.keep_firing_for_seconds)
                         THEN 'firing' ELSE 'inactive' END
                WHEN g.state = 'firing' OR v_rule.for_seconds <= 0 THEN 'firing'
                WHEN g.state = 'pending' AND now() - g.breached_since >= make_interval(secs => v_rule.for_seconds) THEN 'firing'
                ELSE 'pending' END
    FROM monitoring_internal.rule_group_values(v_rule, now()) AS v
    LEFT JOIN monitoring_internal.rule_groups AS g
           ON g.rule_name = v_rule.rule_name AND g.group_key = v.group_key
    ORDER BY v.severity IS NULL, v.value DESC;
END;
$$;
COMMENT ON FUNCTION monitoring.test_alert_rule(jsonb) IS
    'Evaluates a rule (a whole rule, or {"name": ...} of a configured one) now and lists its groups with value, severity reached, current state and what an evaluation would make of it; changes nothing. Errors: PV501-PV510.';
