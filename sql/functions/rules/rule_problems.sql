CREATE OR REPLACE FUNCTION monitoring_internal.rule_problems(p_rule jsonb, p_document jsonb)
RETURNS TABLE (code text, problem text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: every problem of one rule of the config's alert_rules, with
-- its error code. p_document is the whole config, for the rules a
-- composite refers to and the alert_thresholds a rule may name. Rules are
-- data: nothing here or in the evaluator runs text from a rule as SQL.
DECLARE
    c_keys CONSTANT text[] := ARRAY['name', 'description', 'source', 'aggregate', 'window', 'group_by',
        'comparison', 'thresholds', 'severity', 'all_of', 'any_of', 'for', 'keep_firing_for', 'no_data',
        'min_samples', 'labels', 'annotations', 'enabled', 'quantile', 'severity_caps'];
    v_name text := p_rule ->> 'name';
    v_where text;
    v_key text;
    v_value jsonb;
    v_conditions jsonb;
    v_condition jsonb;
    v_other jsonb;
    v_group_by text[];
    v_problem text;
    v_position integer := 0;
BEGIN
    IF jsonb_typeof(p_rule) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV509', 'alert_rules: every rule must be a JSON object';
        RETURN;
    END IF;
    v_where := format('alert_rules[%s]', coalesce(v_name, '?'));
    IF v_name IS NULL OR jsonb_typeof(p_rule -> 'name') <> 'string'
       OR v_name !~ '^[A-Za-z_][A-Za-z0-9_]{0,99}$' THEN
        RETURN QUERY SELECT 'PV509', format('%s.name must be 1-100 letters, digits or _, not starting with a digit', v_where);
    END IF;
    FOR v_key IN SELECT k FROM jsonb_object_keys(p_rule) AS k WHERE NOT k = ANY (c_keys) ORDER BY 1 LOOP
        RETURN QUERY SELECT 'PV509', format('%s: unknown key %s', v_where, v_key);
    END LOOP;
    IF p_rule ? 'description' AND jsonb_typeof(p_rule -> 'description') <> 'string' THEN
        RETURN QUERY SELECT 'PV509', format('%s.description must be a string', v_where);
    END IF;
    IF p_rule ? 'enabled' AND jsonb_typeof(p_rule -> 'enabled') <> 'boolean' THEN
        RETURN QUERY SELECT 'PV509', format('%s.enabled must be true or false', v_where);
    END IF;
    IF p_rule ? 'no_data' AND NOT coalesce((p_rule ->> 'no_data') = ANY (ARRAY['ok', 'alerting', 'keep_last', 'nodata']), false) THEN
        RETURN QUERY SELECT 'PV509', format('%s.no_data must be ok, alerting, keep_last or nodata', v_where);
    END IF;
    v_value := monitoring_internal.rule_setting(p_rule -> 'min_samples', p_document);
    IF p_rule ? 'min_samples' AND (jsonb_typeof(v_value) IS DISTINCT FROM 'number'
                                   OR (v_value #>> '{}') !~ '^[0-9]{1,9}$'
                                   OR (v_value #>> '{}')::integer < 1) THEN
        RETURN QUERY SELECT 'PV509', format('%s.min_samples must be a whole number >= 1 (or name one in alert_settings), got %s',
                                            v_where, p_rule -> 'min_samples');
    END IF;
    IF p_rule ? 'severity_caps' THEN
        IF jsonb_typeof(p_rule -> 'severity_caps') <> 'array'
           OR EXISTS (SELECT FROM jsonb_array_elements(p_rule -> 'severity_caps') AS c
                      WHERE jsonb_typeof(c) <> 'object' OR jsonb_typeof(c -> 'when') IS DISTINCT FROM 'object'
                         OR EXISTS (SELECT FROM jsonb_object_keys(c) AS k WHERE k NOT IN ('when', 'max'))
                         OR monitoring_internal.severity_rank(monitoring_internal.rule_setting(c -> 'max', p_document) #>> '{}') IS NULL) THEN
            RETURN QUERY SELECT 'PV504', format('%s.severity_caps must be a list of {"when": {DETAIL: VALUE}, "max": SEVERITY}', v_where);
        END IF;
    END IF;
    FOREACH v_key IN ARRAY ARRAY['for', 'keep_firing_for'] LOOP
        IF p_rule ? v_key AND coalesce(monitoring_internal.rule_duration(p_rule -> v_key, p_document) < 0, true) THEN
            RETURN QUERY SELECT 'PV503', format('%s.%s must be a duration such as "5m", got %s', v_where, v_key, p_rule -> v_key);
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['labels', 'annotations'] LOOP
        CONTINUE WHEN NOT p_rule ? v_key;
        IF jsonb_typeof(p_rule -> v_key) <> 'object' THEN
            RETURN QUERY SELECT 'PV509', format('%s.%s must be an object of strings', v_where, v_key);
            CONTINUE;
        END IF;
        FOR v_value, v_problem IN
            SELECT to_jsonb(e.key), CASE WHEN jsonb_typeof(e.value) <> 'string' THEN 'must be a string'
                                         ELSE monitoring_internal.template_problem(e.value #>> '{}') END
            FROM jsonb_each(p_rule -> v_key) AS e
        LOOP
            IF v_key = 'labels' AND (v_value #>> '{}') !~ '^[A-Za-z_][A-Za-z0-9_]{0,99}$' THEN
                RETURN QUERY SELECT 'PV509', format('%s.labels: %s is not a label name (letters, digits, _)', v_where, v_value);
            ELSIF v_key = 'labels' AND (v_value #>> '{}') IN ('alertname', 'severity') THEN
                RETURN QUERY SELECT 'PV509', format('%s.labels: %s is set by pgvigil', v_where, v_value);
            END IF;
            IF v_problem IS NOT NULL THEN
                RETURN QUERY SELECT 'PV505', format('%s.%s.%s %s', v_where, v_key, v_value #>> '{}', v_problem);
            END IF;
        END LOOP;
    END LOOP;
    IF p_rule ? 'group_by' THEN
        IF jsonb_typeof(p_rule -> 'group_by') <> 'array'
           OR EXISTS (SELECT FROM jsonb_array_elements(p_rule -> 'group_by') AS g WHERE jsonb_typeof(g) <> 'string') THEN
            RETURN QUERY SELECT 'PV509', format('%s.group_by must be a list of label names', v_where);
        ELSE
            SELECT array_agg(g ORDER BY n) INTO v_group_by
            FROM jsonb_array_elements_text(p_rule -> 'group_by') WITH ORDINALITY AS x (g, n);
            IF cardinality(v_group_by) <> (SELECT count(DISTINCT g) FROM unnest(v_group_by) AS g) THEN
                RETURN QUERY SELECT 'PV509', format('%s.group_by names a label twice', v_where);
            END IF;
        END IF;
    END IF;
    v_group_by := coalesce(v_group_by, '{}');

    IF p_rule ? 'all_of' OR p_rule ? 'any_of' THEN
        IF p_rule ? 'all_of' AND p_rule ? 'any_of' THEN
            RETURN QUERY SELECT 'PV508', format('%s: a composite rule has all_of or any_of, not both', v_where);
            RETURN;
        END IF;
        FOREACH v_key IN ARRAY ARRAY['source', 'aggregate', 'window', 'thresholds', 'quantile'] LOOP
            IF p_rule ? v_key THEN
                RETURN QUERY SELECT 'PV508', format('%s: a composite rule has no %s of its own (its conditions do)', v_where, v_key);
            END IF;
        END LOOP;
        IF monitoring_internal.severity_rank(p_rule ->> 'severity') IS NULL THEN
            RETURN QUERY SELECT 'PV504', format('%s.severity must be low, medium, high or critical', v_where);
        END IF;
        v_conditions := coalesce(p_rule -> 'all_of', p_rule -> 'any_of');
        IF jsonb_typeof(v_conditions) <> 'array' OR jsonb_array_length(v_conditions) = 0 THEN
            RETURN QUERY SELECT 'PV508', format('%s: all_of / any_of must list at least one condition', v_where);
            RETURN;
        END IF;
        FOR v_condition IN SELECT c FROM jsonb_array_elements(v_conditions) AS c LOOP
            v_position := v_position + 1;
            IF jsonb_typeof(v_condition) <> 'object' THEN
                RETURN QUERY SELECT 'PV508', format('%s condition %s must be an object', v_where, v_position);
            ELSIF v_condition ? 'rule' THEN
                SELECT r INTO v_other FROM jsonb_array_elements(p_document -> 'alert_rules') AS r
                WHERE r ->> 'name' = v_condition ->> 'rule' LIMIT 1;
                IF v_other IS NULL OR v_condition ->> 'rule' = v_name THEN
                    RETURN QUERY SELECT 'PV508', format('%s condition %s refers to %s, which is not a rule of this config',
                                                        v_where, v_position, coalesce(v_condition ->> 'rule', 'nothing'));
                ELSIF v_other ? 'all_of' OR v_other ? 'any_of' THEN
                    RETURN QUERY SELECT 'PV508', format('%s condition %s refers to the composite rule %s', v_where, v_position, v_other ->> 'name');
                ELSIF NOT v_group_by <@ ARRAY(SELECT jsonb_array_elements_text(coalesce(v_other -> 'group_by', '[]'))) THEN
                    RETURN QUERY SELECT 'PV508', format('%s condition %s: rule %s does not group by every label of %s',
                                                        v_where, v_position, v_other ->> 'name', array_to_string(v_group_by, ', '));
                ELSIF (SELECT count(*) FROM jsonb_object_keys(v_condition)) > 1 THEN
                    RETURN QUERY SELECT 'PV508', format('%s condition %s: a {"rule": ...} condition has no other keys', v_where, v_position);
                END IF;
            ELSE
                FOR v_key IN SELECT k FROM jsonb_object_keys(v_condition) AS k
                             WHERE NOT k = ANY (ARRAY['source', 'aggregate', 'window', 'comparison', 'threshold']) LOOP
                    RETURN QUERY SELECT 'PV508', format('%s condition %s: unknown key %s', v_where, v_position, v_key);
                END LOOP;
                RETURN QUERY SELECT p.code, format('%s condition %s%s', v_where, v_position, p.problem)
                FROM monitoring_internal.rule_condition_problems(v_condition, v_group_by, p_document) AS p;
                IF NOT v_condition ? 'threshold' THEN
                    RETURN QUERY SELECT 'PV506', format('%s condition %s needs a threshold', v_where, v_position);
                END IF;
            END IF;
        END LOOP;
        RETURN;
    END IF;

    IF p_rule ? 'severity' THEN
        RETURN QUERY SELECT 'PV509', format('%s: severity is for composite rules; a rule has thresholds per severity', v_where);
    END IF;
    RETURN QUERY SELECT p.code, v_where || p.problem
    FROM monitoring_internal.rule_condition_problems(p_rule, v_group_by, p_document) AS p;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.rule_problems(jsonb, jsonb) IS
    'Internal: every problem of one alert rule (code PV501-PV509 and a message naming the field); no rows when it is valid.';
