CREATE OR REPLACE FUNCTION monitoring.apply_config(p_document jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Makes p_document the active config after validating it; all problems are
-- reported at once in the DETAIL of one PV301 error, and nothing changes.
-- The checks read the new thresholds from their next run. Writes an
-- audit_log row: the old and new documents' SHA-256 and the changed keys.
DECLARE
    v_problems text[];
    v_code text;
    v_old jsonb;
BEGIN
    -- The settings first: the built-in rules name some of them, so a bad
    -- setting would show again as problems of the rules that use it.
    SELECT array_agg(problem) INTO v_problems FROM monitoring_internal.settings_problems(p_document) AS problem;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'invalid config: % problem(s)', cardinality(v_problems)
            USING ERRCODE = 'PV301',
                  DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = 'Compare with config/monitoring_config.json and its JSON Schema, fix every listed key, and apply again.';
    END IF;
    -- Then the rules' problems, with their own codes (PV501-PV509): the
    -- first one's code and hint, every problem in the DETAIL.
    SELECT array_agg(r.problem ORDER BY r.n), (array_agg(r.code ORDER BY r.n))[1] INTO v_problems, v_code
    FROM (SELECT x.problem, x.code, row_number() OVER () AS n
          FROM monitoring_internal.alert_rule_problems(p_document) AS x) AS r;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'invalid alert rules: % problem(s)', cardinality(v_problems)
            USING ERRCODE = v_code,
                  DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = monitoring_internal.rule_error_hint(v_code);
    END IF;
    -- The notifications section (an Alertmanager config), with its codes.
    SELECT array_agg(r.problem ORDER BY r.n), (array_agg(r.code ORDER BY r.n))[1] INTO v_problems, v_code
    FROM (SELECT x.problem, x.code, row_number() OVER () AS n
          FROM monitoring_internal.notification_problems(p_document) AS x) AS r;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'invalid notifications: % problem(s)', cardinality(v_problems)
            USING ERRCODE = v_code,
                  DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = monitoring_internal.notification_error_hint(v_code);
    END IF;
    -- Every upgrade would bring a shipped rule back: it can be disabled only.
    SELECT array_agg(s.rule_name ORDER BY s.rule_name) INTO v_problems
    FROM monitoring_internal.shipped_alert_rules AS s
    WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(CASE jsonb_typeof(p_document -> 'alert_rules')
                                                           WHEN 'array' THEN p_document -> 'alert_rules' END) AS r
                      WHERE r ->> 'name' = s.rule_name);
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'alert rules shipped with pgvigil cannot be removed: %', array_to_string(v_problems, ', ')
            USING ERRCODE = 'PV511', HINT = monitoring_internal.rule_error_hint('PV511');
    END IF;
    SELECT c.document INTO v_old FROM monitoring.config AS c FOR UPDATE;
    INSERT INTO monitoring.config AS c (config_id, document, applied_at, applied_by)
    VALUES (true, p_document, now(), session_user)
    ON CONFLICT ON CONSTRAINT config_pkey DO UPDATE
    SET document = excluded.document, applied_at = excluded.applied_at, applied_by = excluded.applied_by;
    PERFORM monitoring_internal.copy_notification_config(p_document);
    PERFORM monitoring_internal.write_audit_log('apply_config', 'config', jsonb_build_object(
        'old_sha256', encode(sha256(convert_to(v_old::text, 'UTF8')), 'hex'),
        'new_sha256', encode(sha256(convert_to(p_document::text, 'UTF8')), 'hex'),
        'changed_keys', to_jsonb(monitoring_internal.config_changed_keys(coalesce(v_old, '{}'), p_document))));
    PERFORM monitoring_internal.compile_alert_rules(p_document);
    RETURN p_document;
END;
$$;
COMMENT ON FUNCTION monitoring.apply_config(jsonb) IS
    'Validates and activates a config document (thresholds, alert rules, retention, schedules) and compiles its alert_rules into monitoring.alert_rules. Audited in monitoring.audit_log. Errors: PV301 for the settings, else PV501-PV511 for alert rules, else PV601-PV608 for notifications (the first problem''s code); every problem in the DETAIL.';
