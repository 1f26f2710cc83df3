CREATE OR REPLACE FUNCTION monitoring_internal.is_named_list(p_value jsonb)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: an array whose elements are all objects with a string
    -- "name" (alert_rules): config files merge such lists by name.
    SELECT jsonb_typeof(p_value) = 'array'
       AND NOT EXISTS (SELECT FROM jsonb_array_elements(p_value) AS e (element)
                       WHERE jsonb_typeof(e.element) IS DISTINCT FROM 'object'
                          OR jsonb_typeof(e.element -> 'name') IS DISTINCT FROM 'string');
$$;
COMMENT ON FUNCTION monitoring_internal.is_named_list(jsonb) IS
    'Internal: true for an array of objects that each have a string "name" (merged by name by config_merge and config_patch).';
