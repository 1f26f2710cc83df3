CREATE OR REPLACE FUNCTION monitoring_internal.upsert_alert(
    p_alert_type text,
    p_subject text,
    p_severity text,
    p_title text,
    p_message text,
    p_current_value double precision,
    p_threshold_value double precision,
    p_details jsonb
)
RETURNS text
LANGUAGE plpgsql
AS $$
-- Internal: raises the alert for (type, subject), or updates the open one:
-- last seen, value, occurrence count, and severity raised or lowered with
-- the change kept in alert_events. Returns triggered, severity_changed or
-- updated. The caller holds the checks' advisory lock; the unique index on
-- open alert keys is the backstop against duplicates.
DECLARE
    v_alert_key text := p_alert_type || ':' || p_subject;
    v_source text := coalesce(nullif(current_setting('pgvigil.check_source', true), ''), 'manual');
    v_alert_id bigint;
    v_previous_severity text;
BEGIN
    SELECT a.alert_id, a.severity INTO v_alert_id, v_previous_severity
    FROM monitoring.alerts AS a
    WHERE a.alert_key = v_alert_key AND a.resolved_at IS NULL
    FOR UPDATE;

    IF NOT FOUND THEN
        INSERT INTO monitoring.alerts
            (alert_key, alert_type, subject, severity, title, message, current_value,
             threshold_value, details, triggered_by)
        VALUES
            (v_alert_key, p_alert_type, p_subject, p_severity, p_title, p_message, p_current_value,
             p_threshold_value, p_details, v_source)
        RETURNING alert_id INTO v_alert_id;
        INSERT INTO monitoring.alert_events (alert_id, event_type, severity, current_value, actor)
        VALUES (v_alert_id, 'triggered', p_severity, p_current_value, v_source);
        RETURN 'triggered';
    END IF;

    UPDATE monitoring.alerts AS a
    SET severity = p_severity,
        severity_changed_at = CASE WHEN a.severity <> p_severity THEN now() ELSE a.severity_changed_at END,
        title = p_title,
        message = p_message,
        current_value = p_current_value,
        threshold_value = p_threshold_value,
        details = p_details,
        last_seen_at = now(),
        occurrence_count = a.occurrence_count + 1
    WHERE a.alert_id = v_alert_id;

    IF v_previous_severity = p_severity THEN
        RETURN 'updated';
    END IF;
    INSERT INTO monitoring.alert_events
        (alert_id, event_type, previous_severity, severity, current_value, actor)
    VALUES (v_alert_id, 'severity_changed', v_previous_severity, p_severity, p_current_value, v_source);
    RETURN 'severity_changed';
END;
$$;
COMMENT ON FUNCTION monitoring_internal.upsert_alert(text, text, text, text, text, double precision, double precision, jsonb) IS
    'Internal: raise or update the open alert with key alert_type:subject; returns triggered, severity_changed or updated.';
