CREATE OR REPLACE FUNCTION monitoring_internal.estimate_value_percentile(
    p_sketch bigint[], p_fraction double precision,
    p_min double precision, p_max double precision)
RETURNS double precision
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
AS $$
-- Estimates the p_fraction percentile of the samples summarized by a value
-- sketch (value_sketch of the performance rollups), with the definition of
-- percentile_cont: the value at position h = p_fraction * (n - 1) of the n
-- sorted samples, interpolated linearly between the samples at ranks
-- floor(h) and ceil(h). Each of those two is taken as the value of its
-- bucket (value_sketch_value: within 2% of it), clamped to
-- [p_min, p_max], the exact extremes (the rollups' value_min and
-- value_max), which are returned as they are for ranks 0 and n - 1.
-- Error bound: |estimate - exact| <= 2% * ((1 - w) |x_low| + w |x_high|)
-- for the two samples and the weight w of the interpolation, which is 2% of
-- the exact percentile whenever x_low and x_high do not have opposite
-- signs; between a negative and a positive sample it is 2% of the larger
-- magnitude. Samples of magnitude below 2.2250738585072014e-308 count as 0.
-- (Plus floating-point rounding of ln and exp at the bucket boundaries:
-- below 1e-12 relative.)
-- Returns NULL for a NULL sketch (rollups older than their sketches) or an
-- empty one. A loop over the array, no query: the refresh calls it once per
-- 5-minute and hour rollup row.
DECLARE
    c_count_mask CONSTANT bigint := 140737488355327;  -- 2^47 - 1: the count of an entry
    v_entry bigint;
    v_total bigint := 0;
    v_cumulative bigint := 0;
    v_position double precision;
    v_weight double precision;
    v_rank_low bigint;
    v_rank_high bigint;
    v_low double precision;
    v_high double precision;
BEGIN
    IF p_fraction IS NULL OR NOT (p_fraction BETWEEN 0 AND 1) THEN
        RAISE EXCEPTION 'fraction must be from 0 to 1, got %', coalesce(p_fraction::text, 'NULL')
            USING ERRCODE = 'PV004',
                  HINT = 'Pass 0.95 for the 95th percentile.';
    END IF;
    IF p_sketch IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH v_entry IN ARRAY p_sketch LOOP
        v_total := v_total + (v_entry & c_count_mask);
    END LOOP;
    IF v_total = 0 THEN
        RETURN NULL;
    END IF;

    v_position := p_fraction * (v_total - 1)::double precision;
    v_rank_low := floor(v_position)::bigint;
    v_rank_high := ceil(v_position)::bigint;
    v_weight := v_position - v_rank_low::double precision;
    FOREACH v_entry IN ARRAY p_sketch LOOP
        v_cumulative := v_cumulative + (v_entry & c_count_mask);
        IF v_low IS NULL AND v_cumulative > v_rank_low THEN
            v_low := monitoring_internal.value_sketch_value((v_entry >> 47)::integer);
        END IF;
        IF v_cumulative > v_rank_high THEN
            v_high := monitoring_internal.value_sketch_value((v_entry >> 47)::integer);
            EXIT;
        END IF;
    END LOOP;

    -- Ranks 0 and n - 1 are the exact extremes.
    IF v_rank_low = 0 AND p_min IS NOT NULL THEN
        v_low := p_min;
    ELSIF v_rank_low = v_total - 1 AND p_max IS NOT NULL THEN
        v_low := p_max;
    END IF;
    IF v_rank_high = v_total - 1 AND p_max IS NOT NULL THEN
        v_high := p_max;
    ELSIF v_rank_high = 0 AND p_min IS NOT NULL THEN
        v_high := p_min;
    END IF;
    -- The exact samples lie in [p_min, p_max]: clamping only brings the
    -- estimate closer (least/greatest ignore a NULL bound).
    v_low := least(greatest(v_low, p_min), p_max);
    v_high := least(greatest(v_high, p_min), p_max);
    IF v_weight = 0 THEN
        RETURN v_low;
    END IF;
    -- Not v_low + (v_high - v_low) * w: the difference of two large
    -- doubles of opposite signs can overflow.
    RETURN v_low * (1 - v_weight) + v_high * v_weight;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.estimate_value_percentile(bigint[], double precision, double precision, double precision) IS
    'Estimates the p_fraction percentile (0 to 1, as percentile_cont) of the samples of a value sketch (value_sketch of the performance rollups; pass their value_min and value_max, the exact extremes): within 2% of the exact value when the two samples it interpolates between do not have opposite signs (else within 2% of the larger magnitude); samples below 2.2250738585072014e-308 in magnitude count as 0. NULL for a NULL or empty sketch. Errors: PV004.';
