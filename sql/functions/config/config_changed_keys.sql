CREATE OR REPLACE FUNCTION monitoring_internal.config_changed_keys(p_old jsonb, p_new jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
-- Internal: the dotted paths of the leaves (values that are not both objects)
-- that differ between two config documents, added or removed ones included,
-- sorted. For the audit row of apply_config().
WITH RECURSIVE walk (path, old_value, new_value) AS (
    SELECT ARRAY[]::text[], p_old, p_new
    UNION ALL
    SELECT w.path || k.key, w.old_value -> k.key, w.new_value -> k.key
    FROM walk AS w,
         LATERAL (SELECT o.key FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(w.old_value) = 'object' THEN w.old_value END) AS o
                  UNION
                  SELECT n.key FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(w.new_value) = 'object' THEN w.new_value END) AS n) AS k
    WHERE pg_catalog.jsonb_typeof(w.old_value) = 'object'
      AND pg_catalog.jsonb_typeof(w.new_value) = 'object'
      AND w.old_value IS DISTINCT FROM w.new_value
)
SELECT coalesce(pg_catalog.array_agg(pg_catalog.array_to_string(w.path, '.') ORDER BY w.path), '{}')
FROM walk AS w
WHERE w.old_value IS DISTINCT FROM w.new_value
  AND NOT (coalesce(pg_catalog.jsonb_typeof(w.old_value) = 'object', false)
           AND coalesce(pg_catalog.jsonb_typeof(w.new_value) = 'object', false));
$$;
COMMENT ON FUNCTION monitoring_internal.config_changed_keys(jsonb, jsonb) IS
    'Internal: dotted paths of the config values that differ between two documents (for the audit log).';
