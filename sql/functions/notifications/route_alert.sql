CREATE OR REPLACE FUNCTION monitoring_internal.route_alert(
    p_route jsonb,
    p_labels jsonb,
    p_parent jsonb DEFAULT NULL,
    p_parent_key text DEFAULT NULL
)
RETURNS TABLE (route_key text, receiver text, group_by text[], group_by_all boolean,
               group_wait_seconds double precision, group_interval_seconds double precision,
               repeat_interval_seconds double precision, mute_time_intervals text[],
               active_time_intervals text[], escalation_policy text)
LANGUAGE plpgsql
STABLE
ROWS 2
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: the routes a label set goes to, with Alertmanager's semantics
-- (dispatch/route.go): depth first, left to right; a route whose matchers
-- hold is entered, and its first matching child ends the search unless
-- that child has continue: true; a route none of whose children match is
-- itself a match. Children inherit receiver, group_by, the timers and
-- pgvigil's escalation_policy
-- (Alertmanager's defaults at the root: 30s, 5m, 4h); mute and active time
-- intervals are a route's own. route_key is Alertmanager's Route.Key():
-- the matchers of each route from the root, {..}/{..}.
DECLARE
    v_matchers jsonb := monitoring_internal.route_matchers(p_route);
    v_key text := coalesce(p_parent_key || '/', '') || monitoring_internal.matchers_text(v_matchers);
    v_opts jsonb := coalesce(p_parent, jsonb_build_object('receiver', NULL, 'group_by', '[]'::jsonb, 'group_by_all', false,
                                                          'group_wait', 30, 'group_interval', 300, 'repeat_interval', 14400));
    v_child jsonb;
    v_found boolean := false;
    v_matched integer;
    r record;
BEGIN
    IF NOT monitoring_internal.matchers_match(v_matchers, p_labels) THEN
        RETURN;
    END IF;
    IF jsonb_typeof(p_route -> 'escalation_policy') = 'string' THEN
        v_opts := v_opts || jsonb_build_object('escalation_policy', p_route -> 'escalation_policy');
    END IF;
    IF jsonb_typeof(p_route -> 'receiver') = 'string' THEN
        v_opts := v_opts || jsonb_build_object('receiver', p_route -> 'receiver');
    END IF;
    IF jsonb_typeof(p_route -> 'group_by') = 'array' THEN
        v_opts := v_opts || CASE WHEN p_route -> 'group_by' ? '...'
                                 THEN jsonb_build_object('group_by', '[]'::jsonb, 'group_by_all', true)
                                 ELSE jsonb_build_object('group_by', p_route -> 'group_by', 'group_by_all', false) END;
    END IF;
    v_opts := v_opts
        || CASE WHEN p_route ? 'group_wait' THEN jsonb_build_object('group_wait', monitoring_internal.parse_duration(p_route -> 'group_wait')) ELSE '{}' END
        || CASE WHEN p_route ? 'group_interval' THEN jsonb_build_object('group_interval', monitoring_internal.parse_duration(p_route -> 'group_interval')) ELSE '{}' END
        || CASE WHEN p_route ? 'repeat_interval' THEN jsonb_build_object('repeat_interval', monitoring_internal.parse_duration(p_route -> 'repeat_interval')) ELSE '{}' END;

    FOR v_child IN SELECT c FROM jsonb_array_elements(coalesce(p_route -> 'routes', '[]')) AS c LOOP
        v_matched := 0;
        FOR r IN SELECT * FROM monitoring_internal.route_alert(v_child, p_labels, v_opts, v_key) LOOP
            route_key := r.route_key; receiver := r.receiver; group_by := r.group_by; group_by_all := r.group_by_all;
            group_wait_seconds := r.group_wait_seconds; group_interval_seconds := r.group_interval_seconds;
            repeat_interval_seconds := r.repeat_interval_seconds; mute_time_intervals := r.mute_time_intervals;
            active_time_intervals := r.active_time_intervals; escalation_policy := r.escalation_policy;
            RETURN NEXT;
            v_matched := v_matched + 1;
        END LOOP;
        v_found := v_found OR v_matched > 0;
        EXIT WHEN v_matched > 0 AND NOT coalesce((v_child ->> 'continue')::boolean, false);
    END LOOP;
    IF v_found THEN
        RETURN;
    END IF;
    route_key := v_key;
    receiver := v_opts ->> 'receiver';
    group_by := ARRAY(SELECT jsonb_array_elements_text(v_opts -> 'group_by'));
    group_by_all := (v_opts ->> 'group_by_all')::boolean;
    group_wait_seconds := (v_opts ->> 'group_wait')::double precision;
    group_interval_seconds := (v_opts ->> 'group_interval')::double precision;
    repeat_interval_seconds := (v_opts ->> 'repeat_interval')::double precision;
    mute_time_intervals := ARRAY(SELECT jsonb_array_elements_text(coalesce(p_route -> 'mute_time_intervals', '[]')));
    active_time_intervals := ARRAY(SELECT jsonb_array_elements_text(coalesce(p_route -> 'active_time_intervals', '[]')));
    escalation_policy := v_opts ->> 'escalation_policy';
    RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.route_alert(jsonb, jsonb, jsonb, text) IS
    'Internal: the routes (key, receiver, grouping, timers, time intervals) a label set goes to through a route tree, as Alertmanager routes it.';
