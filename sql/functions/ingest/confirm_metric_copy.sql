CREATE OR REPLACE FUNCTION monitoring.confirm_metric_copy(
    p_first_event_time timestamptz,
    p_last_event_time timestamptz
)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Called after a buffered client's COPY into performance_monitoring, in the
-- same transaction, with the earliest and latest event time of the rows.
-- The table's checks cover the values; the event-time rule depends on now()
-- and the config, so it is applied here to the batch's range (PV006 rolls
-- the COPY back), and late rows are noted for the rollups.
BEGIN
    PERFORM monitoring_internal.assert_event_time(p_first_event_time);
    PERFORM monitoring_internal.assert_event_time(p_last_event_time);
    IF p_last_event_time < p_first_event_time THEN
        RAISE EXCEPTION 'the last event time % is before the first %', p_last_event_time, p_first_event_time
            USING ERRCODE = 'PV006',
                  HINT = 'Pass the earliest and the latest event time of the copied rows, in that order.';
    END IF;
    PERFORM monitoring_internal.note_ingest('performance_monitoring', p_first_event_time, p_last_event_time);
END;
$$;
COMMENT ON FUNCTION monitoring.confirm_metric_copy(timestamptz, timestamptz) IS
    'Buffered clients: after a COPY into performance_monitoring, checks the rows'' event-time range and notes late rows for the rollups. Errors: PV001, PV006.';
