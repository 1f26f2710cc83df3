CREATE OR REPLACE FUNCTION monitoring.authenticate_api_key(p_key_hash bytea)
RETURNS TABLE (key_id bigint, name text, role text, database_role text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- The key whose SHA-256 this is, if it is neither revoked nor expired, with
-- the database role its requests run as (viewer: pgvigil_reader, operator:
-- pgvigil_operator, admin: pgvigil_admin); no row otherwise. Called by
-- pgvigil serve on every request, in the request's transaction, so a
-- revocation holds from the next request. last_used_at is written at most
-- once a minute per key, so reads stay reads.
BEGIN
    RETURN QUERY
    SELECT k.key_id, k.name, k.role, monitoring_internal.database_role(k.role)
    FROM monitoring_internal.api_keys AS k
    WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > now());
    IF FOUND THEN
        UPDATE monitoring_internal.api_keys AS k SET last_used_at = now()
        WHERE k.key_hash = p_key_hash AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring.authenticate_api_key(bytea) IS
    'The live (not revoked, not expired) API key with this SHA-256: id, name, role and the database role its requests run as; no row otherwise.';
