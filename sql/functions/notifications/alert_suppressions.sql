CREATE OR REPLACE FUNCTION monitoring_internal.alert_suppressions(
    p_alert_id bigint,
    p_labels jsonb,
    p_component text,
    p_inhibit_rules jsonb
)
RETURNS TABLE (reason text, suppressed_by text, silence_id uuid, detail text)
LANGUAGE sql
STABLE
ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: everything that holds a firing alert's notifications back
    -- now, each with its cause (none: it is notified):
    -- - inhibited by an inhibit rule, as Alertmanager decides it: the alert
    --   meets target_matchers, and another firing alert meets
    --   source_matchers with the same values of the equal labels (a label
    --   both lack is equal); when the alert meets both sides, alerts that
    --   also meet both do not count, so that two such alerts never inhibit
    --   each other;
    -- - inhibited because a component it depends on (depends_on, at any
    --   depth) reports unhealthy;
    -- - silenced by each active silence whose matchers it meets.
    WITH rules AS (
        SELECT r.n, monitoring_internal.route_matchers(jsonb_build_object(
                   'match', r.rule -> 'source_match', 'match_re', r.rule -> 'source_match_re',
                   'matchers', r.rule -> 'source_matchers')) AS source,
               monitoring_internal.route_matchers(jsonb_build_object(
                   'match', r.rule -> 'target_match', 'match_re', r.rule -> 'target_match_re',
                   'matchers', r.rule -> 'target_matchers')) AS target,
               coalesce(ARRAY(SELECT jsonb_array_elements_text(r.rule -> 'equal')), '{}'::text[]) AS equal
        FROM jsonb_array_elements(CASE jsonb_typeof(p_inhibit_rules) WHEN 'array' THEN p_inhibit_rules ELSE '[]' END)
             WITH ORDINALITY AS r (rule, n)
    )
    SELECT 'inhibited', src.fingerprint,
           NULL::uuid,
           format('inhibited by %s (inhibit_rules[%s]%s)',
                  coalesce(src.labels ->> 'alertname', src.alert_key) || CASE WHEN r.equal = '{}' THEN '' ELSE
                      monitoring_internal.group_labels_text(coalesce((SELECT jsonb_object_agg(k, src.labels ->> k)
                                                                      FROM unnest(r.equal) AS k WHERE src.labels ? k), '{}')) END,
                  r.n - 1, CASE WHEN r.equal <> '{}' THEN ', equal ' || array_to_string(r.equal, ', ') ELSE '' END)
    FROM rules AS r
    CROSS JOIN LATERAL (
        SELECT a.fingerprint, a.labels, a.alert_key
        FROM monitoring.alerts AS a
        WHERE a.resolved_at IS NULL AND a.labels IS NOT NULL AND a.alert_id <> p_alert_id
          -- The equal labels this alert has, as a containment the planner can test cheaply.
          AND a.labels @> coalesce((SELECT jsonb_object_agg(k, p_labels -> k) FROM unnest(r.equal) AS k
                                    WHERE coalesce(p_labels ->> k, '') <> ''), '{}')
          AND NOT EXISTS (SELECT FROM unnest(r.equal) AS k WHERE coalesce(a.labels ->> k, '') <> coalesce(p_labels ->> k, ''))
          AND monitoring_internal.matchers_match(r.source, a.labels)
          AND NOT (monitoring_internal.matchers_match(r.source, p_labels) AND monitoring_internal.matchers_match(r.target, a.labels))
        ORDER BY a.triggered_at, a.alert_id
        LIMIT 1
    ) AS src
    WHERE monitoring_internal.matchers_match(r.target, p_labels)
    UNION ALL
    SELECT 'inhibited', 'component:' || d.component, NULL::uuid,
           format('inhibited: %s depends on %s, which is unhealthy%s', p_component, d.component,
                  coalesce(' (' || d.failure_reason || ')', ''))
    FROM (
        WITH RECURSIVE deps (component, depth) AS (
            SELECT unnest(c.depends_on), 1 FROM monitoring.components AS c WHERE c.component = p_component
            UNION
            SELECT unnest(c.depends_on), deps.depth + 1
            FROM deps JOIN monitoring.components AS c ON c.component = deps.component
            WHERE deps.depth < 20
        )
        SELECT DISTINCT ON (deps.component) deps.component, h.failure_reason
        FROM deps
        JOIN monitoring.system_health AS h ON h.component_name = deps.component AND h.status = 'unhealthy'
        ORDER BY deps.component, h.last_check_at DESC
    ) AS d
    WHERE p_component IS NOT NULL
    UNION ALL
    SELECT 'silenced', s.silence_id::text, s.silence_id,
           format('silenced by %s until %s: %s', s.silence_id, s.ends_at, s.comment)
    FROM monitoring.silences AS s
    WHERE s.ends_at > now() AND s.starts_at <= now() AND monitoring_internal.matchers_match(s.matchers, p_labels);
$$;
COMMENT ON FUNCTION monitoring_internal.alert_suppressions(bigint, jsonb, text, jsonb) IS
    'Internal: what holds a firing alert''s notifications back now (inhibit rules, an unhealthy dependency, active silences), each with its cause.';
