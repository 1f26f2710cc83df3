CREATE OR REPLACE FUNCTION monitoring_internal.capped_severity(p_severity text, p_caps jsonb, p_details jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a group's severity after its rule's severity_caps: the
    -- lowest max of the caps whose when its details contain, if below it.
    -- (A degraded component is held at alert_settings.degraded_max_severity.)
    SELECT coalesce(
        (SELECT c ->> 'max'
         FROM jsonb_array_elements(p_caps) AS c
         WHERE p_details @> (c -> 'when')
           AND monitoring_internal.severity_rank(c ->> 'max') < monitoring_internal.severity_rank(p_severity)
         ORDER BY monitoring_internal.severity_rank(c ->> 'max')
         LIMIT 1),
        p_severity);
$$;
COMMENT ON FUNCTION monitoring_internal.capped_severity(text, jsonb, jsonb) IS
    'Internal: a severity lowered to the max of the first matching severity cap (by the group''s details), if any.';
