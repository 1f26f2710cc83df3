CREATE OR REPLACE FUNCTION monitoring_internal.raise_silence_problems(
    p_matchers text[],
    p_starts_at timestamptz,
    p_ends_at timestamptz,
    p_created_by text,
    p_comment text
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: raises every problem of a silence at once (the first one's
-- code, all in DETAIL), or returns its matchers parsed and sorted, as
-- Alertmanager keeps them: a list of {"name", "op", "value"} (NULL for
-- NULL matchers: a change that keeps them).
DECLARE
    v_code text;
    v_problems text[];
BEGIN
    SELECT min(p.code), array_agg(p.problem ORDER BY p.code, p.problem) INTO v_code, v_problems
    FROM monitoring_internal.silence_problems(p_matchers, p_starts_at, p_ends_at, p_created_by, p_comment) AS p;
    IF v_code IS NOT NULL THEN
        RAISE EXCEPTION 'invalid silence: %', v_problems[1]
            USING ERRCODE = v_code, DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = monitoring_internal.silence_error_hint(v_code);
    END IF;
    RETURN (SELECT jsonb_agg(p ORDER BY p ->> 'name', p ->> 'op', p ->> 'value')
            FROM unnest(p_matchers) AS m, LATERAL (SELECT monitoring_internal.parse_matcher(m) AS p) AS x);
END;
$$;
COMMENT ON FUNCTION monitoring_internal.raise_silence_problems(text[], timestamptz, timestamptz, text, text) IS
    'Internal: raises a silence''s problems (PV602, PV604; all in DETAIL) or returns its matchers parsed and sorted.';
