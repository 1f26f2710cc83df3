CREATE OR REPLACE FUNCTION monitoring.put_alert_rule(p_rule jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Creates a rule, or replaces the one of the same name whole, in the active
-- config (the config stays the one source of the rules, so config show
-- prints it and a later config apply keeps it). Validated with the rest of
-- the config; audited. Returns the rule as stored.
DECLARE
    v_document jsonb;
    v_rules jsonb;
    v_existed boolean;
BEGIN
    IF p_rule IS NULL OR jsonb_typeof(p_rule) <> 'object' OR jsonb_typeof(p_rule -> 'name') <> 'string' THEN
        RAISE EXCEPTION 'a rule must be a JSON object with a "name"'
            USING ERRCODE = 'PV509', HINT = monitoring_internal.rule_error_hint('PV509');
    END IF;
    SELECT c.document INTO v_document FROM monitoring.config AS c FOR UPDATE;
    v_rules := coalesce(v_document -> 'alert_rules', '[]');
    v_existed := EXISTS (SELECT FROM jsonb_array_elements(v_rules) AS r WHERE r ->> 'name' = p_rule ->> 'name');
    v_rules := CASE WHEN v_existed
                    THEN (SELECT jsonb_agg(CASE WHEN r ->> 'name' = p_rule ->> 'name' THEN p_rule ELSE r END ORDER BY n)
                          FROM jsonb_array_elements(v_rules) WITH ORDINALITY AS x (r, n))
                    ELSE v_rules || jsonb_build_array(p_rule) END;
    PERFORM monitoring.apply_config(jsonb_set(coalesce(v_document, '{}'), '{alert_rules}', v_rules));
    PERFORM monitoring_internal.write_audit_log('change_alert_rule', p_rule ->> 'name', jsonb_build_object(
        'operation', CASE WHEN v_existed THEN 'replace' ELSE 'create' END, 'rule', p_rule));
    RETURN p_rule;
END;
$$;
COMMENT ON FUNCTION monitoring.put_alert_rule(jsonb) IS
    'Creates or replaces (by name, whole) an alert rule in the active config. Audited. Errors: PV501-PV509 (the rule), PV301 (the config).';
