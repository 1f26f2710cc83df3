CREATE OR REPLACE FUNCTION monitoring_internal.group_labels_text(p_labels jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a label set as Alertmanager prints one in a group key
    -- (model.LabelSet.String()): {a="x", b="y"}, sorted by name (bytes).
    SELECT '{' || coalesce(string_agg(
               e.key || '="' || replace(replace(replace(e.value #>> '{}', '\', '\\'), '"', '\"'), E'\n', '\n') || '"',
               ', ' ORDER BY e.key COLLATE "C"), '') || '}'
    FROM jsonb_each(coalesce(p_labels, '{}')) AS e;
$$;
COMMENT ON FUNCTION monitoring_internal.group_labels_text(jsonb) IS
    'Internal: labels printed as Alertmanager prints them in a group key: {a="x", b="y"}.';
