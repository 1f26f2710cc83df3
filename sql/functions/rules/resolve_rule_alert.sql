CREATE OR REPLACE FUNCTION monitoring_internal.resolve_rule_alert(
    p_alert_id bigint,
    p_value double precision,
    p_source text
)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: a firing group cleared: its alert (acknowledged or not)
-- resolves, with the value that cleared it in alert_events. False when it
-- was resolved already (by hand).
BEGIN
    UPDATE monitoring.alerts AS a
    SET status = 'resolved', resolved_at = now(), resolved_by = p_source,
        resolution_note = 'the condition cleared'
    WHERE a.alert_id = p_alert_id AND a.resolved_at IS NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, current_value, actor)
    SELECT a.alert_id, 'resolved', a.severity, p_value, p_source FROM monitoring.alerts AS a
    WHERE a.alert_id = p_alert_id;
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.resolve_rule_alert(bigint, double precision, text) IS
    'Internal: resolves the alert of a group that cleared, recording the value; false if it was resolved already.';
