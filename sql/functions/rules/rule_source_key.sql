CREATE OR REPLACE FUNCTION monitoring_internal.rule_source_key(
    p_kind text,
    p_filter jsonb,
    p_aggregate text,
    p_window_seconds double precision,
    p_group_by text[]
)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: identifies what a rule measures, so rules that measure the
    -- same thing share one computation per evaluation (evaluation_values).
    SELECT md5(concat_ws(E'\x1f', p_kind, p_filter::text, p_aggregate, p_window_seconds::text, p_group_by::text));
$$;
COMMENT ON FUNCTION monitoring_internal.rule_source_key(text, jsonb, text, double precision, text[]) IS
    'Internal: the key of a rule''s source in evaluation_values (kind, filter, aggregate, window, group_by).';
