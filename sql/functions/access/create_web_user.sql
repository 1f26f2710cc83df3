CREATE OR REPLACE FUNCTION monitoring.create_web_user(
    p_name text,
    p_role text,
    p_password_hash text
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Registers a web user of pgvigil serve (who logs in to the dashboard with
-- a name and a password) and returns its id. The password never comes
-- here: its receiver (pgvigil users create, POST /api/v1/users) hashes it
-- with argon2id and passes the PHC string; anything else is refused, so a
-- plaintext password cannot be stored. A role is viewer, operator or
-- admin; a name is never reused, a disabled user's neither. Validated whole
-- (PV703); audited as create_web_user (never with the hash).
DECLARE
    v_id bigint;
BEGIN
    IF p_name IS NULL OR btrim(p_name) = '' OR length(btrim(p_name)) > 200 THEN
        RAISE EXCEPTION 'invalid web user: a name of 1 to 200 characters is required'
            USING ERRCODE = 'PV703', HINT = monitoring_internal.web_user_error_hint('PV703');
    END IF;
    IF p_role IS NULL OR p_role NOT IN ('viewer', 'operator', 'admin') THEN
        RAISE EXCEPTION 'invalid web user: unknown role %', coalesce(p_role, 'NULL')
            USING ERRCODE = 'PV703', HINT = monitoring_internal.web_user_error_hint('PV703');
    END IF;
    IF p_password_hash IS NULL
       OR p_password_hash !~ '^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$' THEN
        -- The value is not repeated in the message: it may be a password.
        RAISE EXCEPTION 'invalid web user: the password must be given as its argon2id hash (a PHC string)'
            USING ERRCODE = 'PV703', HINT = monitoring_internal.web_user_error_hint('PV703');
    END IF;
    IF EXISTS (SELECT FROM monitoring_internal.web_users AS u WHERE u.name = btrim(p_name)) THEN
        RAISE EXCEPTION 'invalid web user: the name % is taken', btrim(p_name)
            USING ERRCODE = 'PV703', HINT = monitoring_internal.web_user_error_hint('PV703');
    END IF;
    INSERT INTO monitoring_internal.web_users (name, role, password_hash, created_by)
    VALUES (btrim(p_name), p_role, p_password_hash,
            coalesce(nullif(current_setting('pgvigil.on_behalf_of', true), ''), session_user::text))
    RETURNING user_id INTO v_id;
    PERFORM monitoring_internal.write_audit_log('create_web_user', v_id::text, jsonb_build_object(
        'user_id', v_id, 'name', btrim(p_name), 'role', p_role));
    RETURN v_id;
END;
$$;
COMMENT ON FUNCTION monitoring.create_web_user(text, text, text) IS
    'Registers a web user of pgvigil serve with a name (never reused), a role (viewer, operator, admin) and the argon2id hash of its password (a PHC string; nothing else is accepted); returns its id. Audited. Errors: PV703.';
