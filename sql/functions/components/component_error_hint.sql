CREATE OR REPLACE FUNCTION monitoring_internal.component_error_hint(p_code text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the HINT of each component error code (docs/error-codes.md).
    SELECT CASE p_code
        WHEN 'PV521' THEN 'A component''s settings are an object of component_type (text), labels (an object of strings, label names of letters, digits and _, not alertname or severity), criticality (low, medium, high, critical), depends_on (a list of component names) and description; null clears one.'
        WHEN 'PV522' THEN 'List the components with pgvigil components list, or SELECT component FROM monitoring.v_components; they register on first sight in health reports, errors and metrics, or with monitoring.put_component().'
        WHEN 'PV523' THEN 'Dependencies cannot go round in a circle, and a component others depend on cannot be deleted: change their depends_on first.'
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.component_error_hint(text) IS
    'Internal: the HINT that goes with a component error code PV521-PV523.';
