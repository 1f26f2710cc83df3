CREATE OR REPLACE FUNCTION monitoring_internal.report_range_problem(p_since timestamptz, p_until timestamptz)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises PV001 or PV004 unless [p_since, p_until) is a range a report can
-- cover: both given, since before until, at most 366 days (the history kept).
BEGIN
    IF p_since IS NULL OR p_until IS NULL THEN
        RAISE EXCEPTION 'a report needs a range: since and until must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass since and until, e.g. now() - interval ''7 days'' and now().';
    END IF;
    IF p_since >= p_until THEN
        RAISE EXCEPTION 'a report''s since (%) must be before its until (%)', p_since, p_until
            USING ERRCODE = 'PV004',
                  HINT = 'Swap them, or widen the range.';
    END IF;
    IF p_until - p_since > interval '366 days' THEN
        RAISE EXCEPTION 'a report covers at most 366 days, got %', p_until - p_since
            USING ERRCODE = 'PV004',
                  HINT = 'pgvigil keeps a year of history: ask for 366 days or less.';
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.report_range_problem(timestamptz, timestamptz) IS
    'Raises PV001 (a NULL bound) or PV004 (since not before until, or over 366 days) for a report range; returns nothing otherwise.';
