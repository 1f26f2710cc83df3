CREATE OR REPLACE FUNCTION monitoring_internal.rule_source_key(p_rule monitoring.alert_rules)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: where a rule's groups are in evaluation_values. Rules that
    -- measure the same thing (kind, filter, aggregate, window, group_by)
    -- share one key, so one computation per evaluation; a composite has
    -- its own.
    SELECT CASE WHEN p_rule.composite_match IS NOT NULL THEN 'composite:' || p_rule.rule_name
                ELSE md5(concat_ws(E'\x1f', p_rule.source_kind, p_rule.source_filter::text, p_rule.aggregate,
                                   p_rule.window_seconds::text, p_rule.group_by::text)) END;
$$;
COMMENT ON FUNCTION monitoring_internal.rule_source_key(monitoring.alert_rules) IS
    'Internal: the key of a rule''s groups in evaluation_values (shared by rules of the same source; composite:NAME for a composite).';
