CREATE OR REPLACE FUNCTION monitoring_internal.matchers_match(p_matchers jsonb, p_labels jsonb)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: whether a label set meets every matcher (a list of
    -- {"name", "op", "value"}), with Alertmanager's semantics: a label the
    -- set lacks is the empty string, and regular expressions match the
    -- whole value (^(?:re)$).
    SELECT coalesce(bool_and(CASE m ->> 'op'
               WHEN '=' THEN coalesce(p_labels ->> (m ->> 'name'), '') = m ->> 'value'
               WHEN '!=' THEN coalesce(p_labels ->> (m ->> 'name'), '') <> m ->> 'value'
               WHEN '=~' THEN coalesce(p_labels ->> (m ->> 'name'), '') ~ ('^(?:' || (m ->> 'value') || ')$')
               ELSE coalesce(p_labels ->> (m ->> 'name'), '') !~ ('^(?:' || (m ->> 'value') || ')$') END), true)
    FROM jsonb_array_elements(coalesce(p_matchers, '[]')) AS m;
$$;
COMMENT ON FUNCTION monitoring_internal.matchers_match(jsonb, jsonb) IS
    'Internal: true when the labels meet every matcher (Alertmanager semantics: missing label = "", regexes anchored).';
