CREATE OR REPLACE FUNCTION monitoring_internal.prometheus_escape(p_value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a label value as the text exposition format writes it:
    -- backslash, double quote and line feed escaped.
    SELECT replace(replace(replace(coalesce(p_value, ''), E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n');
$$;
COMMENT ON FUNCTION monitoring_internal.prometheus_escape(text) IS
    'Internal: escapes a label value for the Prometheus text format.';
