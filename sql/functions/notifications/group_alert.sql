CREATE OR REPLACE FUNCTION monitoring_internal.group_alert(p_alert_id bigint)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: puts an open alert into the notification groups its labels
-- route it to (route_alert over notifications.route), creating a group
-- (first flush after its group_wait) where there is none, and takes it out
-- of groups it no longer routes to (its labels changed); starts the
-- escalation of a route with an escalation_policy. Called when an
-- alert fires and when its labels change. Returns the number of groups it
-- is in.
DECLARE
    v_labels jsonb;
    v_groups bigint[] := '{}'::bigint[];
    v_group_id bigint;
    r record;
BEGIN
    SELECT a.labels INTO v_labels FROM monitoring.alerts AS a
    WHERE a.alert_id = p_alert_id AND a.resolved_at IS NULL AND a.labels IS NOT NULL;
    IF v_labels IS NOT NULL THEN
        FOR r IN SELECT * FROM monitoring.test_route(v_labels) LOOP
            INSERT INTO monitoring.notification_groups AS g
                (receiver, group_key, route_key, group_labels, group_wait_seconds, group_interval_seconds,
                 repeat_interval_seconds, mute_time_intervals, active_time_intervals, next_flush_at)
            VALUES (r.receiver, r.group_key, r.route_key, r.group_labels, r.group_wait_seconds,
                    r.group_interval_seconds, r.repeat_interval_seconds, r.mute_time_intervals,
                    r.active_time_intervals, now() + make_interval(secs => r.group_wait_seconds))
            ON CONFLICT ON CONSTRAINT notification_groups_receiver_group_key_key
            DO UPDATE SET group_interval_seconds = excluded.group_interval_seconds,
                          repeat_interval_seconds = excluded.repeat_interval_seconds,
                          mute_time_intervals = excluded.mute_time_intervals,
                          active_time_intervals = excluded.active_time_intervals
            RETURNING g.group_id INTO v_group_id;
            INSERT INTO monitoring.notification_group_alerts (group_id, alert_id)
            VALUES (v_group_id, p_alert_id)
            ON CONFLICT ON CONSTRAINT notification_group_alerts_pkey DO NOTHING;
            v_groups := v_groups || v_group_id;
            -- An incident on a route with an escalation policy: a snapshot of
            -- the policy starts paging its first tier now.
            IF r.escalation_policy IS NOT NULL THEN
                INSERT INTO monitoring.escalations (alert_id, policy_name, policy, next_at)
                SELECT p_alert_id, r.escalation_policy, p, now()
                FROM monitoring_internal.notification_config AS c,
                     jsonb_array_elements(c.notifications -> 'escalation_policies') AS p
                WHERE p ->> 'name' = r.escalation_policy
                ON CONFLICT ON CONSTRAINT escalations_alert_id_policy_name_key DO NOTHING;
            END IF;
        END LOOP;
    END IF;
    DELETE FROM monitoring.notification_group_alerts AS m
    WHERE m.alert_id = p_alert_id AND NOT m.group_id = ANY (v_groups);
    RETURN cardinality(v_groups);
END;
$$;
COMMENT ON FUNCTION monitoring_internal.group_alert(bigint) IS
    'Internal: syncs an open alert''s notification groups with where its labels route it; returns how many groups it is in.';
