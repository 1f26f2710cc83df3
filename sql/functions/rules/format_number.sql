CREATE OR REPLACE FUNCTION monitoring_internal.format_number(p_value double precision)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a measured value for people: whole numbers as they are, others
    -- with up to 4 decimals and no trailing zeros; huge or tiny ones in
    -- exponent form (float8 output).
    SELECT CASE
        WHEN p_value IS NULL THEN NULL
        WHEN p_value = trunc(p_value) AND abs(p_value) < 1e15 THEN trunc(p_value)::numeric::text
        WHEN abs(p_value) >= 1e15 OR abs(p_value) < 0.0001 THEN p_value::text
        ELSE rtrim(rtrim(round(p_value::numeric, 4)::text, '0'), '.')
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.format_number(double precision) IS
    'Internal: a value as templates print it: 42, 3.1416, 1e+20.';
