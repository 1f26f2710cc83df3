CREATE OR REPLACE FUNCTION monitoring_internal.prometheus_number(p_value double precision)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a sample value or a bucket bound as the text format writes
    -- it: the shortest exact decimal, +Inf, -Inf and NaN.
    SELECT CASE WHEN p_value = 'Infinity' THEN '+Inf' WHEN p_value = '-Infinity' THEN '-Inf'
                WHEN p_value = 'NaN' THEN 'NaN' ELSE p_value::text END;
$$;
COMMENT ON FUNCTION monitoring_internal.prometheus_number(double precision) IS
    'Internal: a number in the Prometheus text format (+Inf, -Inf, NaN).';
