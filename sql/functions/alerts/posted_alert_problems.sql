CREATE OR REPLACE FUNCTION monitoring_internal.posted_alert_problems(p_alerts jsonb)
RETURNS TABLE (problem text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: what is wrong with alerts posted as Alertmanager's API takes
    -- them ([{labels, annotations, startsAt, endsAt, generatorURL}]), one
    -- row per problem, each naming the alert's index: labels an object of
    -- at least one string with valid names (Prometheus's [a-zA-Z_][a-zA-Z0-9_]*),
    -- annotations an object of strings, times RFC 3339, an end not before
    -- the start.
    SELECT 'the body must be a JSON array of alerts' WHERE jsonb_typeof(p_alerts) IS DISTINCT FROM 'array'
    UNION ALL
    SELECT p.problem
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_alerts) = 'array' THEN p_alerts ELSE '[]' END)
         WITH ORDINALITY AS a (alert, n),
         LATERAL (
             SELECT format('alerts[%s]: an alert is an object', a.n - 1) WHERE jsonb_typeof(a.alert) <> 'object'
             UNION ALL
             SELECT format('alerts[%s].labels: an object with at least one label is required', a.n - 1)
             WHERE jsonb_typeof(a.alert) = 'object'
               AND (jsonb_typeof(a.alert -> 'labels') IS DISTINCT FROM 'object' OR a.alert -> 'labels' = '{}')
             UNION ALL
             SELECT format('alerts[%s].labels.%s: %s', a.n - 1, l.key,
                           CASE WHEN l.key !~ '^[a-zA-Z_][a-zA-Z0-9_]*$' THEN 'not a valid label name'
                                ELSE 'a label value is a string' END)
             FROM jsonb_each(CASE WHEN jsonb_typeof(a.alert -> 'labels') = 'object' THEN a.alert -> 'labels' ELSE '{}' END) AS l
             WHERE l.key !~ '^[a-zA-Z_][a-zA-Z0-9_]*$' OR jsonb_typeof(l.value) <> 'string'
             UNION ALL
             SELECT format('alerts[%s].annotations: an object of strings', a.n - 1)
             WHERE jsonb_typeof(a.alert) = 'object' AND a.alert ? 'annotations' AND jsonb_typeof(a.alert -> 'annotations') <> 'null'
               AND (jsonb_typeof(a.alert -> 'annotations') <> 'object'
                    OR EXISTS (SELECT FROM jsonb_each(a.alert -> 'annotations') AS x WHERE jsonb_typeof(x.value) <> 'string'))
             UNION ALL
             SELECT format('alerts[%s].%s: not an RFC 3339 time: %s', a.n - 1, t.key, a.alert -> t.key)
             FROM (VALUES ('startsAt'), ('endsAt')) AS t (key)
             WHERE jsonb_typeof(a.alert) = 'object' AND jsonb_typeof(a.alert -> t.key) IS NOT NULL
               AND jsonb_typeof(a.alert -> t.key) <> 'null'
               AND (jsonb_typeof(a.alert -> t.key) <> 'string'
                    OR (a.alert ->> t.key) !~ '^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$')
             UNION ALL
             SELECT format('alerts[%s]: endsAt is before startsAt', a.n - 1)
             WHERE jsonb_typeof(a.alert) = 'object'
               AND (a.alert ->> 'startsAt') ~ '^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$'
               AND (a.alert ->> 'endsAt') ~ '^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$'
               AND (a.alert ->> 'startsAt') NOT LIKE '0001-%' AND (a.alert ->> 'endsAt') NOT LIKE '0001-%'
               AND (a.alert ->> 'endsAt')::timestamptz < (a.alert ->> 'startsAt')::timestamptz
         ) AS p (problem);
$$;
COMMENT ON FUNCTION monitoring_internal.posted_alert_problems(jsonb) IS
    'Internal: the problems of alerts posted through the Alertmanager API, one row each (none: valid).';
