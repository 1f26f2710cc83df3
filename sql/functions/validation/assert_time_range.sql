CREATE OR REPLACE FUNCTION monitoring_internal.assert_time_range(
    p_since timestamptz,
    p_until timestamptz,
    p_longest interval
)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises PV001 or PV004 unless [p_since, p_until) is a range a listing or a
-- report can cover: both given, since before until, at most p_longest long.
BEGIN
    IF p_since IS NULL OR p_until IS NULL THEN
        RAISE EXCEPTION 'a range needs both ends: since and until must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass since and until, e.g. now() - interval ''7 days'' and now().';
    END IF;
    IF p_since >= p_until THEN
        RAISE EXCEPTION 'since (%) must be before until (%)', p_since, p_until
            USING ERRCODE = 'PV004',
                  HINT = 'Swap them, or widen the range.';
    END IF;
    IF p_until - p_since > p_longest THEN
        RAISE EXCEPTION 'this range covers at most %, got %', p_longest, p_until - p_since
            USING ERRCODE = 'PV004',
                  HINT = format('Ask for %s or less.', p_longest);
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.assert_time_range(timestamptz, timestamptz, interval) IS
    'Raises PV001 (a NULL end) or PV004 (since not before until, or longer than p_longest) for a time range; returns nothing otherwise.';
