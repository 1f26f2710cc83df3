CREATE OR REPLACE FUNCTION monitoring_internal.end_rule_alerts(p_rule_names text[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: a rule was removed or disabled: its open alerts resolve (by
-- 'config', with a note saying why) and the evaluator forgets its groups,
-- so a rule enabled again starts its for clock afresh. Returns the number
-- of alerts resolved.
DECLARE
    v_resolved integer;
BEGIN
    WITH ended AS (
        UPDATE monitoring.alerts AS a
        SET status = 'resolved', resolved_at = now(), resolved_by = 'config',
            resolution_note = 'its rule was removed or disabled'
        WHERE a.rule_name = ANY (p_rule_names) AND a.resolved_at IS NULL
        RETURNING a.alert_id, a.severity, a.current_value
    )
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, current_value, actor, note)
    SELECT e.alert_id, 'resolved', e.severity, e.current_value, 'config', 'its rule was removed or disabled'
    FROM ended AS e;
    GET DIAGNOSTICS v_resolved = ROW_COUNT;
    DELETE FROM monitoring_internal.rule_groups AS g WHERE g.rule_name = ANY (p_rule_names);
    RETURN v_resolved;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.end_rule_alerts(text[]) IS
    'Internal: resolves the open alerts of removed or disabled rules and forgets their groups.';
