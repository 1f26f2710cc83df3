CREATE OR REPLACE FUNCTION monitoring_internal.add_bucket_counts(p_counts bigint[], p_more bigint[])
RETURNS bigint[]
LANGUAGE plpgsql
IMMUTABLE
STRICT
PARALLEL SAFE
AS $$
-- Internal: element-wise sum of two bucket count arrays, the transition
-- function of monitoring.sum_bucket_counts() (and the combine function of
-- both histogram aggregates).
DECLARE
    v_counts bigint[] := p_counts;
BEGIN
    IF cardinality(p_counts) <> cardinality(p_more) THEN
        RAISE EXCEPTION 'cannot add bucket counts of different lengths (% and %)',
                        cardinality(p_counts), cardinality(p_more)
            USING ERRCODE = 'PV004',
                  HINT = 'Every histogram has one count per bucket of monitoring.task_duration_bounds().';
    END IF;
    FOR i IN 1 .. cardinality(p_more) LOOP
        v_counts[i] := v_counts[i] + p_more[i];
    END LOOP;
    RETURN v_counts;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.add_bucket_counts(bigint[], bigint[]) IS
    'Internal: element-wise sum of two bucket count arrays (transition function of monitoring.sum_bucket_counts).';
