CREATE OR REPLACE FUNCTION monitoring_internal.config_merge(p_base jsonb, p_overlay jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: p_overlay over p_base, object by object: a key of the
    -- overlay replaces the base's, except that two objects are merged key
    -- by key, and two lists of named objects (alert_rules) by name: an
    -- element of the overlay replaces the base's of the same name whole, and
    -- the base's other elements follow the overlay's. Other arrays and
    -- scalars are replaced whole. migrate uses it to add the shipped
    -- config's new keys and rules under an existing config (the stored
    -- values win), so defaults live in config/monitoring_config.json only.
    SELECT CASE
        WHEN jsonb_typeof(p_base) = 'object' AND jsonb_typeof(p_overlay) = 'object' THEN
            (SELECT coalesce(jsonb_object_agg(
                        coalesce(b.key, o.key),
                        CASE WHEN b.key IS NULL THEN o.value
                             WHEN o.key IS NULL THEN b.value
                             ELSE monitoring_internal.config_merge(b.value, o.value) END), '{}'::jsonb)
             FROM jsonb_each(p_base) AS b
             FULL JOIN jsonb_each(p_overlay) AS o ON o.key = b.key)
        WHEN monitoring_internal.is_named_list(p_base) AND monitoring_internal.is_named_list(p_overlay) THEN
            p_overlay || coalesce((SELECT jsonb_agg(b.element ORDER BY b.position)
                                   FROM jsonb_array_elements(p_base) WITH ORDINALITY AS b (element, position)
                                   WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(p_overlay) AS o (element)
                                                     WHERE o.element -> 'name' = b.element -> 'name')),
                                  '[]'::jsonb)
        ELSE coalesce(p_overlay, p_base)
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.config_merge(jsonb, jsonb) IS
    'Internal: deep merge of two config documents, the overlay winning except where both hold an object (merged key by key) or a list of named objects (merged by name, elements whole).';
