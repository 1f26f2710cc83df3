CREATE OR REPLACE FUNCTION monitoring.preview_config_patch(p_patch jsonb, p_replace text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- The config patch_config(p_patch) would make active, without applying or
-- validating it (pgvigil config diff prints the difference). The merge is
-- a JSON Merge Patch (RFC 7386): objects merge key by key, null removes a
-- key, anything else replaces; alert_rules merge by rule name, so a patch
-- may hold one key of one rule. A rule listed twice in the patch is PV507:
-- which one was meant cannot be told.
DECLARE
    v_current jsonb;
    v_twice text;
BEGIN
    IF p_patch IS NULL OR jsonb_typeof(p_patch) <> 'object' THEN
        RAISE EXCEPTION 'the config patch must be a JSON object'
            USING ERRCODE = 'PV301', HINT = 'A partial config holds the sections and keys it changes, e.g. {"retention": {"queue_monitoring_days": 14}}.';
    END IF;
    SELECT r ->> 'name' INTO v_twice
    FROM jsonb_array_elements(CASE jsonb_typeof(p_patch -> 'alert_rules') WHEN 'array' THEN p_patch -> 'alert_rules' END) AS r
    WHERE r ->> 'name' IS NOT NULL GROUP BY r ->> 'name' HAVING count(*) > 1 LIMIT 1;
    IF v_twice IS NOT NULL THEN
        RAISE EXCEPTION 'alert_rules: % is listed more than once', v_twice
            USING ERRCODE = 'PV507', HINT = monitoring_internal.rule_error_hint('PV507');
    END IF;
    SELECT c.document INTO v_current FROM monitoring.config AS c;
    -- Sections named in p_replace are replaced whole, not merged (an
    -- alertmanager.yml is a whole notifications section).
    RETURN monitoring_internal.config_patch(coalesce(v_current, '{}') - coalesce(p_replace, '{}'), p_patch);
END;
$$;
COMMENT ON FUNCTION monitoring.preview_config_patch(jsonb, text[]) IS
    'The document patch_config(p_patch, p_replace) would apply (the sections named in p_replace replaced whole, the rest merged) (not validated, nothing written). Errors: PV301 (not an object), PV507 (a rule listed twice).';
