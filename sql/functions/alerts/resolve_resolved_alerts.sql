CREATE OR REPLACE FUNCTION monitoring.resolve_resolved_alerts()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Resolves open alerts whose condition cleared: alerts of a checked type
-- that the latest evaluation of that type did not see again
-- (last_seen_at < check_runs.last_run_at). Acknowledged alerts resolve too.
-- Returns the number resolved.
DECLARE
    v_source text := coalesce(nullif(current_setting('pgvigil.check_source', true), ''), 'manual');
    v_resolved integer;
BEGIN
    PERFORM monitoring_internal.lock_checks();
    WITH resolved AS (
        UPDATE monitoring.alerts AS a
        SET status = 'resolved',
            resolved_at = now(),
            resolved_by = v_source,
            resolution_note = 'condition cleared at the check run of ' || c.last_run_at::text
        FROM monitoring_internal.check_runs AS c
        WHERE c.check_name = a.alert_type
          AND a.resolved_at IS NULL
          AND a.last_seen_at < c.last_run_at
        RETURNING a.alert_id, a.severity, a.current_value
    )
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, current_value, actor, note)
    SELECT r.alert_id, 'resolved', r.severity, r.current_value, v_source, 'condition cleared'
    FROM resolved AS r;
    GET DIAGNOSTICS v_resolved = ROW_COUNT;
    RETURN v_resolved;
END;
$$;
COMMENT ON FUNCTION monitoring.resolve_resolved_alerts() IS
    'Resolves open alerts that the latest run of their check no longer found (condition cleared). Returns the number resolved.';
