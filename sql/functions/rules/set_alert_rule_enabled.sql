CREATE OR REPLACE FUNCTION monitoring.set_alert_rule_enabled(p_rule_name text, p_enabled boolean)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Enables or disables a rule in the active config. A disabled rule's open
-- alerts resolve and its groups are forgotten. Audited. Returns whether
-- anything changed.
DECLARE
    v_document jsonb;
    v_position integer;
BEGIN
    PERFORM monitoring_internal.assert_text('rule_name', p_rule_name, 100);
    IF p_enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must be true or false' USING ERRCODE = 'PV001', HINT = 'Pass true to enable the rule, false to disable it.';
    END IF;
    SELECT c.document INTO v_document FROM monitoring.config AS c FOR UPDATE;
    SELECT n - 1 INTO v_position FROM jsonb_array_elements(coalesce(v_document -> 'alert_rules', '[]')) WITH ORDINALITY AS x (r, n)
    WHERE r ->> 'name' = p_rule_name;
    IF v_position IS NULL THEN
        RAISE EXCEPTION 'unknown alert rule: %', p_rule_name
            USING ERRCODE = 'PV510', HINT = monitoring_internal.rule_error_hint('PV510');
    END IF;
    IF coalesce((v_document #>> ARRAY['alert_rules', v_position::text, 'enabled'])::boolean, true) = p_enabled THEN
        RETURN false;
    END IF;
    PERFORM monitoring.apply_config(jsonb_set(v_document, ARRAY['alert_rules', v_position::text, 'enabled'], to_jsonb(p_enabled)));
    PERFORM monitoring_internal.write_audit_log('change_alert_rule', p_rule_name, jsonb_build_object(
        'operation', CASE WHEN p_enabled THEN 'enable' ELSE 'disable' END));
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.set_alert_rule_enabled(text, boolean) IS
    'Enables or disables an alert rule in the active config; a disabled rule''s alerts resolve. Audited. Errors: PV001, PV008, PV510 (unknown rule).';
