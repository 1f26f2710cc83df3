CREATE OR REPLACE FUNCTION monitoring.check_processing_performance_alerts()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Three measures per task type, each its own alert type (subject = task type):
--  slow_processing: the alert_settings.processing_percentile (p95) of
--    duration_seconds over tasks that ended in the last
--    processing_window_minutes, if at least processing_min_tasks ended,
--    against alert_thresholds.processing_times (seconds);
--  task_failure_rate: (failed + timeout) / ended over the same tasks,
--    against alert_thresholds.task_failure_rates (0 to 1);
--  stuck_tasks: the age of the oldest task still running, against
--    alert_thresholds.processing_times (read from running_tasks, no history).
-- Returns the number of alerts raised or updated.
DECLARE
    v_window_minutes double precision := monitoring_internal.config_number('{alert_settings,processing_window_minutes}');
    v_percentile double precision := monitoring_internal.config_number('{alert_settings,processing_percentile}');
    v_min_tasks double precision := monitoring_internal.config_number('{alert_settings,processing_min_tasks}');
    v_time_thresholds jsonb := monitoring_internal.config_value('{alert_thresholds,processing_times}');
    v_failure_thresholds jsonb := monitoring_internal.config_value('{alert_thresholds,task_failure_rates}');
    v_percentile_label text;
    v_severity text;
    v_alerting integer := 0;
    r record;
BEGIN
    PERFORM monitoring_internal.lock_checks();
    v_percentile_label := 'p' || trim_scale(round((v_percentile * 100)::numeric, 1))::text;

    FOR r IN
        SELECT m.task_type,
               count(*) AS ended_count,
               percentile_cont(v_percentile) WITHIN GROUP (ORDER BY m.duration_seconds) AS duration_percentile,
               max(m.duration_seconds) AS max_duration,
               count(*) FILTER (WHERE m.status IN ('failed', 'timeout')) AS failed_count
        FROM monitoring.processing_metrics AS m
        WHERE m.end_time > now() - make_interval(mins => 1) * v_window_minutes
          AND m.end_time <= now()
        GROUP BY m.task_type
        HAVING count(*) >= v_min_tasks
    LOOP
        v_severity := monitoring_internal.severity_for_value(r.duration_percentile, v_time_thresholds);
        IF v_severity IS NOT NULL THEN
            PERFORM monitoring_internal.upsert_alert(
                'slow_processing', r.task_type, v_severity,
                format('Slow %s tasks', r.task_type),
                format('%s of %s %s tasks that ended in the last %s minutes took %s s (%s threshold %s s)',
                       v_percentile_label, r.ended_count, r.task_type, v_window_minutes,
                       round(r.duration_percentile::numeric, 1), v_severity, v_time_thresholds ->> v_severity),
                r.duration_percentile, (v_time_thresholds ->> v_severity)::double precision,
                jsonb_build_object('percentile', v_percentile, 'ended_count', r.ended_count,
                                   'max_duration_seconds', r.max_duration, 'window_minutes', v_window_minutes));
            v_alerting := v_alerting + 1;
        END IF;

        v_severity := monitoring_internal.severity_for_value(r.failed_count::double precision / r.ended_count,
                                                    v_failure_thresholds);
        IF v_severity IS NOT NULL THEN
            PERFORM monitoring_internal.upsert_alert(
                'task_failure_rate', r.task_type, v_severity,
                format('%s tasks failing', r.task_type),
                format('%s of %s %s tasks that ended in the last %s minutes failed or timed out (%s%%; %s threshold %s%%)',
                       r.failed_count, r.ended_count, r.task_type, v_window_minutes,
                       round(100.0 * r.failed_count / r.ended_count, 1), v_severity,
                       round(100 * (v_failure_thresholds ->> v_severity)::numeric, 1)),
                r.failed_count::double precision / r.ended_count,
                (v_failure_thresholds ->> v_severity)::double precision,
                jsonb_build_object('failed_count', r.failed_count, 'ended_count', r.ended_count,
                                   'window_minutes', v_window_minutes));
            v_alerting := v_alerting + 1;
        END IF;
    END LOOP;

    FOR r IN
        SELECT t.task_type,
               count(*) AS running_count,
               extract(epoch FROM now() - min(t.start_time))::double precision AS oldest_age_seconds,
               (array_agg(t.task_id ORDER BY t.start_time))[1:5] AS oldest_task_ids
        FROM monitoring_internal.running_tasks AS t
        WHERE t.start_time <= now() - make_interval(secs => (v_time_thresholds ->> 'low')::double precision)
        GROUP BY t.task_type
    LOOP
        v_severity := monitoring_internal.severity_for_value(r.oldest_age_seconds, v_time_thresholds);
        CONTINUE WHEN v_severity IS NULL;
        PERFORM monitoring_internal.upsert_alert(
            'stuck_tasks', r.task_type, v_severity,
            format('Stuck %s tasks', r.task_type),
            format('%s %s tasks running longer than %s s; the oldest for %s s (%s threshold %s s)',
                   r.running_count, r.task_type, v_time_thresholds ->> 'low',
                   round(r.oldest_age_seconds::numeric), v_severity, v_time_thresholds ->> v_severity),
            r.oldest_age_seconds, (v_time_thresholds ->> v_severity)::double precision,
            jsonb_build_object('running_count', r.running_count, 'oldest_task_ids', to_jsonb(r.oldest_task_ids)));
        v_alerting := v_alerting + 1;
    END LOOP;

    PERFORM monitoring_internal.finish_check('slow_processing');
    PERFORM monitoring_internal.finish_check('task_failure_rate');
    PERFORM monitoring_internal.finish_check('stuck_tasks');
    RETURN v_alerting;
END;
$$;
COMMENT ON FUNCTION monitoring.check_processing_performance_alerts() IS
    'Raises or updates slow_processing (percentile of durations), task_failure_rate ((failed + timeout) / ended) and stuck_tasks (oldest running task) alerts per task type. Returns the number of alerts raised or updated.';
