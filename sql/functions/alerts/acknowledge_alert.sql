CREATE OR REPLACE FUNCTION monitoring.acknowledge_alert(
    p_alert_id bigint,
    p_acknowledged_by text DEFAULT NULL,
    p_note text DEFAULT NULL
)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Marks an open alert as acknowledged (someone is on it). It stays open and
-- is still updated and auto-resolved by the checks; its escalation and its
-- group's reminders (repeat) stop. Acknowledging twice is
-- a no-op that returns false. p_acknowledged_by defaults to the session user.
DECLARE
    v_status text;
    v_severity text;
    v_actor text := coalesce(nullif(btrim(p_acknowledged_by), ''), session_user::text);
BEGIN
    IF p_alert_id IS NULL THEN
        RAISE EXCEPTION 'alert_id must not be NULL'
            USING ERRCODE = 'PV001', HINT = 'Pass an alert_id from monitoring.v_active_alerts.';
    END IF;
    PERFORM monitoring_internal.assert_text('acknowledged_by', v_actor, 200);
    SELECT a.status, a.severity INTO v_status, v_severity
    FROM monitoring.alerts AS a WHERE a.alert_id = p_alert_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown alert: %', p_alert_id
            USING ERRCODE = 'PV201', HINT = 'Pass an alert_id from monitoring.v_active_alerts.';
    END IF;
    IF v_status = 'resolved' THEN
        RAISE EXCEPTION 'alert % is already resolved', p_alert_id
            USING ERRCODE = 'PV202', HINT = 'Only open alerts can be acknowledged; see monitoring.v_active_alerts.';
    END IF;
    IF v_status = 'acknowledged' THEN
        RETURN false;
    END IF;

    UPDATE monitoring.alerts AS a
    SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = v_actor,
        acknowledgement_note = left(p_note, 2000)
    WHERE a.alert_id = p_alert_id;
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor, note)
    VALUES (p_alert_id, 'acknowledged', v_severity, v_actor, left(p_note, 2000));
    -- Escalation stops (until the policy's ack_timeout, if it has one: then
    -- an alert still firing is active again and escalates anew).
    UPDATE monitoring.escalations AS e
    SET status = 'acknowledged', acknowledged_at = now(), updated_at = now(),
        next_at = now() + make_interval(secs => monitoring_internal.parse_duration(e.policy -> 'ack_timeout'))
    WHERE e.alert_id = p_alert_id AND e.status IN ('active', 'exhausted');
    -- A group with every firing alert acknowledged tells PagerDuty (acknowledge).
    PERFORM monitoring_internal.write_notifications(
                g.receiver, g.group_id, NULL, g.group_key, 'acknowledged',
                format('pgvigil-%s-ack-%s', g.group_id, p_alert_id),
                monitoring_internal.notification_payload(g, f.firing), NULL, ARRAY['pagerduty_configs'])
    FROM monitoring.notification_groups AS g
    JOIN LATERAL (
        SELECT array_agg(a.alert_id ORDER BY a.alert_id) AS firing,
               bool_and(a.status = 'acknowledged') AS all_acknowledged
        FROM monitoring.notification_group_alerts AS m JOIN monitoring.alerts AS a USING (alert_id)
        WHERE m.group_id = g.group_id AND a.resolved_at IS NULL
    ) AS f ON f.all_acknowledged
    WHERE g.last_notified_at IS NOT NULL
      AND g.group_id IN (SELECT m.group_id FROM monitoring.notification_group_alerts AS m WHERE m.alert_id = p_alert_id);
    PERFORM monitoring_internal.write_audit_log('acknowledge_alert', p_alert_id::text, jsonb_build_object(
        'alert_id', p_alert_id, 'acknowledged_by', v_actor, 'note', left(p_note, 2000)));
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.acknowledge_alert(bigint, text, text) IS
    'Acknowledges an open alert (by default as the session user); returns false if it was already acknowledged. Audited in monitoring.audit_log. Errors: PV001, PV008, PV201, PV202.';
