CREATE OR REPLACE FUNCTION monitoring.disable_web_user(p_name text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Disables a web user: it cannot log in any more, and its sessions end
-- now, so pgvigil serve refuses them from the next request (401). Returns
-- false when it was disabled already. The row stays, so the audit log's
-- user:NAME keeps a meaning and the name is not given to anyone else.
-- Audited as disable_web_user. Errors: PV704 an unknown name.
DECLARE
    v_user monitoring_internal.web_users;
    v_ended bigint;
BEGIN
    SELECT * INTO v_user FROM monitoring_internal.web_users AS u WHERE u.name = p_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown web user: %', coalesce(p_name, 'NULL')
            USING ERRCODE = 'PV704', HINT = monitoring_internal.web_user_error_hint('PV704');
    END IF;
    IF v_user.disabled_at IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE monitoring_internal.web_users AS u
    SET disabled_at = now(),
        disabled_by = coalesce(nullif(current_setting('pgvigil.on_behalf_of', true), ''), session_user::text)
    WHERE u.user_id = v_user.user_id;
    UPDATE monitoring_internal.web_sessions AS s SET revoked_at = now()
    WHERE s.user_id = v_user.user_id AND s.revoked_at IS NULL AND s.expires_at > now();
    GET DIAGNOSTICS v_ended = ROW_COUNT;
    PERFORM monitoring_internal.write_audit_log('disable_web_user', v_user.user_id::text, jsonb_build_object(
        'user_id', v_user.user_id, 'name', v_user.name, 'role', v_user.role, 'sessions_ended', v_ended));
    PERFORM pg_notify('pgvigil_live', 'keys');  -- servers forget the principals they checked
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.disable_web_user(text) IS
    'Disables a web user and ends its sessions (refused from the next request); false when it was disabled already. Audited. Errors: PV704.';
