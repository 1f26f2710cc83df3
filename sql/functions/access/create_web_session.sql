CREATE OR REPLACE FUNCTION monitoring.create_web_session(
    p_token_hash bytea,
    p_key_id bigint,
    p_user_id bigint,
    p_lifetime interval DEFAULT interval '12 hours'
)
RETURNS TABLE (session_id bigint, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Opens a login session of pgvigil serve's web dashboard for exactly one
-- live API key or web user, once the server has checked the key or the
-- password, and returns its id and expiry. The session's token stays in
-- the cookie: only its SHA-256 comes here. A key's session ends when the
-- key expires, if that is sooner than p_lifetime (more than 0, at most 30
-- days). Sessions that expired over a day ago are deleted here, so the
-- table holds about one lifetime's logins. Audited as create_web_session.
-- Errors: PV705.
DECLARE
    v_key monitoring_internal.api_keys;
    v_user monitoring_internal.web_users;
    v_expires_at timestamptz;
    v_id bigint;
BEGIN
    IF p_token_hash IS NULL OR octet_length(p_token_hash) <> 32 THEN
        RAISE EXCEPTION 'invalid web session: the token''s SHA-256 (32 bytes) is required'
            USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
    END IF;
    IF num_nonnulls(p_key_id, p_user_id) <> 1 THEN
        RAISE EXCEPTION 'invalid web session: it belongs to exactly one API key or web user'
            USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
    END IF;
    IF p_lifetime IS NULL OR p_lifetime <= interval '0' OR p_lifetime > interval '30 days' THEN
        RAISE EXCEPTION 'invalid web session: a lifetime of more than 0 and at most 30 days is required, not %',
                        coalesce(p_lifetime::text, 'NULL')
            USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
    END IF;
    v_expires_at := now() + p_lifetime;
    IF p_key_id IS NOT NULL THEN
        SELECT * INTO v_key FROM monitoring_internal.api_keys AS k
        WHERE k.key_id = p_key_id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now());
        IF NOT FOUND THEN
            RAISE EXCEPTION 'invalid web session: no live API key has the id %', p_key_id
                USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
        END IF;
        v_expires_at := least(v_expires_at, v_key.expires_at);
    ELSE
        SELECT * INTO v_user FROM monitoring_internal.web_users AS u
        WHERE u.user_id = p_user_id AND u.disabled_at IS NULL
        FOR NO KEY UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'invalid web session: no live web user has the id %', p_user_id
                USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
        END IF;
    END IF;
    IF EXISTS (SELECT FROM monitoring_internal.web_sessions AS s WHERE s.token_hash = p_token_hash) THEN
        RAISE EXCEPTION 'invalid web session: this token is registered already'
            USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
    END IF;
    DELETE FROM monitoring_internal.web_sessions AS s WHERE s.expires_at < now() - interval '1 day';
    INSERT INTO monitoring_internal.web_sessions (token_hash, key_id, user_id, expires_at)
    VALUES (p_token_hash, p_key_id, p_user_id, v_expires_at)
    RETURNING monitoring_internal.web_sessions.session_id INTO v_id;
    IF p_user_id IS NOT NULL THEN
        UPDATE monitoring_internal.web_users AS u SET last_login_at = now() WHERE u.user_id = p_user_id;
    END IF;
    PERFORM monitoring_internal.write_audit_log('create_web_session', v_id::text, jsonb_build_object(
        'session_id', v_id,
        'kind', CASE WHEN p_key_id IS NOT NULL THEN 'key' ELSE 'user' END,
        'key_id', p_key_id, 'user_id', p_user_id,
        'name', coalesce(v_key.name, v_user.name), 'expires_at', v_expires_at));
    session_id := v_id;
    expires_at := v_expires_at;
    RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION monitoring.create_web_session(bytea, bigint, bigint, interval) IS
    'Opens a web dashboard session (by the SHA-256 of its token) for exactly one live API key or web user, for p_lifetime (12 hours by default, at most 30 days; a key''s session ends with the key); returns its id and expiry. Audited. Errors: PV705.';
