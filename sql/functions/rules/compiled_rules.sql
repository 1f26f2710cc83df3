CREATE OR REPLACE FUNCTION monitoring_internal.compiled_rules(p_document jsonb)
RETURNS SETOF monitoring.alert_rules
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the alert_rules of a validated config as the evaluator reads
    -- them: durations in seconds (window 5m, for and keep_firing_for 0 when
    -- not given), thresholds named from alert_thresholds and fields naming
    -- an alert_settings value resolved, a composite's one severity as its
    -- thresholds, defaults filled in. A quantile goes with the source's
    -- filters: it is part of what the source measures (and of its key).
    SELECT r ->> 'name',
           r ->> 'description',
           r #>> '{source,kind}',
           coalesce(r -> 'source', '{}') - 'kind'
               || CASE WHEN r ? 'quantile'
                       THEN jsonb_build_object('quantile', monitoring_internal.rule_setting(r -> 'quantile', p_document))
                       ELSE '{}' END,
           r ->> 'aggregate',
           CASE WHEN r ? 'source' THEN coalesce(monitoring_internal.rule_duration(r -> 'window', p_document), 300) END,
           ARRAY(SELECT jsonb_array_elements_text(coalesce(r -> 'group_by', '[]'))),
           coalesce(r ->> 'comparison', '>='),
           CASE WHEN jsonb_typeof(r -> 'thresholds') = 'string'
                THEN p_document #> string_to_array(r ->> 'thresholds', '.')
                WHEN r ? 'thresholds' THEN r -> 'thresholds'
                ELSE jsonb_build_object(r ->> 'severity', 0) END,
           CASE WHEN r ? 'all_of' THEN 'all' WHEN r ? 'any_of' THEN 'any' END,
           (SELECT jsonb_agg(CASE WHEN c ? 'rule' THEN c
                                  ELSE jsonb_build_object(
                                      'kind', c #>> '{source,kind}', 'filter', (c -> 'source') - 'kind',
                                      'aggregate', c ->> 'aggregate',
                                      'window_seconds', coalesce(monitoring_internal.parse_duration(c -> 'window'), 300),
                                      'comparison', coalesce(c ->> 'comparison', '>='),
                                      'threshold', c -> 'threshold') END ORDER BY n)
            FROM jsonb_array_elements(coalesce(r -> 'all_of', r -> 'any_of')) WITH ORDINALITY AS x (c, n)),
           coalesce(monitoring_internal.rule_duration(r -> 'for', p_document), 0),
           coalesce(monitoring_internal.rule_duration(r -> 'keep_firing_for', p_document), 0),
           coalesce((monitoring_internal.rule_setting(r -> 'min_samples', p_document) #>> '{}')::integer, 1),
           coalesce(r ->> 'no_data', 'ok'),
           coalesce(r -> 'labels', '{}'),
           coalesce(r -> 'annotations', '{}'),
           coalesce((r ->> 'enabled')::boolean, true),
           r,
           now(),
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                                'when', c -> 'when', 'max', monitoring_internal.rule_setting(c -> 'max', p_document))
                            ORDER BY n)
                     FROM jsonb_array_elements(r -> 'severity_caps') WITH ORDINALITY AS x (c, n)), '[]')
    FROM jsonb_array_elements(coalesce(p_document -> 'alert_rules', '[]')) AS r;
$$;
COMMENT ON FUNCTION monitoring_internal.compiled_rules(jsonb) IS
    'Internal: the compiled rows of a validated config''s alert_rules (what compile_alert_rules stores).';
