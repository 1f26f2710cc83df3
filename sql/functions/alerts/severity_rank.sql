CREATE OR REPLACE FUNCTION monitoring_internal.severity_rank(p_severity text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- Internal: orders severities, low = 1 ... critical = 4, unknown = NULL.
    SELECT CASE p_severity
        WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 WHEN 'critical' THEN 4
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.severity_rank(text) IS
    'Internal: 1 for low up to 4 for critical; NULL for anything else.';
