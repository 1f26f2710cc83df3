CREATE OR REPLACE FUNCTION monitoring_internal.silence_problems(
    p_matchers text[],
    p_starts_at timestamptz,
    p_ends_at timestamptz,
    p_created_by text,
    p_comment text
)
RETURNS TABLE (code text, problem text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: every problem of a silence, as Alertmanager refuses them:
    -- PV602 a matcher that does not parse or a regex that does not compile;
    -- PV604 no matchers, matchers that all match the empty string (it
    -- would silence everything), an end not after the start or already
    -- past, no creator, no comment. NULL matchers are not checked (a
    -- change that keeps them).
    SELECT 'PV602', format('%s is not a matcher such as alertname="DiskFull" or service=~"api|web"', to_jsonb(m))
    FROM unnest(coalesce(p_matchers, '{}'::text[])) AS m
    WHERE m IS NULL OR monitoring_internal.parse_matcher(m) IS NULL
    UNION ALL
    SELECT 'PV602', format('the regular expression %s of %s does not compile: %s', to_jsonb(p ->> 'value'), p ->> 'name',
                           monitoring_internal.regex_problem(p ->> 'value'))
    FROM unnest(coalesce(p_matchers, '{}'::text[])) AS m, LATERAL (SELECT monitoring_internal.parse_matcher(m) AS p) AS x
    WHERE p ->> 'op' IN ('=~', '!~') AND monitoring_internal.regex_problem(p ->> 'value') IS NOT NULL
    UNION ALL
    SELECT 'PV604', 'a silence needs at least one matcher'::text
    WHERE cardinality(p_matchers) = 0
    UNION ALL
    SELECT 'PV604', 'at least one matcher must not match the empty string: these would silence every alert'::text
    WHERE cardinality(coalesce(p_matchers, '{}'::text[])) > 0
      AND NOT EXISTS (SELECT FROM unnest(p_matchers) AS m
                      WHERE monitoring_internal.parse_matcher(m) IS NULL
                         OR (monitoring_internal.parse_matcher(m) ->> 'op' IN ('=~', '!~')
                             AND monitoring_internal.regex_problem(monitoring_internal.parse_matcher(m) ->> 'value') IS NOT NULL)
                         OR NOT monitoring_internal.matchers_match(jsonb_build_array(monitoring_internal.parse_matcher(m)), '{}'))
    UNION ALL
    SELECT 'PV604', 'a silence needs an end (ends_at or a duration)'::text WHERE p_ends_at IS NULL
    UNION ALL
    SELECT 'PV604', format('a silence must end after it starts: ends %s, starts %s', p_ends_at, p_starts_at)
    WHERE p_ends_at <= p_starts_at
    UNION ALL
    SELECT 'PV604', format('a silence cannot end in the past (%s)', p_ends_at)
    WHERE p_ends_at <= now() AND p_ends_at > p_starts_at
    UNION ALL
    SELECT 'PV604', 'a silence needs its creator (created_by)'::text
    WHERE p_created_by IS NULL OR btrim(p_created_by) = '' OR length(p_created_by) > 200
    UNION ALL
    SELECT 'PV604', 'a silence needs a comment: why, and for how long (a ticket, a change)'::text
    WHERE p_comment IS NULL OR btrim(p_comment) = '' OR length(p_comment) > 2000;
$$;
COMMENT ON FUNCTION monitoring_internal.silence_problems(text[], timestamptz, timestamptz, text, text) IS
    'Internal: every problem of a silence (PV602 matchers, PV604 the rest), as Alertmanager refuses them.';
