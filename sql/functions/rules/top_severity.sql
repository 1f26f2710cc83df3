CREATE OR REPLACE FUNCTION monitoring_internal.top_severity(p_thresholds jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the highest severity a rule's thresholds name: what a group
    -- without data holds at under no_data alerting or nodata.
    SELECT k FROM jsonb_object_keys(p_thresholds) AS k
    ORDER BY monitoring_internal.severity_rank(k) DESC LIMIT 1;
$$;
COMMENT ON FUNCTION monitoring_internal.top_severity(jsonb) IS
    'Internal: the highest severity among a rule''s thresholds.';
