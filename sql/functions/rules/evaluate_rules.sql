CREATE OR REPLACE FUNCTION monitoring_internal.evaluate_rules(
    p_source text,
    p_only text[] DEFAULT NULL,
    p_skip text[] DEFAULT NULL,
    p_resolve boolean DEFAULT true
)
RETURNS TABLE (rule_name text, groups integer, pending integer, firing integer, transitions integer)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: one evaluation of the enabled rules named in p_only (all when
-- NULL) but not in p_skip, at the transaction's time; one row per rule:
-- groups with data, groups pending and firing after this evaluation, state
-- changes made. The caller holds the checks' advisory lock (one evaluation
-- at a time, so two evaluators never make the same transition twice).
-- p_source (worker, pg_cron, manual...) is recorded on the alerts it
-- raises and resolves. evaluate_alert_rules() evaluates them all; each
-- check_*() function, its built-in rules, with p_resolve false: the alerts
-- that cleared are left for resolve_resolved_alerts(), as in the original
-- design.
--
-- Set-based, so that its cost follows the data, not the number of rules:
-- each distinct source is computed once into evaluation_values (then each
-- composite's groups, from those); one query then meets every rule's
-- groups with their stored state, and only the groups that hold, or have
-- a state, go through step_rule_group(). A quiet group of a rule costs a
-- row of that query and nothing else.
DECLARE
    v_whole boolean;
    v_rules text[];
    v_sources text[];
    d record;
    v_step record;
    v_transitions jsonb := '{}'::jsonb;
BEGIN
    -- A whole evaluation (both NULL) filters nothing: the usual case, and
    -- the one whose cost counts (1,000 rules compared with a list of
    -- 1,000 names in every query would be a million comparisons).
    v_whole := p_only IS NULL AND p_skip IS NULL;
    IF NOT v_whole THEN
        v_rules := ARRAY(SELECT r.rule_name FROM monitoring.alert_rules AS r
                         WHERE r.enabled AND (p_only IS NULL OR r.rule_name = ANY (p_only))
                           AND NOT r.rule_name = ANY (coalesce(p_skip, '{}')));
        -- Their sources, and those of the rules their composites refer to.
        v_sources := v_rules || ARRAY(SELECT x.c ->> 'rule' FROM monitoring.alert_rules AS r,
                                             jsonb_array_elements(r.conditions) AS x (c)
                                      WHERE r.rule_name = ANY (v_rules) AND x.c ? 'rule');
    END IF;
    PERFORM set_config('pgvigil.check_source', p_source, true);
    IF p_only IS NULL THEN
        -- A whole evaluation, recorded first (it commits or rolls back with
        -- the rest): PgvigilEvaluationStalled, evaluated below, reads it.
        PERFORM monitoring_internal.finish_check('alert_rules');
    END IF;
    DELETE FROM monitoring_internal.evaluation_values;
    INSERT INTO monitoring_internal.evaluation_values (source_key, group_key, group_labels, value, samples, details)
    SELECT k.source_key, md5(v.group_labels::text), v.group_labels, v.value, v.samples, v.details
    FROM (SELECT DISTINCT ON (1) monitoring_internal.rule_source_key(r) AS source_key,
                 r.source_kind, r.source_filter, r.aggregate, r.window_seconds, r.group_by
          FROM monitoring.alert_rules AS r
          WHERE r.enabled AND r.composite_match IS NULL AND (v_whole OR r.rule_name = ANY (v_sources))
          ORDER BY 1) AS k,
         LATERAL monitoring_internal.source_values(k.source_kind, k.source_filter, k.aggregate,
                                                   k.window_seconds, k.group_by, now()) AS v;
    -- Composites read the simple sources just computed.
    INSERT INTO monitoring_internal.evaluation_values (source_key, group_key, group_labels, value, samples, severity)
    SELECT 'composite:' || r.rule_name, g.group_key, g.group_labels, g.value, 1, g.severity
    FROM monitoring.alert_rules AS r,
         LATERAL monitoring_internal.rule_group_values(r, now(), true) AS g
    WHERE r.enabled AND r.composite_match IS NOT NULL AND (v_whole OR r.rule_name = ANY (v_rules));
    ANALYZE monitoring_internal.evaluation_values;

    FOR d IN
        WITH rules AS (
            SELECT r AS rule, r.rule_name, r.no_data, r.group_by,
                   monitoring_internal.rule_source_key(r) AS source_key,
                   r.composite_match IS NOT NULL AS composite, r.min_samples, r.thresholds, r.comparison,
                   r.severity_caps
            FROM monitoring.alert_rules AS r WHERE r.enabled AND (v_whole OR r.rule_name = ANY (v_rules))
        ), current_values AS (
            SELECT q.rule_name, v.group_key, v.group_labels, v.value,
                   CASE WHEN q.composite THEN v.severity
                        WHEN q.severity_caps = '[]' THEN monitoring_internal.severity_reached(v.value, q.thresholds, q.comparison)
                        ELSE monitoring_internal.capped_severity(
                                 monitoring_internal.severity_reached(v.value, q.thresholds, q.comparison),
                                 q.severity_caps, v.details) END AS severity,
                   v.details
            FROM rules AS q
            JOIN monitoring_internal.evaluation_values AS v ON v.source_key = q.source_key
            WHERE q.composite OR (v.samples >= q.min_samples AND v.value IS NOT NULL)
        ), stored AS (
            SELECT g.* FROM monitoring_internal.rule_groups AS g
            WHERE g.rule_name IN (SELECT q.rule_name FROM rules AS q)
        ), real_groups AS (
            SELECT coalesce(c.rule_name, s.rule_name) AS rule_name,
                   coalesce(c.group_key, s.group_key) AS group_key,
                   coalesce(c.group_labels, s.group_labels) AS group_labels,
                   coalesce(c.has_data, false) AS has_data,
                   c.value, c.severity, c.details,
                   s.state, s.severity AS last_severity, s.value AS last_value, s.threshold AS last_threshold,
                   s.breached_since, s.last_breach_at, s.alert_id, s.group_key IS NOT NULL AS known
            FROM (SELECT *, true AS has_data FROM current_values
                  UNION ALL
                  -- The one group of an ungrouped rule exists even without data.
                  SELECT q.rule_name, md5('{}'), '{}'::jsonb, NULL, NULL, NULL, false
                  FROM rules AS q
                  WHERE q.group_by = '{}' AND q.no_data <> 'ok'
                    AND NOT EXISTS (SELECT FROM current_values AS c WHERE c.rule_name = q.rule_name)) AS c
            FULL JOIN (SELECT * FROM stored WHERE stored.group_key NOT LIKE 'nodata:%') AS s
                   ON s.rule_name = c.rule_name AND s.group_key = c.group_key
        ), decisions AS (
            SELECT g.*, false AS is_nodata FROM real_groups AS g
            UNION ALL
            -- no_data = nodata: a group of its own per group without data.
            SELECT coalesce(r.rule_name, s.rule_name), 'nodata:' || coalesce(r.group_key, substr(s.group_key, 8)),
                   coalesce(r.group_labels, s.group_labels),
                   r.rule_name IS NULL, NULL, CASE WHEN r.rule_name IS NOT NULL THEN 'nodata' END, NULL,
                   s.state, s.severity, s.value, s.threshold, s.breached_since, s.last_breach_at, s.alert_id,
                   s.group_key IS NOT NULL, true
            FROM (SELECT g.* FROM real_groups AS g JOIN rules AS q USING (rule_name)
                  WHERE q.no_data = 'nodata' AND NOT g.has_data) AS r
            FULL JOIN (SELECT * FROM stored WHERE stored.group_key LIKE 'nodata:%') AS s
                   ON s.rule_name = r.rule_name AND s.group_key = 'nodata:' || r.group_key
        )
        SELECT q.rule, x.*
        FROM decisions AS x JOIN rules AS q USING (rule_name)
        -- A quiet group of a rule that ignores missing data needs nothing.
        WHERE x.severity IS NOT NULL OR x.known OR q.no_data <> 'ok'
    LOOP
        v_step := monitoring_internal.step_rule_group(
            d.rule, now(), p_source, d.group_key, d.group_labels, d.has_data, d.is_nodata, d.value,
            CASE WHEN d.is_nodata AND d.severity IS NOT NULL
                 THEN monitoring_internal.top_severity((d.rule).thresholds) ELSE d.severity END,
            CASE WHEN NOT d.is_nodata THEN ((d.rule).thresholds ->> d.severity)::double precision END,
            d.details, d.known, d.state, d.last_severity, d.last_value, d.last_threshold, d.breached_since,
            d.last_breach_at, d.alert_id, p_resolve);
        IF v_step.transitioned THEN
            v_transitions := jsonb_set(v_transitions, ARRAY[d.rule_name],
                                       to_jsonb(coalesce((v_transitions ->> d.rule_name)::integer, 0) + 1));
        END IF;
    END LOOP;


    RETURN QUERY
    SELECT r.rule_name,
           (SELECT count(*) FROM monitoring_internal.evaluation_values AS v
            WHERE v.source_key = monitoring_internal.rule_source_key(r)
              AND (r.composite_match IS NOT NULL OR (v.samples >= r.min_samples AND v.value IS NOT NULL)))::integer,
           (SELECT count(*) FROM monitoring_internal.rule_groups AS g
            WHERE g.rule_name = r.rule_name AND g.state = 'pending')::integer,
           (SELECT count(*) FROM monitoring_internal.rule_groups AS g
            WHERE g.rule_name = r.rule_name AND g.state = 'firing')::integer,
           coalesce((v_transitions ->> r.rule_name)::integer, 0)
    FROM monitoring.alert_rules AS r
    WHERE r.enabled AND (v_whole OR r.rule_name = ANY (v_rules))
    ORDER BY r.composite_match IS NOT NULL, r.rule_name;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.evaluate_rules(text, text[], text[], boolean) IS
    'Internal: evaluates the enabled rules of p_only (all when NULL) except p_skip, under the checks'' lock; one row per rule (groups, pending, firing, transitions).';
