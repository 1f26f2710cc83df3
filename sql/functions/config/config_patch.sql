CREATE OR REPLACE FUNCTION monitoring_internal.config_patch(p_document jsonb, p_patch jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a partial config file applied over the current document,
    -- JSON Merge Patch style (RFC 7386): an object merges key by key, null
    -- removes a key, anything else replaces the current value. Lists of
    -- named objects (alert_rules) merge by name, so a file may hold one
    -- rule, or one key of one rule ({"name": "cpu", "for": "5m"}); a name the
    -- document lacks is appended. Other arrays are replaced whole.
    SELECT CASE
        WHEN jsonb_typeof(p_patch) = 'object' THEN
            (SELECT coalesce(jsonb_object_agg(
                        coalesce(d.key, p.key),
                        CASE WHEN p.key IS NULL THEN d.value
                             ELSE monitoring_internal.config_patch(d.value, p.value) END)
                        FILTER (WHERE p.value IS NULL OR jsonb_typeof(p.value) <> 'null'), '{}'::jsonb)
             FROM jsonb_each(CASE WHEN jsonb_typeof(p_document) = 'object' THEN p_document ELSE '{}' END) AS d
             FULL JOIN jsonb_each(p_patch) AS p ON p.key = d.key)
        WHEN monitoring_internal.is_named_list(p_document) AND monitoring_internal.is_named_list(p_patch) THEN
            coalesce((SELECT jsonb_agg(coalesce(monitoring_internal.config_patch(d.element, p.element), d.element)
                                       ORDER BY d.position)
                      FROM jsonb_array_elements(p_document) WITH ORDINALITY AS d (element, position)
                      LEFT JOIN LATERAL (SELECT q.element FROM jsonb_array_elements(p_patch) AS q (element)
                                         WHERE q.element -> 'name' = d.element -> 'name'
                                         LIMIT 1) AS p ON true), '[]'::jsonb)
            || coalesce((SELECT jsonb_agg(monitoring_internal.config_patch('{}', p.element) ORDER BY p.position)
                         FROM jsonb_array_elements(p_patch) WITH ORDINALITY AS p (element, position)
                         WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(p_document) AS d (element)
                                           WHERE d.element -> 'name' = p.element -> 'name')), '[]'::jsonb)
        ELSE p_patch
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.config_patch(jsonb, jsonb) IS
    'Internal: p_patch applied over p_document as a JSON Merge Patch (RFC 7386: objects merge, null removes a key), lists of named objects merged by name.';
