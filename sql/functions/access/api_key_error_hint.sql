CREATE OR REPLACE FUNCTION monitoring_internal.api_key_error_hint(p_code text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the hint of each API key error, in one place.
    SELECT CASE p_code
        WHEN 'PV701' THEN 'a key has a name (1 to 200 characters), a role (viewer, operator or admin), the 32-byte SHA-256 of the key, and an expiry in the future or none: pgvigil keys create --role viewer --name NAME [--expires 90d]'
        WHEN 'PV702' THEN 'list the keys: pgvigil keys list (or SELECT * FROM monitoring.v_api_keys)'
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.api_key_error_hint(text) IS
    'Internal: the hint of API key errors PV701 and PV702.';
