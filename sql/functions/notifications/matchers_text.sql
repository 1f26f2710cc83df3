CREATE OR REPLACE FUNCTION monitoring_internal.matchers_text(p_matchers jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: matchers printed as Alertmanager prints them in a route's
    -- key: {name="value",other=~"re"}, values quoted with \ and " escaped.
    SELECT '{' || coalesce(string_agg(
               (m ->> 'name') || (m ->> 'op') || '"'
               || replace(replace(replace(m ->> 'value', '\', '\\'), '"', '\"'), E'\n', '\n') || '"',
               ',' ORDER BY n), '') || '}'
    FROM jsonb_array_elements(coalesce(p_matchers, '[]')) WITH ORDINALITY AS x (m, n);
$$;
COMMENT ON FUNCTION monitoring_internal.matchers_text(jsonb) IS
    'Internal: a matcher list as Alertmanager prints it: {name="value",...}.';
