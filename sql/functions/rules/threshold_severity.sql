CREATE OR REPLACE FUNCTION monitoring_internal.threshold_severity(
    p_value double precision,
    p_thresholds jsonb,
    p_comparison text,
    OUT severity text,
    OUT threshold double precision
)
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the highest severity whose threshold p_value passes in the
    -- rule's comparison (value >= threshold for '>=', and so on), and that
    -- threshold; NULLs when it passes none.
    SELECT t.key, t.limit_value
    FROM (SELECT e.key, (e.value #>> '{}')::double precision AS limit_value
          FROM jsonb_each(p_thresholds) AS e) AS t
    WHERE CASE p_comparison WHEN '>' THEN p_value > t.limit_value WHEN '>=' THEN p_value >= t.limit_value
                            WHEN '<' THEN p_value < t.limit_value WHEN '<=' THEN p_value <= t.limit_value END
    ORDER BY monitoring_internal.severity_rank(t.key) DESC
    LIMIT 1;
$$;
COMMENT ON FUNCTION monitoring_internal.threshold_severity(double precision, jsonb, text) IS
    'Internal: the severity a value reaches under a rule''s thresholds and comparison, with its threshold.';
