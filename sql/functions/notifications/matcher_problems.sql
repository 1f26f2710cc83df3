CREATE OR REPLACE FUNCTION monitoring_internal.matcher_problems(p_object jsonb, p_where text, p_prefix text DEFAULT '')
RETURNS TABLE (code text, problem text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: PV602 for each malformed matcher of a route or an inhibit
    -- rule side: matchers strings that do not parse, match / match_re maps
    -- that are not objects of strings, regular expressions that do not
    -- compile. p_prefix is the keys' prefix in the message (source_, target_).
    SELECT 'PV602', format('%s.%smatchers: %s is not a matcher such as severity="critical" or service=~"api|web"', p_where, p_prefix, s)
    FROM jsonb_array_elements(CASE jsonb_typeof(p_object -> 'matchers') WHEN 'array' THEN p_object -> 'matchers' END) AS s
    WHERE jsonb_typeof(s) <> 'string' OR monitoring_internal.parse_matcher(s #>> '{}') IS NULL
    UNION ALL
    SELECT 'PV602', format('%s.%smatchers must be a list of strings', p_where, p_prefix)
    WHERE p_object ? 'matchers' AND jsonb_typeof(p_object -> 'matchers') NOT IN ('array', 'null')
    UNION ALL
    SELECT 'PV602', format('%s.%s%s must be an object of label names to strings', p_where, p_prefix, k)
    FROM unnest(ARRAY['match', 'match_re']) AS k
    WHERE jsonb_typeof(p_object -> k) NOT IN ('object', 'null')
       OR EXISTS (SELECT FROM jsonb_each(CASE jsonb_typeof(p_object -> k) WHEN 'object' THEN p_object -> k END) AS e
                  WHERE jsonb_typeof(e.value) <> 'string' OR e.key !~ '^[A-Za-z_][A-Za-z0-9_]*$')
    UNION ALL
    SELECT 'PV602', format('%s: the regular expression %s of %s does not compile: %s', p_where,
                           to_jsonb(m ->> 'value'), m ->> 'name', monitoring_internal.regex_problem(m ->> 'value'))
    FROM jsonb_array_elements(monitoring_internal.route_matchers(p_object)) AS m
    WHERE m ->> 'op' IN ('=~', '!~') AND monitoring_internal.regex_problem(m ->> 'value') IS NOT NULL;
$$;
COMMENT ON FUNCTION monitoring_internal.matcher_problems(jsonb, text, text) IS
    'Internal: PV602 problems of the matchers, match and match_re of a route or an inhibit rule side.';
