CREATE OR REPLACE FUNCTION monitoring_internal.notification_problems(p_document jsonb)
RETURNS TABLE (code text, problem text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: every problem of the config's notifications section (an
-- Alertmanager config: route, receivers, inhibit_rules, time_intervals,
-- global), each with its code: PV601 a receiver unknown or named twice,
-- PV602 a malformed matcher or regular expression, PV603 a time interval
-- (unknown, an unknown time zone, impossible times or days), PV606 a key
-- pgvigil does not support, PV607 a secret written in the config, PV608
-- any other malformed value; PV605 an escalation policy's.
DECLARE
    v_section jsonb := p_document -> 'notifications';
    v_receivers text[];
    v_intervals text[];
    v_receiver jsonb;
    v_kind text;
    v_config jsonb;
    v_rule jsonb;
    v_interval jsonb;
    v_range jsonb;
    v_where text;
    v_key text;
    v_n integer;
    v_m integer;
    v_i integer;
BEGIN
    IF v_section IS NULL THEN
        RETURN;
    END IF;
    IF jsonb_typeof(v_section) <> 'object' THEN
        RETURN QUERY SELECT 'PV608', 'notifications must be an object: an Alertmanager config (route, receivers, ...)'::text;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems('notifications', 'notifications', v_section);
    IF v_section ? 'global' THEN
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems('notifications.global', 'global', v_section -> 'global');
        IF v_section #> '{global,resolve_timeout}' IS NOT NULL
           AND coalesce(monitoring_internal.parse_duration(v_section #> '{global,resolve_timeout}') <= 0, true) THEN
            RETURN QUERY SELECT 'PV608', 'notifications.global.resolve_timeout must be a duration such as "5m"'::text;
        END IF;
        IF v_section #> '{global,http_timeout}' IS NOT NULL
           AND coalesce(monitoring_internal.parse_duration(v_section #> '{global,http_timeout}') <= 0, true) THEN
            RETURN QUERY SELECT 'PV608', 'notifications.global.http_timeout must be a duration > 0 such as "10s"'::text;
        END IF;
    END IF;

    -- Receivers: named once each; their configs' keys and secrets.
    IF jsonb_typeof(coalesce(v_section -> 'receivers', '[]')) <> 'array' THEN
        RETURN QUERY SELECT 'PV608', 'notifications.receivers must be a list'::text;
    ELSE
        v_n := 0;
        FOR v_receiver IN SELECT r FROM jsonb_array_elements(coalesce(v_section -> 'receivers', '[]')) AS r LOOP
            v_n := v_n + 1;
            v_where := format('notifications.receivers[%s]', coalesce(v_receiver ->> 'name', v_n::text));
            IF jsonb_typeof(v_receiver) <> 'object' OR jsonb_typeof(v_receiver -> 'name') IS DISTINCT FROM 'string'
               OR length(v_receiver ->> 'name') NOT BETWEEN 1 AND 200 THEN
                RETURN QUERY SELECT 'PV608', format('%s needs a name', v_where);
                CONTINUE;
            END IF;
            IF v_receiver ->> 'name' = ANY (v_receivers) THEN
                RETURN QUERY SELECT 'PV601', format('%s: the receiver %s is defined twice', v_where, v_receiver ->> 'name');
            END IF;
            v_receivers := v_receivers || (v_receiver ->> 'name');
            RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(v_where, 'receiver', v_receiver);
            IF v_receiver ? 'flood_control' THEN
                RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
                    v_where || '.flood_control', 'flood_control', v_receiver -> 'flood_control');
                IF jsonb_typeof(v_receiver #> '{flood_control,max_per_minute}') IS DISTINCT FROM 'number'
                   OR (v_receiver #>> '{flood_control,max_per_minute}')::numeric NOT BETWEEN 1 AND 10000
                   OR (v_receiver #>> '{flood_control,max_per_minute}')::numeric
                      <> trunc((v_receiver #>> '{flood_control,max_per_minute}')::numeric) THEN
                    RETURN QUERY SELECT 'PV608', format('%s.flood_control.max_per_minute must be a whole number, 1 to 10000', v_where);
                END IF;
            END IF;
            FOR v_kind IN SELECT k FROM jsonb_object_keys(v_receiver) AS k WHERE k LIKE '%\_configs' ORDER BY 1 LOOP
                CONTINUE WHEN NOT EXISTS (SELECT FROM monitoring_internal.notification_keys() AS c WHERE c.context = v_kind);
                IF jsonb_typeof(v_receiver -> v_kind) <> 'array' THEN
                    RETURN QUERY SELECT 'PV608', format('%s.%s must be a list', v_where, v_kind);
                    CONTINUE;
                END IF;
                v_m := 0;
                FOR v_config IN SELECT c FROM jsonb_array_elements(v_receiver -> v_kind) AS c LOOP
                    RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
                        format('%s.%s[%s]', v_where, v_kind, v_m), v_kind, v_config);
                    IF v_kind = 'slack_configs' AND jsonb_typeof(v_config) = 'object'
                       AND NOT v_config ?| ARRAY['api_url', 'api_url_file', 'api_url_env']
                       AND NOT coalesce(v_section -> 'global', '{}') ?| ARRAY['slack_api_url_file', 'slack_api_url_env'] THEN
                        RETURN QUERY SELECT 'PV608', format('%s.%s[%s] needs api_url_file or api_url_env (or global.slack_api_url_file): where to send',
                                                            v_where, v_kind, v_m);
                    END IF;
                    IF v_kind = 'email_configs' AND jsonb_typeof(v_config) = 'object' THEN
                        RETURN QUERY SELECT * FROM monitoring_internal.email_config_problems(
                            format('%s.%s[%s]', v_where, v_kind, v_m), v_config, coalesce(v_section -> 'global', '{}'));
                    END IF;
                    v_m := v_m + 1;
                END LOOP;
            END LOOP;
        END LOOP;
    END IF;

    -- Time intervals (Alertmanager's time_intervals, and the older name).
    v_n := 0;
    FOR v_interval IN SELECT i FROM jsonb_array_elements(
                          CASE WHEN jsonb_typeof(v_section -> 'time_intervals') = 'array' THEN v_section -> 'time_intervals' ELSE '[]' END
                          || CASE WHEN jsonb_typeof(v_section -> 'mute_time_intervals') = 'array' THEN v_section -> 'mute_time_intervals' ELSE '[]' END) AS i LOOP
        v_n := v_n + 1;
        v_where := format('notifications.time_intervals[%s]', coalesce(v_interval ->> 'name', v_n::text));
        IF jsonb_typeof(v_interval -> 'name') IS DISTINCT FROM 'string' THEN
            RETURN QUERY SELECT 'PV603', format('%s needs a name', v_where);
            CONTINUE;
        END IF;
        IF v_interval ->> 'name' = ANY (v_intervals) THEN
            RETURN QUERY SELECT 'PV603', format('%s is defined twice', v_where);
        END IF;
        v_intervals := v_intervals || (v_interval ->> 'name');
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(v_where, 'time_interval', v_interval);
        v_i := 0;
        FOR v_range IN SELECT r FROM jsonb_array_elements(
                           CASE jsonb_typeof(v_interval -> 'time_intervals') WHEN 'array' THEN v_interval -> 'time_intervals' ELSE '[]' END) AS r LOOP
            RETURN QUERY SELECT 'PV603', format('%s.time_intervals[%s]%s', v_where, v_i, p.problem)
            FROM monitoring_internal.time_range_problems(v_range) AS p;
            RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
                format('%s.time_intervals[%s]', v_where, v_i), 'time_range', v_range);
            v_i := v_i + 1;
        END LOOP;
    END LOOP;

    -- Flap damping (pgvigil's own).
    IF v_section ? 'flap_detection' THEN
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
            'notifications.flap_detection', 'flap_detection', v_section -> 'flap_detection');
        IF jsonb_typeof(v_section -> 'flap_detection') = 'object' THEN
            IF v_section #> '{flap_detection,changes}' IS NOT NULL
               AND (jsonb_typeof(v_section #> '{flap_detection,changes}') <> 'number'
                    OR (v_section #>> '{flap_detection,changes}')::numeric NOT BETWEEN 1 AND 1000
                    OR (v_section #>> '{flap_detection,changes}')::numeric <> trunc((v_section #>> '{flap_detection,changes}')::numeric)) THEN
                RETURN QUERY SELECT 'PV608', 'notifications.flap_detection.changes must be a whole number of state changes, 1 to 1000'::text;
            END IF;
            FOREACH v_key IN ARRAY ARRAY['window', 'stable_for'] LOOP
                IF v_section -> 'flap_detection' ? v_key
                   AND coalesce(monitoring_internal.parse_duration(v_section -> 'flap_detection' -> v_key) <= 0, true) THEN
                    RETURN QUERY SELECT 'PV608', format('notifications.flap_detection.%s must be a duration such as "10m"', v_key);
                END IF;
            END LOOP;
        END IF;
    END IF;

    -- Escalation policies (pgvigil's own): PV605, and PV601 for a tier's receiver.
    RETURN QUERY SELECT * FROM monitoring_internal.escalation_policy_problems(v_section, coalesce(v_receivers, '{}'));

    -- The route tree: receivers and time intervals it names, its matchers.
    IF jsonb_typeof(v_section -> 'route') IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV608', 'notifications.route must be an object with a receiver (the root route)'::text;
    ELSE
        IF v_section #> '{route,receiver}' IS NULL THEN
            RETURN QUERY SELECT 'PV601', 'notifications.route: the root route needs a receiver'::text;
        END IF;
        IF v_section -> 'route' ?| ARRAY['match', 'match_re', 'matchers', 'continue', 'mute_time_intervals', 'active_time_intervals'] THEN
            RETURN QUERY SELECT 'PV608', 'notifications.route: the root route matches every alert: no matchers, continue or time intervals'::text;
        END IF;
        RETURN QUERY SELECT * FROM monitoring_internal.route_problems(v_section -> 'route', 'notifications.route',
                                                                      coalesce(v_receivers, '{}'), coalesce(v_intervals, '{}'));
    END IF;

    -- Inhibit rules.
    v_n := 0;
    FOR v_rule IN SELECT r FROM jsonb_array_elements(
                      CASE jsonb_typeof(v_section -> 'inhibit_rules') WHEN 'array' THEN v_section -> 'inhibit_rules' ELSE '[]' END) AS r LOOP
        v_where := format('notifications.inhibit_rules[%s]', v_n);
        v_n := v_n + 1;
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(v_where, 'inhibit_rule', v_rule);
        FOREACH v_key IN ARRAY ARRAY['source', 'target'] LOOP
            RETURN QUERY SELECT * FROM monitoring_internal.matcher_problems(
                jsonb_build_object('match', v_rule -> (v_key || '_match'), 'match_re', v_rule -> (v_key || '_match_re'),
                                   'matchers', v_rule -> (v_key || '_matchers')),
                v_where, v_key || '_');
        END LOOP;
        IF v_rule ? 'equal' AND (jsonb_typeof(v_rule -> 'equal') <> 'array'
                                 OR EXISTS (SELECT FROM jsonb_array_elements(v_rule -> 'equal') AS e
                                            WHERE jsonb_typeof(e) <> 'string' OR (e #>> '{}') !~ '^[A-Za-z_][A-Za-z0-9_]*$')) THEN
            RETURN QUERY SELECT 'PV608', format('%s.equal must be a list of label names', v_where);
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.notification_problems(jsonb) IS
    'Internal: every problem of a config''s notifications section (PV601-PV608), with the path of the field.';
