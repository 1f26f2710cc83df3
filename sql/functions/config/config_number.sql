CREATE OR REPLACE FUNCTION monitoring_internal.config_number(p_path text[])
RETURNS double precision
LANGUAGE plpgsql STABLE
AS $$
-- Internal: a numeric config value (thresholds, windows, retention days).
DECLARE
    v_value jsonb := monitoring_internal.config_value(p_path);
BEGIN
    IF jsonb_typeof(v_value) <> 'number' THEN
        RAISE EXCEPTION 'config value % must be a number, got %', array_to_string(p_path, '.'), v_value
            USING ERRCODE = 'PV301',
                  HINT = 'Fix the config file and run pgvigil config apply FILE.';
    END IF;
    RETURN v_value::text::double precision;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.config_number(text[]) IS
    'Internal: a numeric value of the active config document; raises PV301 when it is missing or not a number.';
