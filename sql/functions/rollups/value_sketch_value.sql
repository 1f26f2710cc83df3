CREATE OR REPLACE FUNCTION monitoring_internal.value_sketch_value(p_key integer)
RETURNS double precision
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    -- The value a value_sketch bucket stands for (see value_sketch_key):
    -- +-0.98 * gamma^i for key +-(17708 + i), the point within 2% of both
    -- ends of the bucket (gamma^(i-1), gamma^i]; 0 for key 0. Computed as
    -- exp(i * ln(gamma) + ln(0.98)); the exponent is capped at 709.78
    -- (1.7928e308): the top bucket reaches past the largest double, and its
    -- capped value is still within 1% of every double in it.
    SELECT CASE WHEN p_key = 0 THEN 0::double precision
                ELSE sign(p_key::double precision)
                     * exp(least((abs(p_key) - 17708) * 0.040005334613699206::double precision
                                     - 0.020202707317519466::double precision,
                                 709.78::double precision))
           END;
$$;
COMMENT ON FUNCTION monitoring_internal.value_sketch_value(integer) IS
    'Internal: the value (within 2%) that a value_sketch bucket key of monitoring_internal.value_sketch_key() stands for; 0 for key 0.';
