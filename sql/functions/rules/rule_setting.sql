CREATE OR REPLACE FUNCTION monitoring_internal.rule_setting(p_value jsonb, p_document jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a rule field that may name a setting instead of giving a
    -- value: "alert_settings.NAME" is that setting of the config (so the
    -- built-in rules follow alert_settings as the checks did); anything
    -- else is the value as written. NULL when the setting does not exist.
    SELECT CASE WHEN jsonb_typeof(p_value) = 'string' AND (p_value #>> '{}') ~ '^alert_settings\.[a-z_]+$'
                THEN p_document #> string_to_array(p_value #>> '{}', '.')
                ELSE p_value END;
$$;
COMMENT ON FUNCTION monitoring_internal.rule_setting(jsonb, jsonb) IS
    'Internal: a rule field''s value, or the alert_settings value it names ("alert_settings.NAME").';
