CREATE OR REPLACE FUNCTION monitoring_internal.flap_changes(p_fingerprint text, p_window_seconds double precision)
RETURNS TABLE (changes integer, last_change_at timestamptz)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: how many times the alert with this fingerprint changed
    -- state (fired, resolved) in the last p_window_seconds, and when it last
    -- did (within a day).
    SELECT count(*) FILTER (WHERE v.at > now() - make_interval(secs => p_window_seconds))::integer, max(v.at)
    FROM monitoring.alerts AS a,
         LATERAL (VALUES (a.triggered_at), (a.resolved_at)) AS v (at)
    WHERE a.fingerprint = p_fingerprint AND a.triggered_at > now() - interval '1 day' AND v.at IS NOT NULL;
$$;
COMMENT ON FUNCTION monitoring_internal.flap_changes(text, double precision) IS
    'Internal: an alert''s state changes (by fingerprint) in a window, and its last change.';
