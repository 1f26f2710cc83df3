CREATE OR REPLACE FUNCTION monitoring.resolve_resolved_alerts()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Resolves open alerts whose condition cleared (acknowledged ones too) and
-- returns how many:
--  * a rule's alert whose group no longer fires: a check_*() function left
--    it open for this function, as the original design splits raising and
--    resolving (evaluate_alert_rules() resolves its own at once);
--  * an alert an old built-in check raised before the checks became rules,
--    that no rule took over, once its check ran again without seeing it
--    (last_seen_at < check_runs.last_run_at).
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
            resolution_note = 'condition cleared'
                || CASE WHEN a.rule_name IS NULL THEN ' at the check run of ' || c.last_run_at::text ELSE '' END
        FROM (SELECT a2.alert_id, c2.last_run_at
              FROM monitoring.alerts AS a2
              LEFT JOIN monitoring_internal.check_runs AS c2 ON c2.check_name = a2.alert_type
              WHERE a2.resolved_at IS NULL
                AND CASE WHEN a2.rule_name IS NULL THEN a2.last_seen_at < c2.last_run_at
                         ELSE NOT EXISTS (SELECT FROM monitoring_internal.rule_groups AS g
                                          WHERE g.alert_id = a2.alert_id AND g.state = 'firing') END
              FOR UPDATE OF a2) AS c
        WHERE a.alert_id = c.alert_id
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
    'Resolves open alerts whose condition cleared: rule alerts whose group no longer fires (left open by the check_*() functions) and alerts of the pre-rule checks their check no longer found. Returns the number resolved.';
