CREATE OR REPLACE FUNCTION monitoring_internal.alertmanager_matchers(p_matchers jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: pgvigil's matchers ({"name", "op", "value"}) as the
    -- Alertmanager API writes them ({name, value, isRegex, isEqual}).
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'name', m ->> 'name', 'value', m ->> 'value',
               'isRegex', m ->> 'op' IN ('=~', '!~'), 'isEqual', m ->> 'op' IN ('=', '=~')) ORDER BY n), '[]')
    FROM jsonb_array_elements(p_matchers) WITH ORDINALITY AS x (m, n);
$$;
COMMENT ON FUNCTION monitoring_internal.alertmanager_matchers(jsonb) IS
    'Internal: matchers as the Alertmanager API writes them: name, value, isRegex, isEqual.';
