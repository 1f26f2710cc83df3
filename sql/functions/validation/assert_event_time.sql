CREATE OR REPLACE FUNCTION monitoring_internal.assert_event_time(p_event_time timestamptz)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
-- Internal: event times come from callers (a buffered client delivers late),
-- so they are bounded: not older than ingest.max_event_age_hours, not later
-- than ingest.max_future_skew_seconds ahead of the database clock.
DECLARE
    v_bounds record := monitoring_internal.event_time_bounds();
BEGIN
    IF p_event_time IS NULL THEN
        RAISE EXCEPTION 'event_time must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Omit event_time to use the current time, or pass the time the event happened.';
    END IF;
    IF p_event_time < v_bounds.earliest OR p_event_time > v_bounds.latest THEN
        RAISE EXCEPTION 'event_time % is outside the accepted range', p_event_time
            USING ERRCODE = 'PV006',
                  DETAIL = format('Accepted now: from %s to %s (ingest.max_event_age_hours and ingest.max_future_skew_seconds).',
                                  v_bounds.earliest, v_bounds.latest),
                  HINT = 'Check the caller''s clock, or raise ingest.max_event_age_hours in the config.';
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.assert_event_time(timestamptz) IS
    'Internal: raises PV001 for a NULL event time and PV006 for one outside [now - ingest.max_event_age_hours, now + ingest.max_future_skew_seconds].';
