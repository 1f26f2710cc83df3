CREATE OR REPLACE FUNCTION monitoring.resolve_alert(
    p_alert_id bigint,
    p_resolved_by text DEFAULT NULL,
    p_note text DEFAULT NULL
)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Resolves an open alert by hand. If its condition still holds, the next
-- check run raises a new alert for the same key: resolving is not silencing.
DECLARE
    v_status text;
    v_severity text;
    v_actor text := coalesce(nullif(btrim(p_resolved_by), ''), session_user::text);
BEGIN
    IF p_alert_id IS NULL THEN
        RAISE EXCEPTION 'alert_id must not be NULL'
            USING ERRCODE = 'PV001', HINT = 'Pass an alert_id from monitoring.v_active_alerts.';
    END IF;
    PERFORM monitoring_internal.assert_text('resolved_by', v_actor, 200);
    SELECT a.status, a.severity INTO v_status, v_severity
    FROM monitoring.alerts AS a WHERE a.alert_id = p_alert_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown alert: %', p_alert_id
            USING ERRCODE = 'PV201', HINT = 'Pass an alert_id from monitoring.v_active_alerts.';
    END IF;
    IF v_status = 'resolved' THEN
        RAISE EXCEPTION 'alert % is already resolved', p_alert_id
            USING ERRCODE = 'PV202', HINT = 'Nothing to do: it is closed. See monitoring.alert_events for its history.';
    END IF;

    UPDATE monitoring.alerts AS a
    SET status = 'resolved', resolved_at = now(), resolved_by = v_actor,
        resolution_note = left(p_note, 2000)
    WHERE a.alert_id = p_alert_id;
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor, note)
    VALUES (p_alert_id, 'resolved', v_severity, v_actor, left(p_note, 2000));
    PERFORM monitoring_internal.write_audit_log('resolve_alert', p_alert_id::text, jsonb_build_object(
        'alert_id', p_alert_id, 'resolved_by', v_actor, 'note', left(p_note, 2000)));
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.resolve_alert(bigint, text, text) IS
    'Resolves an open alert by hand (by default as the session user). If the condition persists the next check raises a new alert. Audited in monitoring.audit_log. Errors: PV001, PV008, PV201, PV202.';
