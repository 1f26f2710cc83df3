CREATE OR REPLACE FUNCTION monitoring.revoke_api_key(p_key_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Revokes an API key: from the next request on, pgvigil serve refuses it
-- (401). Returns false when it was revoked already. The row stays, so the
-- audit log's references keep a name. Audited as revoke_api_key.
-- Errors: PV702 an unknown id.
DECLARE
    v_key monitoring_internal.api_keys;
BEGIN
    SELECT * INTO v_key FROM monitoring_internal.api_keys AS k WHERE k.key_id = p_key_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown API key: %', coalesce(p_key_id::text, 'NULL')
            USING ERRCODE = 'PV702', HINT = monitoring_internal.api_key_error_hint('PV702');
    END IF;
    IF v_key.revoked_at IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE monitoring_internal.api_keys AS k
    SET revoked_at = now(),
        revoked_by = coalesce(nullif(current_setting('pgvigil.on_behalf_of', true), ''), session_user::text)
    WHERE k.key_id = p_key_id;
    PERFORM monitoring_internal.write_audit_log('revoke_api_key', p_key_id::text, jsonb_build_object(
        'key_id', p_key_id, 'name', v_key.name, 'role', v_key.role));
    PERFORM pg_notify('pgvigil_live', 'keys');  -- servers forget the keys they checked
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.revoke_api_key(bigint) IS
    'Revokes an API key (refused from the next request); false when it was revoked already. Audited. Errors: PV702.';
