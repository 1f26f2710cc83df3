CREATE OR REPLACE FUNCTION monitoring_internal.flap_detection_settings(p_notifications jsonb)
RETURNS TABLE (enabled boolean, changes integer, window_seconds double precision, stable_seconds double precision)
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the notifications section's flap_detection (pgvigil's own)
    -- with its defaults: on, more than 4 changes in 10 minutes is flapping,
    -- stable again after 15 minutes without a change.
    SELECT coalesce((f ->> 'enabled')::boolean, true),
           coalesce((f ->> 'changes')::integer, 4),
           coalesce(monitoring_internal.parse_duration(f -> 'window'), 600),
           coalesce(monitoring_internal.parse_duration(f -> 'stable_for'), 900)
    FROM (SELECT CASE jsonb_typeof(p_notifications -> 'flap_detection') WHEN 'object'
                      THEN p_notifications -> 'flap_detection' ELSE '{}' END AS f) AS x;
$$;
COMMENT ON FUNCTION monitoring_internal.flap_detection_settings(jsonb) IS
    'Internal: flap_detection with its defaults (on, more than 4 changes in 10 min, stable after 15 min).';
