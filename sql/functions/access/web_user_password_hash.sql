CREATE OR REPLACE FUNCTION monitoring.web_user_password_hash(p_name text)
RETURNS TABLE (user_id bigint, password_hash text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- The id and argon2id password hash of the live (not disabled) web user
    -- of this name; no row otherwise. pgvigil serve verifies a login's
    -- password against it in its own process (argon2 is too slow for the
    -- database's backends), then opens the session with create_web_session().
    SELECT u.user_id, u.password_hash
    FROM monitoring_internal.web_users AS u
    WHERE u.name = p_name AND u.disabled_at IS NULL;
$$;
COMMENT ON FUNCTION monitoring.web_user_password_hash(text) IS
    'The id and argon2id password hash of the live web user of this name, for pgvigil serve to verify a login with; no row otherwise. Admin only.';
