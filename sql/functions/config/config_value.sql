CREATE OR REPLACE FUNCTION monitoring_internal.config_value(p_path text[])
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
-- Internal: one value of the active config document, by path. A missing
-- value is a broken install (config not loaded), never a silent default.
DECLARE
    v_value jsonb;
BEGIN
    SELECT c.document #> p_path INTO v_value FROM monitoring.config AS c;
    IF v_value IS NULL OR jsonb_typeof(v_value) = 'null' THEN
        RAISE EXCEPTION 'config value % is missing', array_to_string(p_path, '.')
            USING ERRCODE = 'PV301',
                  HINT = 'Load a complete config with pgvigil config apply FILE (or pgvigil migrate on a fresh install).';
    END IF;
    RETURN v_value;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.config_value(text[]) IS
    'Internal: the value at a path of the active config document; raises PV301 when it is missing.';
