CREATE OR REPLACE FUNCTION monitoring_internal.web_user_error_hint(p_code text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the hint of each web user and web session error, in one place.
    SELECT CASE p_code
        WHEN 'PV703' THEN 'a web user has a name not taken before (1 to 200 characters), a role (viewer, operator or admin) and the argon2id hash of its password ($argon2id$v=19$m=...,t=...,p=...$salt$hash), never the password: pgvigil users create --name NAME --role viewer'
        WHEN 'PV704' THEN 'list the web users: pgvigil users list (or SELECT * FROM monitoring.v_web_users)'
        WHEN 'PV705' THEN 'a session has the 32-byte SHA-256 of its token, exactly one live API key or web user, and a lifetime of more than 0 and at most 30 days; pgvigil serve makes them at POST /api/v1/session'
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.web_user_error_hint(text) IS
    'Internal: the hint of web user and web session errors PV703 to PV705.';
