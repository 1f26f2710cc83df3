CREATE OR REPLACE FUNCTION monitoring_internal.time_interval_ranges(p_notifications jsonb, p_name text)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the ranges of the named time interval of a notifications
    -- config (time_intervals, or the older mute_time_intervals list).
    SELECT i -> 'time_intervals'
    FROM jsonb_array_elements(
             CASE WHEN jsonb_typeof(p_notifications -> 'time_intervals') = 'array' THEN p_notifications -> 'time_intervals' ELSE '[]' END
             || CASE WHEN jsonb_typeof(p_notifications -> 'mute_time_intervals') = 'array' THEN p_notifications -> 'mute_time_intervals' ELSE '[]' END) AS i
    WHERE i ->> 'name' = p_name
    LIMIT 1;
$$;
COMMENT ON FUNCTION monitoring_internal.time_interval_ranges(jsonb, text) IS
    'Internal: the ranges of a named time interval of the notifications config.';
