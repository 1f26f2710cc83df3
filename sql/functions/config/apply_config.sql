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
    v_old jsonb;
BEGIN
    SELECT array_agg(problem) INTO v_problems FROM monitoring.validate_config(p_document) AS problem;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'invalid config: % problem(s)', cardinality(v_problems)
            USING ERRCODE = 'PV301',
                  DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = 'Compare with config/monitoring_config.json and its JSON Schema, fix every listed key, and apply again.';
    END IF;
    SELECT c.document INTO v_old FROM monitoring.config AS c FOR UPDATE;
    INSERT INTO monitoring.config AS c (config_id, document, applied_at, applied_by)
    VALUES (true, p_document, now(), session_user)
    ON CONFLICT ON CONSTRAINT config_pkey DO UPDATE
    SET document = excluded.document, applied_at = excluded.applied_at, applied_by = excluded.applied_by;
    PERFORM monitoring_internal.write_audit_log('apply_config', 'config', jsonb_build_object(
        'old_sha256', encode(sha256(convert_to(v_old::text, 'UTF8')), 'hex'),
        'new_sha256', encode(sha256(convert_to(p_document::text, 'UTF8')), 'hex'),
        'changed_keys', to_jsonb(monitoring_internal.config_changed_keys(coalesce(v_old, '{}'), p_document))));
    RETURN p_document;
END;
$$;
COMMENT ON FUNCTION monitoring.apply_config(jsonb) IS
    'Validates and activates a config document (thresholds, retention, schedules). Audited in monitoring.audit_log. Errors: PV301 with every problem in the DETAIL.';
