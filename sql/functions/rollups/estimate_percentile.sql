CREATE OR REPLACE FUNCTION monitoring.estimate_percentile(p_bucket_counts bigint[], p_fraction double precision)
RETURNS double precision
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
AS $$
-- Estimates a percentile of task durations from counts per bucket of
-- monitoring.task_duration_bounds() (duration_buckets of the task rollups),
-- as Prometheus' histogram_quantile does: find the bucket holding the rank
-- p_fraction * total and interpolate linearly inside it, assuming its
-- durations are spread evenly between its lower and upper bound. The last
-- bucket has no upper bound: a rank there returns its lower bound (3600 s).
-- Returns NULL when every count is 0. The error is at most the width of the
-- bucket holding the rank.
DECLARE
    v_bounds CONSTANT double precision[] := monitoring.task_duration_bounds();
    v_total bigint := 0;
    v_cumulative bigint := 0;
    v_lower double precision := 0;
    v_rank double precision;
BEGIN
    IF p_bucket_counts IS NULL OR p_fraction IS NULL THEN
        RAISE EXCEPTION 'bucket counts and fraction must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass duration_buckets of a task rollup and a fraction such as 0.95.';
    END IF;
    IF NOT (p_fraction BETWEEN 0 AND 1) THEN
        RAISE EXCEPTION 'fraction must be from 0 to 1, got %', p_fraction
            USING ERRCODE = 'PV004',
                  HINT = 'Pass 0.95 for the 95th percentile.';
    END IF;
    IF cardinality(p_bucket_counts) <> cardinality(v_bounds) OR array_ndims(p_bucket_counts) <> 1
       OR (0 <= ALL (p_bucket_counts)) IS NOT TRUE THEN  -- a negative or NULL count; no query per call
        RAISE EXCEPTION 'bucket counts must be % counts >= 0, got %', cardinality(v_bounds), p_bucket_counts
            USING ERRCODE = 'PV004',
                  HINT = 'Pass duration_buckets of a task rollup: one count per bucket of monitoring.task_duration_bounds().';
    END IF;

    FOR i IN 1 .. cardinality(v_bounds) LOOP
        v_total := v_total + p_bucket_counts[i];
    END LOOP;
    IF v_total = 0 THEN
        RETURN NULL;
    END IF;
    v_rank := p_fraction * v_total;
    FOR i IN 1 .. cardinality(v_bounds) LOOP
        IF p_bucket_counts[i] > 0 AND v_cumulative + p_bucket_counts[i] >= v_rank THEN
            IF i = cardinality(v_bounds) THEN
                RETURN v_lower;
            END IF;
            RETURN v_lower + (v_bounds[i] - v_lower) * (v_rank - v_cumulative) / p_bucket_counts[i];
        END IF;
        v_cumulative := v_cumulative + p_bucket_counts[i];
        v_lower := v_bounds[i];
    END LOOP;
    RETURN NULL;  -- unreachable: the last non-empty bucket reaches the total
END;
$$;
COMMENT ON FUNCTION monitoring.estimate_percentile(bigint[], double precision) IS
    'Estimates the p_fraction percentile (0 to 1) of task durations in seconds from duration bucket counts (duration_buckets of the task rollups, summed with monitoring.sum_bucket_counts), interpolating linearly inside the bucket; NULL when there are no durations. Errors: PV001, PV004.';
