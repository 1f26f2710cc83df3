CREATE OR REPLACE FUNCTION monitoring.assert_event_time(p_event_time timestamptz)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
-- Internal: event times come from callers (a buffered client delivers late),
-- so they are bounded: not older than ingest.max_event_age_hours, not later
-- than ingest.max_future_skew_seconds ahead of the database clock.
DECLARE
    v_max_age_hours double precision := monitoring.config_number('{ingest,max_event_age_hours}');
    v_max_skew_seconds double precision := monitoring.config_number('{ingest,max_future_skew_seconds}');
BEGIN
    IF p_event_time IS NULL THEN
        RAISE EXCEPTION 'event_time must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Omit event_time to use the current time, or pass the time the event happened.';
    END IF;
    IF p_event_time < now() - make_interval(hours => 1) * v_max_age_hours
       OR p_event_time > now() + make_interval(secs => v_max_skew_seconds) THEN
        RAISE EXCEPTION 'event_time % is outside the accepted range', p_event_time
            USING ERRCODE = 'PV006',
                  DETAIL = format('Accepted: from %s hours before now to %s seconds after now (%s).',
                                  v_max_age_hours, v_max_skew_seconds, now()),
                  HINT = 'Check the caller''s clock, or raise ingest.max_event_age_hours in the config.';
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring.assert_event_time(timestamptz) IS
    'Internal: raises PV001 for a NULL event time and PV006 for one outside [now - ingest.max_event_age_hours, now + ingest.max_future_skew_seconds].';
