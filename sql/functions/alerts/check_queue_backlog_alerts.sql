CREATE OR REPLACE FUNCTION monitoring.check_queue_backlog_alerts()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Per queue: pending_count of its latest sample, if that sample is younger
-- than alert_settings.queue_sample_max_age_minutes, against
-- alert_thresholds.queue_backlog. Alert type 'queue_backlog', subject =
-- queue name. A queue that stopped reporting clears its alert. Returns the
-- number of queues alerting.
DECLARE
    v_max_age_minutes double precision := monitoring_internal.config_number('{alert_settings,queue_sample_max_age_minutes}');
    v_thresholds jsonb := monitoring_internal.config_value('{alert_thresholds,queue_backlog}');
    v_severity text;
    v_alerting integer := 0;
    r record;
BEGIN
    PERFORM monitoring_internal.lock_checks();
    FOR r IN
        SELECT DISTINCT ON (q.queue_name) q.*
        FROM monitoring.queue_monitoring AS q
        WHERE q.recorded_at > now() - make_interval(mins => 1) * v_max_age_minutes
          AND q.recorded_at <= now()
        ORDER BY q.queue_name, q.recorded_at DESC
    LOOP
        v_severity := monitoring_internal.severity_for_value(r.pending_count, v_thresholds);
        CONTINUE WHEN v_severity IS NULL;
        PERFORM monitoring_internal.upsert_alert(
            'queue_backlog', r.queue_name, v_severity,
            format('Queue %s backing up', r.queue_name),
            format('%s items pending in %s (%s threshold %s)%s', r.pending_count, r.queue_name,
                   v_severity, v_thresholds ->> v_severity,
                   CASE WHEN r.oldest_pending_age_seconds IS NOT NULL
                        THEN format('; oldest waiting %s s', round(r.oldest_pending_age_seconds::numeric))
                        ELSE '' END),
            r.pending_count, (v_thresholds ->> v_severity)::double precision,
            jsonb_build_object('pending_count', r.pending_count, 'processing_count', r.processing_count,
                               'oldest_pending_age_seconds', r.oldest_pending_age_seconds,
                               'sampled_at', r.recorded_at));
        v_alerting := v_alerting + 1;
    END LOOP;
    PERFORM monitoring_internal.finish_check('queue_backlog');
    RETURN v_alerting;
END;
$$;
COMMENT ON FUNCTION monitoring.check_queue_backlog_alerts() IS
    'Raises or updates a queue_backlog alert per queue whose latest sample (younger than alert_settings.queue_sample_max_age_minutes) has pending_count at or above alert_thresholds.queue_backlog. Returns the number of queues alerting.';
