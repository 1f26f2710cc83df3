CREATE OR REPLACE FUNCTION monitoring_internal.route_matchers(p_route jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a route's (or inhibit rule side's) matchers as one sorted
    -- list, as Alertmanager builds it: the deprecated match (=) and match_re
    -- (=~) maps, then the matchers strings; sorted by name, operator and
    -- value. Malformed strings are left out (validation reports them).
    SELECT coalesce(jsonb_agg(m ORDER BY m ->> 'name', m ->> 'op', m ->> 'value'), '[]')
    FROM (SELECT jsonb_build_object('name', e.key, 'op', '=', 'value', e.value #>> '{}') AS m
          FROM jsonb_each(CASE jsonb_typeof(p_route -> 'match') WHEN 'object' THEN p_route -> 'match' END) AS e
          UNION ALL
          SELECT jsonb_build_object('name', e.key, 'op', '=~', 'value', e.value #>> '{}')
          FROM jsonb_each(CASE jsonb_typeof(p_route -> 'match_re') WHEN 'object' THEN p_route -> 'match_re' END) AS e
          UNION ALL
          SELECT monitoring_internal.parse_matcher(s #>> '{}')
          FROM jsonb_array_elements(CASE jsonb_typeof(p_route -> 'matchers') WHEN 'array' THEN p_route -> 'matchers' END) AS s
          WHERE monitoring_internal.parse_matcher(s #>> '{}') IS NOT NULL) AS x;
$$;
COMMENT ON FUNCTION monitoring_internal.route_matchers(jsonb) IS
    'Internal: a route''s match, match_re and matchers as one sorted list of {"name", "op", "value"}.';
