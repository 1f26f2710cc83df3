CREATE OR REPLACE FUNCTION monitoring_internal.database_role(p_role text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the database role the requests of a pgvigil serve role run
    -- as (viewer: pgvigil_reader, operator: pgvigil_operator, admin:
    -- pgvigil_admin), in one place for API keys and web sessions.
    SELECT CASE p_role WHEN 'viewer' THEN 'pgvigil_reader' WHEN 'operator' THEN 'pgvigil_operator'
                       WHEN 'admin' THEN 'pgvigil_admin' END;
$$;
COMMENT ON FUNCTION monitoring_internal.database_role(text) IS
    'Internal: the database role of a pgvigil serve role (viewer: pgvigil_reader, operator: pgvigil_operator, admin: pgvigil_admin); NULL for anything else.';
