CREATE OR REPLACE FUNCTION monitoring_internal.add_to_duration_histogram(p_counts bigint[], p_seconds double precision)
RETURNS bigint[]
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
AS $$
-- Internal: transition function of monitoring.task_duration_histogram().
-- Counts one duration into its bucket of task_duration_bounds(); a NULL
-- duration is not counted.
DECLARE
    v_bounds CONSTANT double precision[] := monitoring.task_duration_bounds();
    v_counts bigint[] := coalesce(p_counts, array_fill(0::bigint, ARRAY[cardinality(v_bounds)]));
    v_index integer;
BEGIN
    IF p_seconds IS NOT NULL THEN
        -- width_bucket counts the bounds <= p_seconds: 0 below the first.
        v_index := least(width_bucket(p_seconds, v_bounds) + 1, cardinality(v_bounds));
        v_counts[v_index] := v_counts[v_index] + 1;
    END IF;
    RETURN v_counts;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.add_to_duration_histogram(bigint[], double precision) IS
    'Internal: transition function of the aggregate monitoring.task_duration_histogram(double precision).';
