CREATE OR REPLACE FUNCTION monitoring.record_queue_stats(
    p_queue_name text,
    p_pending_count integer,
    p_processing_count integer DEFAULT 0,
    p_completed_count integer DEFAULT 0,
    p_failed_count integer DEFAULT 0,
    p_oldest_pending_age_seconds double precision DEFAULT NULL,
    p_event_time timestamptz DEFAULT now()
)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Records one sample of a queue: pending and in-flight counts, items
-- completed and failed since the previous sample, age of the oldest pending.
BEGIN
    PERFORM monitoring_internal.assert_text('queue_name', p_queue_name, 200);
    IF p_pending_count IS NULL THEN
        RAISE EXCEPTION 'pending_count must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass the number of items waiting in the queue (0 or more).';
    END IF;
    PERFORM monitoring_internal.assert_count('pending_count', p_pending_count);
    PERFORM monitoring_internal.assert_count('processing_count', p_processing_count);
    PERFORM monitoring_internal.assert_count('completed_count', p_completed_count);
    PERFORM monitoring_internal.assert_count('failed_count', p_failed_count);
    PERFORM monitoring_internal.assert_count('oldest_pending_age_seconds', p_oldest_pending_age_seconds);
    PERFORM monitoring_internal.assert_event_time(p_event_time);

    INSERT INTO monitoring.queue_monitoring
        (queue_name, pending_count, processing_count, completed_count, failed_count,
         oldest_pending_age_seconds, recorded_at)
    VALUES
        (p_queue_name, p_pending_count, coalesce(p_processing_count, 0),
         coalesce(p_completed_count, 0), coalesce(p_failed_count, 0),
         p_oldest_pending_age_seconds, p_event_time);
END;
$$;
COMMENT ON FUNCTION monitoring.record_queue_stats(text, integer, integer, integer, integer, double precision, timestamptz) IS
    'Records a queue sample: pending, processing, completed and failed since the previous sample, and the age in seconds of the oldest pending item. Errors: PV001, PV004, PV005, PV006, PV008.';
