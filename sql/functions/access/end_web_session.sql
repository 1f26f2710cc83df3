CREATE OR REPLACE FUNCTION monitoring.end_web_session(p_token_hash bytea)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Ends the web session with this token SHA-256 (a logout): refused from the
-- next request on. Returns false when there was no live session with it, so
-- a second logout is harmless. Audited as end_web_session.
DECLARE
    v_session monitoring_internal.web_sessions;
BEGIN
    UPDATE monitoring_internal.web_sessions AS s SET revoked_at = now()
    WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
    RETURNING s.* INTO v_session;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM monitoring_internal.write_audit_log('end_web_session', v_session.session_id::text, jsonb_build_object(
        'session_id', v_session.session_id, 'key_id', v_session.key_id, 'user_id', v_session.user_id));
    PERFORM pg_notify('pgvigil_live', 'keys');  -- servers forget the principals they checked
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.end_web_session(bytea) IS
    'Ends the live web session with this token SHA-256 (logout); false when there was none. Audited.';
