CREATE OR REPLACE FUNCTION monitoring_internal.alertmanager_time(p_at timestamptz)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a time as Alertmanager's API writes it (RFC 3339 in UTC,
    -- microseconds); Go's zero time for none.
    SELECT coalesce(to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '0001-01-01T00:00:00.000Z');
$$;
COMMENT ON FUNCTION monitoring_internal.alertmanager_time(timestamptz) IS
    'Internal: RFC 3339 UTC text of a time for the Alertmanager API (Go''s zero time for NULL).';
