CREATE OR REPLACE FUNCTION monitoring_internal.expire_posted_alerts()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: posted alerts whose end passed without a new post resolve, at
-- their end, as Alertmanager resolves them. Called by
-- flush_notification_groups() before it decides, so the resolve is
-- notified in the same flush. Returns how many.
DECLARE
    v_count integer;
BEGIN
    WITH gone AS (
        UPDATE monitoring.alerts AS a
        SET status = 'resolved', resolved_at = greatest(a.ends_at, a.triggered_at), resolved_by = 'pgvigil',
            resolution_note = 'not posted again before its end'
        WHERE a.alert_type = 'posted' AND a.resolved_at IS NULL AND a.ends_at <= now()
        RETURNING a.alert_id, a.severity
    ), events AS (
        INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor)
        SELECT g.alert_id, 'resolved', g.severity, 'pgvigil' FROM gone AS g
        RETURNING 1
    )
    SELECT count(*) INTO v_count FROM events;
    RETURN v_count;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.expire_posted_alerts() IS
    'Internal: resolves posted alerts whose end passed without a new post; returns how many.';
