CREATE OR REPLACE FUNCTION monitoring_internal.severity_reached(
    p_value double precision,
    p_thresholds jsonb,
    p_comparison text
)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    -- Internal: the highest severity whose threshold p_value passes in the
    -- rule's comparison, or NULL. One CASE, no FROM and no SET: the planner
    -- inlines it into the evaluation's query (it runs once per group of
    -- every rule).
    SELECT CASE
        WHEN p_comparison IN ('>=', '>') THEN
            CASE WHEN p_value > (p_thresholds ->> 'critical')::double precision
                      OR (p_comparison = '>=' AND p_value = (p_thresholds ->> 'critical')::double precision) THEN 'critical'
                 WHEN p_value > (p_thresholds ->> 'high')::double precision
                      OR (p_comparison = '>=' AND p_value = (p_thresholds ->> 'high')::double precision) THEN 'high'
                 WHEN p_value > (p_thresholds ->> 'medium')::double precision
                      OR (p_comparison = '>=' AND p_value = (p_thresholds ->> 'medium')::double precision) THEN 'medium'
                 WHEN p_value > (p_thresholds ->> 'low')::double precision
                      OR (p_comparison = '>=' AND p_value = (p_thresholds ->> 'low')::double precision) THEN 'low'
            END
        ELSE
            CASE WHEN p_value < (p_thresholds ->> 'critical')::double precision
                      OR (p_comparison = '<=' AND p_value = (p_thresholds ->> 'critical')::double precision) THEN 'critical'
                 WHEN p_value < (p_thresholds ->> 'high')::double precision
                      OR (p_comparison = '<=' AND p_value = (p_thresholds ->> 'high')::double precision) THEN 'high'
                 WHEN p_value < (p_thresholds ->> 'medium')::double precision
                      OR (p_comparison = '<=' AND p_value = (p_thresholds ->> 'medium')::double precision) THEN 'medium'
                 WHEN p_value < (p_thresholds ->> 'low')::double precision
                      OR (p_comparison = '<=' AND p_value = (p_thresholds ->> 'low')::double precision) THEN 'low'
            END
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.severity_reached(double precision, jsonb, text) IS
    'Internal: the severity a value reaches under a rule''s thresholds and comparison (NULL: none).';
