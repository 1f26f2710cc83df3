CREATE OR REPLACE FUNCTION monitoring_internal.write_audit_log(p_action text, p_subject text, p_details jsonb)
RETURNS void
LANGUAGE plpgsql
AS $$
-- Internal: one row of monitoring.audit_log, from the SECURITY DEFINER
-- function that made the change (inside it current_user is the owner, so
-- the caller is taken from session_user and the session's SET ROLE, which
-- SECURITY DEFINER does not change). on_behalf_of is the API key or user
-- pgvigil serve called for (its setting pgvigil.on_behalf_of): any session
-- may set it, which is why actor, the login, is always kept beside it.
BEGIN
    INSERT INTO monitoring.audit_log (actor, acting_role, on_behalf_of, action, subject, details)
    VALUES (session_user, coalesce(nullif(current_setting('role'), 'none'), session_user::text),
            nullif(current_setting('pgvigil.on_behalf_of', true), ''),
            p_action, p_subject, coalesce(p_details, '{}'));
END;
$$;
COMMENT ON FUNCTION monitoring_internal.write_audit_log(text, text, jsonb) IS
    'Internal: appends one row to monitoring.audit_log for the calling session (owner only).';
