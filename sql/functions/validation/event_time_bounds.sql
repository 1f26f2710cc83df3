CREATE OR REPLACE FUNCTION monitoring_internal.event_time_bounds(OUT earliest timestamptz, OUT latest timestamptz)
LANGUAGE sql STABLE
AS $$
    -- Internal: the accepted range of caller-supplied event times, from the
    -- config (ingest.max_event_age_hours back, ingest.max_future_skew_seconds ahead).
    SELECT now() - make_interval(hours => 1) * monitoring_internal.config_number('{ingest,max_event_age_hours}'),
           now() + make_interval(secs => monitoring_internal.config_number('{ingest,max_future_skew_seconds}'));
$$;
COMMENT ON FUNCTION monitoring_internal.event_time_bounds() IS
    'Internal: earliest and latest event time accepted now (ingest.max_event_age_hours, ingest.max_future_skew_seconds).';
