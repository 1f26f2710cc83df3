CREATE OR REPLACE FUNCTION monitoring_internal.add_sample_sums(p_ordinary double precision, p_huge numeric)
RETURNS double precision
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    -- Internal: the sum of a group of samples (or of sums) given in two
    -- parts, the ordinary values summed as double precision and the huge
    -- ones (|v| >= 1e300) as numeric: sum(x) FILTER (WHERE abs(x) < 1e300)
    -- and sum(x::numeric) FILTER (WHERE abs(x) >= 1e300). Samples may be any
    -- finite double, and two near 1e308 overflow a float8 sum(), which would
    -- fail every rollup refresh from then on. Without huge values the sum
    -- is the plain float8 sum, to the last bit; with them it is computed in
    -- numeric and saturates at the largest finite double (that series'
    -- average is then wrong, never the refresh).
    SELECT CASE WHEN p_huge IS NULL THEN p_ordinary
                ELSE least(greatest(coalesce(p_ordinary::numeric, 0) + p_huge, -1.7976931348623157e308),
                           1.7976931348623157e308)::double precision END;
$$;
COMMENT ON FUNCTION monitoring_internal.add_sample_sums(double precision, numeric) IS
    'Internal: a float8 sum of ordinary values plus a numeric sum of huge ones (|v| >= 1e300), saturating at the double range: the overflow-safe sums of the performance rollups.';
