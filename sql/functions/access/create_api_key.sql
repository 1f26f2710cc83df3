CREATE OR REPLACE FUNCTION monitoring.create_api_key(
    p_name text,
    p_role text,
    p_key_hash bytea,
    p_key_prefix text,
    p_expires_at timestamptz DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Registers an API key of pgvigil serve and returns its id. The key itself
-- never comes here: its maker (pgvigil keys create) passes its SHA-256 and
-- its first characters (to recognise it in lists). A role is viewer,
-- operator or admin. Validated whole (PV701); audited as create_api_key.
DECLARE
    v_id bigint;
BEGIN
    IF p_name IS NULL OR btrim(p_name) = '' OR length(p_name) > 200 THEN
        RAISE EXCEPTION 'invalid API key: a name of 1 to 200 characters is required'
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF p_role IS NULL OR p_role NOT IN ('viewer', 'operator', 'admin') THEN
        RAISE EXCEPTION 'invalid API key: unknown role %', coalesce(p_role, 'NULL')
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF p_key_hash IS NULL OR octet_length(p_key_hash) <> 32 THEN
        RAISE EXCEPTION 'invalid API key: the key''s SHA-256 (32 bytes) is required'
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF p_key_prefix IS NULL OR length(p_key_prefix) NOT BETWEEN 4 AND 16 THEN
        RAISE EXCEPTION 'invalid API key: a prefix of 4 to 16 characters is required'
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF p_expires_at IS NOT NULL AND p_expires_at <= now() THEN
        RAISE EXCEPTION 'invalid API key: it would expire at %, which is not in the future', p_expires_at
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF EXISTS (SELECT FROM monitoring_internal.api_keys AS k WHERE k.key_hash = p_key_hash) THEN
        RAISE EXCEPTION 'invalid API key: this key is registered already'
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    INSERT INTO monitoring_internal.api_keys (name, role, key_hash, key_prefix, created_by, expires_at)
    VALUES (btrim(p_name), p_role, p_key_hash, p_key_prefix,
            coalesce(nullif(current_setting('pgvigil.on_behalf_of', true), ''), session_user::text), p_expires_at)
    RETURNING key_id INTO v_id;
    PERFORM monitoring_internal.write_audit_log('create_api_key', v_id::text, jsonb_build_object(
        'key_id', v_id, 'name', btrim(p_name), 'role', p_role, 'key_prefix', p_key_prefix,
        'expires_at', p_expires_at));
    PERFORM pg_notify('pgvigil_live', 'keys');  -- servers forget the keys they checked
    RETURN v_id;
END;
$$;
COMMENT ON FUNCTION monitoring.create_api_key(text, text, bytea, text, timestamptz) IS
    'Registers an API key (its SHA-256 and prefix, never the key) with a name, a role (viewer, operator, admin) and an optional expiry; returns its id. Audited. Errors: PV701.';
