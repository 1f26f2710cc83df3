CREATE OR REPLACE FUNCTION monitoring.delete_alert_rule(p_rule_name text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Removes a rule from the active config; its open alerts resolve. A rule
-- the shipped config defines cannot be removed (apply_config refuses a
-- config without it, PV511): disable it instead. Audited.
DECLARE
    v_document jsonb;
BEGIN
    PERFORM monitoring_internal.assert_text('rule_name', p_rule_name, 100);
    SELECT c.document INTO v_document FROM monitoring.config AS c FOR UPDATE;
    IF NOT EXISTS (SELECT FROM jsonb_array_elements(coalesce(v_document -> 'alert_rules', '[]')) AS r
                   WHERE r ->> 'name' = p_rule_name) THEN
        RAISE EXCEPTION 'unknown alert rule: %', p_rule_name
            USING ERRCODE = 'PV510', HINT = monitoring_internal.rule_error_hint('PV510');
    END IF;
    PERFORM monitoring.apply_config(jsonb_set(v_document, '{alert_rules}', coalesce(
        (SELECT jsonb_agg(r ORDER BY n) FROM jsonb_array_elements(v_document -> 'alert_rules') WITH ORDINALITY AS x (r, n)
         WHERE r ->> 'name' <> p_rule_name), '[]')));
    PERFORM monitoring_internal.write_audit_log('change_alert_rule', p_rule_name, jsonb_build_object('operation', 'delete'));
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.delete_alert_rule(text) IS
    'Removes an alert rule from the active config; its alerts resolve. Audited. Errors: PV001, PV008, PV510 (unknown rule), PV511 (a shipped rule: disable it instead).';
