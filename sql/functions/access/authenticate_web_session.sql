CREATE OR REPLACE FUNCTION monitoring.authenticate_web_session(p_token_hash bytea)
RETURNS TABLE (kind text, id bigint, name text, role text, database_role text, expires_at timestamptz)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- Who the web session with this token SHA-256 belongs to, as
    -- authenticate_api_key() answers for a key: kind (key or user), id,
    -- name, role and the database role its requests run as, with the
    -- session's expiry. No row when the session expired or was ended, its
    -- key was revoked or expired, or its user disabled. Called by pgvigil
    -- serve on every request that comes with the session cookie.
    SELECT 'key'::text, k.key_id, k.name, k.role, monitoring_internal.database_role(k.role), s.expires_at
    FROM monitoring_internal.web_sessions AS s
    JOIN monitoring_internal.api_keys AS k ON k.key_id = s.key_id
    WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
      AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
    UNION ALL
    SELECT 'user'::text, u.user_id, u.name, u.role, monitoring_internal.database_role(u.role), s.expires_at
    FROM monitoring_internal.web_sessions AS s
    JOIN monitoring_internal.web_users AS u ON u.user_id = s.user_id
    WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
      AND u.disabled_at IS NULL;
$$;
COMMENT ON FUNCTION monitoring.authenticate_web_session(bytea) IS
    'The principal of the live web session with this token SHA-256: kind (key or user), id, name, role, the database role its requests run as, and the session''s expiry; no row when the session, its key or its user is no longer live.';
