CREATE OR REPLACE VIEW monitoring.v_web_users AS
-- The web users of pgvigil serve, without their password hashes: name,
-- role, state (active, disabled), when made and by whom, when disabled and
-- by whom, their live sessions and last login. Admins only.
SELECT u.user_id, u.name, u.role,
       CASE WHEN u.disabled_at IS NOT NULL THEN 'disabled' ELSE 'active' END AS state,
       u.created_at, u.created_by, u.disabled_at, u.disabled_by,
       (SELECT count(*) FROM monitoring_internal.web_sessions AS s
        WHERE s.user_id = u.user_id AND s.revoked_at IS NULL AND s.expires_at > now()) AS live_sessions,
       u.last_login_at
FROM monitoring_internal.web_users AS u;
COMMENT ON VIEW monitoring.v_web_users IS
    'Web users of pgvigil serve without their password hashes: name, role, state (active, disabled), created, disabled, live sessions and last login.';
