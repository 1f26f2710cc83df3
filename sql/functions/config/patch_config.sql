CREATE OR REPLACE FUNCTION monitoring.patch_config(p_patch jsonb, p_replace text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Applies a partial config over the active one (see preview_config_patch
-- for how it merges) and validates the result as a whole: the file that
-- changes one threshold, or adds one rule, holds just that. Nothing changes
-- unless the merged document is valid. Audited like apply_config().
DECLARE
    v_merged jsonb;
BEGIN
    PERFORM 1 FROM monitoring.config AS c FOR UPDATE;  -- merge over the config we replace
    v_merged := monitoring.preview_config_patch(p_patch, p_replace);
    RETURN monitoring.apply_config(v_merged);
END;
$$;
COMMENT ON FUNCTION monitoring.patch_config(jsonb, text[]) IS
    'Merges a partial config over the active one (RFC 7386 merge patch; alert_rules merged by name; the sections named in p_replace replaced whole) and applies the result. Errors: PV301, PV501-PV509, as apply_config; PV507 for a rule listed twice in the patch.';
