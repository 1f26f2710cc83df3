CREATE OR REPLACE FUNCTION monitoring_internal.rule_condition_problems(
    p_condition jsonb,
    p_group_by text[],
    p_document jsonb
)
RETURNS TABLE (code text, problem text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: the problems of what a rule (or one inline condition of a
-- composite) measures: source, aggregate, window, comparison, and its
-- thresholds (a rule) or threshold (a condition). Messages start with the
-- field ('.source...'), for the caller to prefix with where it is.
DECLARE
    v_source jsonb := p_condition -> 'source';
    v_kind text := p_condition #>> '{source,kind}';
    v_catalog record;
    v_key text;
    v_value jsonb;
    v_thresholds jsonb;
    v_previous double precision;
    v_number double precision;
    v_ascending boolean := coalesce(p_condition ->> 'comparison', '>=') IN ('>', '>=');
    v_label text;
BEGIN
    IF jsonb_typeof(v_source) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV501', '.source must be an object such as {"kind": "metric", "metric_name": "cpu_usage"}'::text;
        RETURN;
    END IF;
    SELECT * INTO v_catalog FROM monitoring_internal.rule_sources() AS s WHERE s.kind = v_kind;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'PV501', format('.source.kind must be one of %s, got %s',
                                            (SELECT string_agg(s.kind, ', ') FROM monitoring_internal.rule_sources() AS s),
                                            coalesce((v_source -> 'kind')::text, 'nothing'));
        RETURN;
    END IF;
    FOR v_key, v_value IN SELECT e.key, e.value FROM jsonb_each(v_source) AS e WHERE e.key <> 'kind' ORDER BY 1 LOOP
        IF NOT v_key = ANY (v_catalog.filters) THEN
            RETURN QUERY SELECT 'PV501', format('.source: a %s source has no filter %s (it has %s)', v_kind, v_key,
                                                array_to_string(v_catalog.filters, ', '));
        ELSIF v_key = 'tags' AND (jsonb_typeof(v_value) <> 'object'
                                  OR EXISTS (SELECT FROM jsonb_each(v_value) AS t WHERE jsonb_typeof(t.value) <> 'string')) THEN
            RETURN QUERY SELECT 'PV501', '.source.tags must be an object of strings, matched as a subset of the sample''s tags'::text;
        ELSIF v_kind = 'health' AND v_key = 'status' AND jsonb_typeof(v_value) = 'array' THEN
            -- The one list filter: a status among several (degraded or unhealthy).
            IF jsonb_array_length(v_value) = 0
               OR EXISTS (SELECT FROM jsonb_array_elements(v_value) AS x
                          WHERE NOT coalesce(x #>> '{}' IN ('healthy', 'degraded', 'unhealthy'), false)
                             OR jsonb_typeof(x) <> 'string') THEN
                RETURN QUERY SELECT 'PV501', '.source.status must be a status or a list of them (healthy, degraded, unhealthy)'::text;
            END IF;
        ELSIF v_key <> 'tags' AND (jsonb_typeof(v_value) <> 'string' OR length(v_value #>> '{}') NOT BETWEEN 1 AND 200) THEN
            RETURN QUERY SELECT 'PV501', format('.source.%s must be a string of 1-200 characters', v_key);
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY v_catalog.required_filters LOOP
        IF NOT v_source ? v_key THEN
            RETURN QUERY SELECT 'PV501', format('.source: a %s source needs %s', v_kind, v_key);
        END IF;
    END LOOP;
    IF NOT (p_condition ->> 'aggregate') = ANY (v_catalog.aggregates) OR jsonb_typeof(p_condition -> 'aggregate') <> 'string' THEN
        RETURN QUERY SELECT 'PV502', format('.aggregate: a %s source has %s, got %s', v_kind,
                                            array_to_string(v_catalog.aggregates, ', '), coalesce((p_condition -> 'aggregate')::text, 'nothing'));
    END IF;
    IF p_condition ? 'window' AND coalesce(monitoring_internal.rule_duration(p_condition -> 'window', p_document) <= 0, true) THEN
        RETURN QUERY SELECT 'PV503', format('.window must be a duration > 0 such as "5m" (or name one in alert_settings), got %s',
                                            p_condition -> 'window');
    END IF;
    -- A quantile belongs to the duration_percentile aggregate, and it to it.
    v_value := monitoring_internal.rule_setting(p_condition -> 'quantile', p_document);
    IF (p_condition ->> 'aggregate' = 'duration_percentile') <> (p_condition ? 'quantile') THEN
        RETURN QUERY SELECT 'PV502', '.quantile goes with the duration_percentile aggregate: give both or neither'::text;
    ELSIF p_condition ? 'quantile' AND (jsonb_typeof(v_value) IS DISTINCT FROM 'number'
                                        OR (v_value #>> '{}')::double precision <= 0
                                        OR (v_value #>> '{}')::double precision > 1) THEN
        RETURN QUERY SELECT 'PV502', format('.quantile must be a number in (0, 1] such as 0.95 (or name one in alert_settings), got %s',
                                            p_condition -> 'quantile');
    END IF;
    IF p_condition ? 'comparison' AND NOT coalesce((p_condition ->> 'comparison') = ANY (ARRAY['>', '>=', '<', '<=']), false) THEN
        RETURN QUERY SELECT 'PV509', format('.comparison must be >, >=, < or <=, got %s', p_condition -> 'comparison');
    END IF;
    FOREACH v_label IN ARRAY p_group_by LOOP
        IF NOT (v_label = ANY (v_catalog.labels)
                OR (v_kind = 'metric' AND v_label ~ '^tags\.[A-Za-z_][A-Za-z0-9_]{0,99}$')) THEN
            RETURN QUERY SELECT 'PV509', format('.group_by: a %s source has no label %s (it has %s%s)', v_kind, v_label,
                                                array_to_string(v_catalog.labels, ', '),
                                                CASE WHEN v_kind = 'metric' THEN ', tags.KEY' ELSE '' END);
        END IF;
    END LOOP;

    IF p_condition ? 'threshold' THEN
        v_value := p_condition -> 'threshold';
        IF jsonb_typeof(v_value) <> 'number' OR abs((v_value #>> '{}')::numeric) > 1e308 THEN
            RETURN QUERY SELECT 'PV506', format('.threshold must be a finite number, got %s', v_value);
        END IF;
        RETURN;
    END IF;
    IF NOT p_condition ? 'thresholds' THEN
        IF NOT p_condition ? 'name' THEN  -- an inline condition: the caller reports the missing threshold
            RETURN;
        END IF;
        RETURN QUERY SELECT 'PV504', '.thresholds: a rule needs at least one of low, medium, high, critical'::text;
        RETURN;
    END IF;
    v_thresholds := p_condition -> 'thresholds';
    IF jsonb_typeof(v_thresholds) = 'string' THEN  -- a set of the alert_thresholds section, by name
        IF (v_thresholds #>> '{}') !~ '^alert_thresholds\.[a-z_]+$'
           OR jsonb_typeof(p_document #> string_to_array(v_thresholds #>> '{}', '.')) IS DISTINCT FROM 'object' THEN
            RETURN QUERY SELECT 'PV504', format('.thresholds names %s, which is not a set of alert_thresholds', v_thresholds);
            RETURN;
        END IF;
        v_thresholds := p_document #> string_to_array(v_thresholds #>> '{}', '.');
    END IF;
    IF jsonb_typeof(v_thresholds) <> 'object' OR v_thresholds = '{}' THEN
        RETURN QUERY SELECT 'PV504', '.thresholds: a rule needs at least one of low, medium, high, critical'::text;
        RETURN;
    END IF;
    FOR v_key IN SELECT k FROM jsonb_object_keys(v_thresholds) AS k WHERE monitoring_internal.severity_rank(k) IS NULL LOOP
        RETURN QUERY SELECT 'PV504', format('.thresholds: %s is not a severity (low, medium, high, critical)', v_key);
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['low', 'medium', 'high', 'critical'] LOOP
        v_value := v_thresholds -> v_key;
        CONTINUE WHEN v_value IS NULL;
        IF jsonb_typeof(v_value) <> 'number' OR abs((v_value #>> '{}')::numeric) > 1e308 THEN
            RETURN QUERY SELECT 'PV506', format('.thresholds.%s must be a finite number, got %s', v_key, v_value);
            CONTINUE;
        END IF;
        v_number := (v_value #>> '{}')::double precision;
        IF v_previous IS NOT NULL AND (CASE WHEN v_ascending THEN v_number < v_previous ELSE v_number > v_previous END) THEN
            RETURN QUERY SELECT 'PV504', format('.thresholds.%s (%s) must be %s the threshold of the severity below it',
                                                v_key, v_value, CASE WHEN v_ascending THEN '>=' ELSE '<=' END);
        END IF;
        v_previous := v_number;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.rule_condition_problems(jsonb, text[], jsonb) IS
    'Internal: the problems of a rule''s or a condition''s source, aggregate, window, comparison, group_by and thresholds.';
