CREATE OR REPLACE FUNCTION monitoring_internal.history_retention_cutoff(p_retention jsonb)
RETURNS timestamptz
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the time before which a history table's rows have expired,
    -- from its retention setting in days: a number, or an object of
    -- numbers by severity (errors), where the longest wins (partitions are
    -- kept for it; shorter severities are deleted row by row). The one
    -- rule for expired_partitions() and expire_old_rows().
    SELECT now() - make_interval(days => 1) * (
        SELECT max(value::text::double precision)
        FROM jsonb_each(CASE jsonb_typeof(p_retention)
                        WHEN 'object' THEN p_retention
                        ELSE jsonb_build_object('all', p_retention) END));
$$;
COMMENT ON FUNCTION monitoring_internal.history_retention_cutoff(jsonb) IS
    'Internal: now() minus a history table''s retention in days (the longest severity''s where retention is per severity).';
