CREATE OR REPLACE FUNCTION monitoring_internal.severity_for_value(p_value double precision, p_thresholds jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- Internal: the highest severity whose threshold the value reaches
    -- (value >= threshold), or NULL when it reaches none.
    SELECT CASE
        WHEN p_value >= (p_thresholds ->> 'critical')::double precision THEN 'critical'
        WHEN p_value >= (p_thresholds ->> 'high')::double precision THEN 'high'
        WHEN p_value >= (p_thresholds ->> 'medium')::double precision THEN 'medium'
        WHEN p_value >= (p_thresholds ->> 'low')::double precision THEN 'low'
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.severity_for_value(double precision, jsonb) IS
    'Internal: maps a measured value onto {low, medium, high, critical} thresholds; NULL below low.';
