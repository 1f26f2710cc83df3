CREATE OR REPLACE FUNCTION monitoring.apply_config(p_document jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Makes p_document the active config after validating it; all problems are
-- reported at once in the DETAIL of one PV301 error, and nothing changes.
-- The checks read the new thresholds from their next run.
DECLARE
    v_problems text[];
BEGIN
    SELECT array_agg(problem) INTO v_problems FROM monitoring.validate_config(p_document) AS problem;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'invalid config: % problem(s)', cardinality(v_problems)
            USING ERRCODE = 'PV301',
                  DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = 'Compare with config/monitoring_config.json and its JSON Schema, fix every listed key, and apply again.';
    END IF;
    INSERT INTO monitoring.config AS c (config_id, document, applied_at, applied_by)
    VALUES (true, p_document, now(), session_user)
    ON CONFLICT ON CONSTRAINT config_pkey DO UPDATE
    SET document = excluded.document, applied_at = excluded.applied_at, applied_by = excluded.applied_by;
    RETURN p_document;
END;
$$;
COMMENT ON FUNCTION monitoring.apply_config(jsonb) IS
    'Validates and activates a config document (thresholds, retention, schedules). Errors: PV301 with every problem in the DETAIL.';
