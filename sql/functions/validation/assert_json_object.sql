CREATE OR REPLACE FUNCTION monitoring_internal.assert_json_object(p_argument text, p_value jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
-- Internal: optional jsonb arguments (metadata, context, tags, details) are
-- objects of bounded size, so one caller cannot bloat every row.
BEGIN
    IF p_value IS NULL THEN
        RETURN;
    END IF;
    IF jsonb_typeof(p_value) <> 'object' THEN
        RAISE EXCEPTION '% must be a JSON object, got a %', p_argument, jsonb_typeof(p_value)
            USING ERRCODE = 'PV007',
                  HINT = format('Pass a JSON object such as {"key": "value"} (or NULL) for %s.', p_argument);
    END IF;
    IF pg_column_size(p_value) > 65536 THEN
        RAISE EXCEPTION '% is % bytes; the limit is 65536', p_argument, pg_column_size(p_value)
            USING ERRCODE = 'PV008',
                  HINT = format('Keep %s small: it is stored on every row.', p_argument);
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.assert_json_object(text, jsonb) IS
    'Internal: raises PV007 unless the value is a JSON object, PV008 when it is over 64 KiB; NULL passes.';
