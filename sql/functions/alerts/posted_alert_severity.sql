CREATE OR REPLACE FUNCTION monitoring_internal.posted_alert_severity(p_labels jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a posted alert's pgvigil severity, from its severity label
    -- as Prometheus rules write it: critical, page -> critical; error,
    -- high, major -> high; info, low, none, minor -> low; warning and
    -- anything else (or none) -> medium. The label itself is kept as it is.
    SELECT CASE lower(coalesce(p_labels ->> 'severity', ''))
               WHEN 'critical' THEN 'critical' WHEN 'page' THEN 'critical'
               WHEN 'error' THEN 'high' WHEN 'high' THEN 'high' WHEN 'major' THEN 'high'
               WHEN 'info' THEN 'low' WHEN 'low' THEN 'low' WHEN 'none' THEN 'low' WHEN 'minor' THEN 'low'
               ELSE 'medium' END;
$$;
COMMENT ON FUNCTION monitoring_internal.posted_alert_severity(jsonb) IS
    'Internal: the pgvigil severity of a posted alert, from its severity label (critical, high, medium, low).';
