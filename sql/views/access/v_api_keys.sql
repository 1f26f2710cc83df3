CREATE OR REPLACE VIEW monitoring.v_api_keys AS
-- The API keys of pgvigil serve, without their hashes: name, role, the
-- key's first characters, state (active, expired, revoked), when made,
-- last used, expiring and revoked, and by whom. Admins only.
SELECT k.key_id, k.name, k.role, k.key_prefix,
       CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
            WHEN k.expires_at IS NOT NULL AND k.expires_at <= now() THEN 'expired'
            ELSE 'active' END AS state,
       k.created_at, k.created_by, k.expires_at, k.last_used_at, k.revoked_at, k.revoked_by
FROM monitoring_internal.api_keys AS k;
COMMENT ON VIEW monitoring.v_api_keys IS
    'API keys without their hashes: name, role, key prefix, state (active, expired, revoked), created, last used, expiry and revocation.';
