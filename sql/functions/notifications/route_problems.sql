CREATE OR REPLACE FUNCTION monitoring_internal.route_problems(
    p_route jsonb,
    p_where text,
    p_receivers text[],
    p_intervals text[]
)
RETURNS TABLE (code text, problem text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: the problems of one route and, recursively, its children: its
-- keys (PV606), the receiver it names (PV601), its matchers (PV602), the
-- time intervals it names (PV603), its durations and group_by (PV608).
DECLARE
    v_key text;
    v_name text;
    v_n integer := 0;
    v_child jsonb;
BEGIN
    IF jsonb_typeof(p_route) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV608', format('%s must be an object', p_where);
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(p_where, 'route', p_route);
    IF p_route ? 'receiver' AND (jsonb_typeof(p_route -> 'receiver') <> 'string' OR NOT (p_route ->> 'receiver') = ANY (p_receivers)) THEN
        RETURN QUERY SELECT 'PV601', format('%s.receiver %s is not a receiver of notifications.receivers (%s)', p_where,
                                            p_route -> 'receiver', coalesce(nullif(array_to_string(p_receivers, ', '), ''), 'none'));
    END IF;
    RETURN QUERY SELECT * FROM monitoring_internal.matcher_problems(p_route, p_where);
    FOREACH v_key IN ARRAY ARRAY['group_wait', 'group_interval', 'repeat_interval'] LOOP
        IF p_route ? v_key AND coalesce(monitoring_internal.parse_duration(p_route -> v_key) < 0, true) THEN
            RETURN QUERY SELECT 'PV608', format('%s.%s must be a duration such as "30s" or "4h", got %s', p_where, v_key, p_route -> v_key);
        END IF;
    END LOOP;
    IF p_route ? 'group_interval' AND monitoring_internal.parse_duration(p_route -> 'group_interval') = 0 THEN
        RETURN QUERY SELECT 'PV608', format('%s.group_interval cannot be 0', p_where);
    END IF;
    IF p_route ? 'group_by' AND (jsonb_typeof(p_route -> 'group_by') <> 'array'
                                 OR EXISTS (SELECT FROM jsonb_array_elements(p_route -> 'group_by') AS g
                                            WHERE jsonb_typeof(g) <> 'string'
                                               OR ((g #>> '{}') !~ '^[A-Za-z_][A-Za-z0-9_]*$' AND g #>> '{}' <> '...'))) THEN
        RETURN QUERY SELECT 'PV608', format('%s.group_by must be a list of label names (or ["..."] for all labels)', p_where);
    END IF;
    FOREACH v_key IN ARRAY ARRAY['mute_time_intervals', 'active_time_intervals'] LOOP
        CONTINUE WHEN NOT p_route ? v_key;
        IF jsonb_typeof(p_route -> v_key) <> 'array' THEN
            RETURN QUERY SELECT 'PV603', format('%s.%s must be a list of time interval names', p_where, v_key);
            CONTINUE;
        END IF;
        FOR v_name IN SELECT jsonb_array_elements_text(p_route -> v_key) LOOP
            IF NOT v_name = ANY (p_intervals) THEN
                RETURN QUERY SELECT 'PV603', format('%s.%s: %s is not a time interval of notifications.time_intervals', p_where, v_key, v_name);
            END IF;
        END LOOP;
    END LOOP;
    IF p_route ? 'routes' AND jsonb_typeof(p_route -> 'routes') <> 'array' THEN
        RETURN QUERY SELECT 'PV608', format('%s.routes must be a list of routes', p_where);
        RETURN;
    END IF;
    FOR v_child IN SELECT c FROM jsonb_array_elements(coalesce(p_route -> 'routes', '[]')) AS c LOOP
        RETURN QUERY SELECT * FROM monitoring_internal.route_problems(v_child, format('%s.routes[%s]', p_where, v_n),
                                                                      p_receivers, p_intervals);
        v_n := v_n + 1;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.route_problems(jsonb, text, text[], text[]) IS
    'Internal: the problems (PV601-PV608) of a route and its children.';
