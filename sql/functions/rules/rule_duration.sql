CREATE OR REPLACE FUNCTION monitoring_internal.rule_duration(p_value jsonb, p_document jsonb)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a rule duration in seconds: "5m", 300, or a setting named
    -- "alert_settings.NAME_minutes" / "alert_settings.NAME_seconds" (its
    -- unit is in its name). NULL when malformed or not a number.
    SELECT CASE
        WHEN jsonb_typeof(p_value) = 'string' AND (p_value #>> '{}') ~ '^alert_settings\.[a-z_]+_(minutes|seconds)$' THEN
            CASE WHEN jsonb_typeof(monitoring_internal.rule_setting(p_value, p_document)) = 'number'
                 THEN (monitoring_internal.rule_setting(p_value, p_document) #>> '{}')::double precision
                      * CASE WHEN (p_value #>> '{}') LIKE '%\_minutes' THEN 60 ELSE 1 END END
        ELSE monitoring_internal.parse_duration(p_value)
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.rule_duration(jsonb, jsonb) IS
    'Internal: a rule window or for in seconds ("5m", a number of seconds, or "alert_settings.NAME_minutes"); NULL when malformed.';
