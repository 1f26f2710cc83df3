CREATE OR REPLACE FUNCTION monitoring_internal.value_sketch_key(p_value double precision)
RETURNS integer
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    -- The bucket of a performance sample in value_sketch (the performance
    -- rollups' mergeable summary of their samples), fixed for every value
    -- and every row, so sketches merge by adding the counts of equal keys.
    --
    -- Sign-aware log scale with relative error alpha = 2%: with
    -- gamma = (1 + alpha) / (1 - alpha) = 1.02 / 0.98, a magnitude m is in
    -- bucket i = ceil(ln(m) / ln(gamma)), that is gamma^(i-1) < m <= gamma^i,
    -- and the bucket's value 0.98 * gamma^i (monitoring_internal.value_sketch_value)
    -- is within 2% of every magnitude in it. Keys are ordered as the values:
    --   17708 + i      for a value >= 2.2250738585072014e-308 (1 .. 35451),
    --   -(17708 + i)   for a value <= -2.2250738585072014e-308 (-1 .. -35451),
    --   0              for zero and the subnormal values between (|v| < the
    --                  smallest normal double): they count as 0, an absolute
    --                  error below 2.3e-308.
    -- So every finite double has a key, 70,903 keys in all; a sketch stores
    -- only those it has samples in. Stored sketches depend on these
    -- constants: changing them needs a migration that recomputes the rollups.
    -- Inlined where it is called (SQL, IMMUTABLE, not STRICT): the minute
    -- aggregate evaluates it per raw sample without a function call.
    SELECT CASE WHEN abs(p_value) < 2.2250738585072014e-308::double precision THEN 0
                WHEN p_value > 0
                THEN 17708 + ceil(ln(p_value) / 0.040005334613699206::double precision)::integer
                ELSE -17708 - ceil(ln(-p_value) / 0.040005334613699206::double precision)::integer
           END;
$$;
COMMENT ON FUNCTION monitoring_internal.value_sketch_key(double precision) IS
    'Internal: the key of a performance sample''s bucket in value_sketch: sign-aware log scale with relative error 2% (gamma = 1.02/0.98), 0 for |value| < 2.2250738585072014e-308; keys -35451 .. 35451, ordered as the values.';
