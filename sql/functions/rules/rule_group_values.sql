CREATE OR REPLACE FUNCTION monitoring_internal.rule_group_values(
    p_rule monitoring.alert_rules,
    p_at timestamptz,
    p_shared boolean DEFAULT false
)
RETURNS TABLE (group_key text, group_labels jsonb, value double precision, severity text, threshold double precision)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: every group a rule has data for at p_at, with its value and the
-- severity it reaches (NULL: the condition does not hold). A group with
-- fewer than min_samples samples has no data; severity_caps apply. A composite rule's groups are
-- those its conditions share (all) or any of them has (any), on its
-- group_by labels; it holds with its one severity where all (any) of its
-- conditions hold, and its value is the first condition's. p_shared: read
-- the values evaluate_alert_rules() computed once for every rule of the
-- same source (evaluation_values) instead of computing them here.
BEGIN
    IF p_rule.composite_match IS NULL AND p_shared THEN
        -- evaluate_alert_rules() computed every source once for this evaluation.
        RETURN QUERY
        SELECT v.group_key, v.group_labels, v.value, t.severity,
               (p_rule.thresholds ->> t.severity)::double precision
        FROM monitoring_internal.evaluation_values AS v,
             LATERAL (SELECT monitoring_internal.capped_severity(
                                 monitoring_internal.severity_reached(v.value, p_rule.thresholds, p_rule.comparison),
                                 p_rule.severity_caps, v.details) AS severity) AS t
        WHERE v.source_key = monitoring_internal.rule_source_key(p_rule)
          AND v.samples >= p_rule.min_samples AND v.value IS NOT NULL;
        RETURN;
    ELSIF p_rule.composite_match IS NULL THEN
        RETURN QUERY
        SELECT md5(v.group_labels::text), v.group_labels, v.value, t.severity,
               (p_rule.thresholds ->> t.severity)::double precision
        FROM monitoring_internal.source_values(p_rule.source_kind, p_rule.source_filter, p_rule.aggregate,
                                               p_rule.window_seconds, p_rule.group_by, p_at) AS v,
             LATERAL (SELECT monitoring_internal.capped_severity(
                                 monitoring_internal.severity_reached(v.value, p_rule.thresholds, p_rule.comparison),
                                 p_rule.severity_caps, v.details) AS severity) AS t
        WHERE v.samples >= p_rule.min_samples AND v.value IS NOT NULL;
        RETURN;
    END IF;
    RETURN QUERY
    WITH conditions AS (
        SELECT x.c, x.n FROM jsonb_array_elements(p_rule.conditions) WITH ORDINALITY AS x (c, n)
    ), condition_values AS (
        SELECT k.n AS position, v.group_labels, v.value, v.holds
        FROM conditions AS k,
             LATERAL (
                 -- {"rule": NAME}: that rule's groups, on the composite's labels.
                 SELECT (SELECT coalesce(jsonb_object_agg(l.key, l.value), '{}') FROM jsonb_each(g.group_labels) AS l
                         WHERE l.key = ANY (p_rule.group_by) OR 'tags.' || l.key = ANY (p_rule.group_by)) AS group_labels,
                        g.value, g.severity IS NOT NULL AS holds
                 FROM monitoring.alert_rules AS r,
                      LATERAL monitoring_internal.rule_group_values(r, p_at, p_shared) AS g
                 WHERE k.c ? 'rule' AND r.rule_name = k.c ->> 'rule'
                 UNION ALL
                 -- An inline condition: its source on the composite's labels.
                 SELECT sv.group_labels, sv.value,
                        CASE k.c ->> 'comparison'
                            WHEN '>' THEN sv.value > (k.c ->> 'threshold')::double precision
                            WHEN '>=' THEN sv.value >= (k.c ->> 'threshold')::double precision
                            WHEN '<' THEN sv.value < (k.c ->> 'threshold')::double precision
                            ELSE sv.value <= (k.c ->> 'threshold')::double precision END
                 FROM monitoring_internal.source_values(
                          CASE WHEN NOT k.c ? 'rule' THEN k.c ->> 'kind' END, k.c -> 'filter', k.c ->> 'aggregate',
                          (k.c ->> 'window_seconds')::double precision, p_rule.group_by, p_at) AS sv
                 WHERE sv.samples >= p_rule.min_samples AND sv.value IS NOT NULL) AS v
    )
    SELECT md5(c.group_labels::text), c.group_labels,
           (array_agg(c.value ORDER BY c.position))[1],
           CASE WHEN (p_rule.composite_match = 'all'
                      AND count(DISTINCT c.position) FILTER (WHERE c.holds) = jsonb_array_length(p_rule.conditions))
                  OR (p_rule.composite_match = 'any' AND bool_or(c.holds))
                THEN (SELECT k FROM jsonb_object_keys(p_rule.thresholds) AS k LIMIT 1) END,
           NULL::double precision
    FROM condition_values AS c
    GROUP BY c.group_labels;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.rule_group_values(monitoring.alert_rules, timestamptz, boolean) IS
    'Internal: a rule''s groups at p_at with their value and the severity reached (NULL when the condition does not hold).';
