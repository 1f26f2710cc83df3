CREATE OR REPLACE FUNCTION monitoring_internal.settings_problems(p_document jsonb)
RETURNS SETOF text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: every problem of a config document's settings at once (its
-- alert_rules are alert_rule_problems()'s):
-- what the functions read must be there, numeric where numbers are read,
-- and each threshold set ordered low <= medium <= high <= critical. The
-- shipped JSON Schema checks the same shape for editors and the CLI; this
-- is the guard for documents applied straight from SQL.
DECLARE
    v_key text;
    v_severity text;
    v_value jsonb;
    v_previous double precision;
BEGIN
    IF p_document IS NULL OR jsonb_typeof(p_document) <> 'object' THEN
        RETURN NEXT 'the config must be a JSON object';
        RETURN;
    END IF;

    FOREACH v_key IN ARRAY ARRAY['error_rates', 'processing_times', 'queue_backlog',
                                 'task_failure_rates', 'unhealthy_seconds'] LOOP
        v_previous := NULL;
        FOREACH v_severity IN ARRAY ARRAY['low', 'medium', 'high', 'critical'] LOOP
            v_value := p_document #> ARRAY['alert_thresholds', v_key, v_severity];
            IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' THEN
                RETURN NEXT format('alert_thresholds.%s.%s must be a number', v_key, v_severity);
            ELSIF v_value::text::double precision < 0 THEN
                RETURN NEXT format('alert_thresholds.%s.%s must be >= 0', v_key, v_severity);
            ELSIF v_previous IS NOT NULL AND v_value::text::double precision < v_previous THEN
                RETURN NEXT format('alert_thresholds.%s.%s must be >= the threshold of the severity below it',
                                   v_key, v_severity);
            ELSE
                v_previous := v_value::text::double precision;
            END IF;
        END LOOP;
    END LOOP;
    IF (p_document #>> '{alert_thresholds,task_failure_rates,critical}') ~ '^[0-9.eE+-]+$'
       AND (p_document #>> '{alert_thresholds,task_failure_rates,critical}')::double precision > 1 THEN
        RETURN NEXT 'alert_thresholds.task_failure_rates are ratios from 0 to 1';
    END IF;

    FOREACH v_key IN ARRAY ARRAY['alert_settings.error_rate_window_minutes',
                                 'alert_settings.processing_window_minutes',
                                 'alert_settings.processing_min_tasks',
                                 'alert_settings.queue_sample_max_age_minutes',
                                 'retention.processing_metrics_days',
                                 'retention.performance_monitoring_days',
                                 'retention.queue_monitoring_days',
                                 'retention.system_health_history_days',
                                 'retention.resolved_alerts_days',
                                 'retention.cron_job_run_details_days',
                                 'retention.performance_rollup_minute_days',
                                 'retention.performance_rollup_hour_days',
                                 'retention.task_rollup_minute_days',
                                 'retention.task_rollup_hour_days',
                                 'rollups.max_hours_per_run',
                                 'partitioning.premake_days',
                                 'ingest.max_event_age_hours',
                                 'ingest.batch_ids_hours'] LOOP
        v_value := p_document #> string_to_array(v_key, '.');
        IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' OR v_value::text::double precision <= 0 THEN
            RETURN NEXT format('%s must be a number > 0', v_key);
        END IF;
    END LOOP;

    v_value := p_document #> '{alert_settings,processing_percentile}';
    IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number'
       OR v_value::text::double precision <= 0 OR v_value::text::double precision > 1 THEN
        RETURN NEXT 'alert_settings.processing_percentile must be a number in (0, 1], e.g. 0.95';
    END IF;
    IF monitoring_internal.severity_rank(p_document #>> '{alert_settings,degraded_max_severity}') IS NULL THEN
        RETURN NEXT 'alert_settings.degraded_max_severity must be one of low, medium, high, critical';
    END IF;
    v_value := p_document #> '{ingest,max_future_skew_seconds}';
    IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' OR v_value::text::double precision < 0 THEN
        RETURN NEXT 'ingest.max_future_skew_seconds must be a number >= 0';
    END IF;

    v_value := p_document #> '{rollups,lag_seconds}';
    IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' OR v_value::text::double precision < 0 THEN
        RETURN NEXT 'rollups.lag_seconds must be a number >= 0';
    END IF;
    -- A late event (up to ingest.max_event_age_hours old) is re-aggregated
    -- from the raw rows of its minute, and its hour from the minute rollups:
    -- both must still be there.
    IF jsonb_typeof(p_document #> '{ingest,max_event_age_hours}') = 'number' THEN
        FOREACH v_key IN ARRAY ARRAY['performance_monitoring_days', 'processing_metrics_days',
                                     'performance_rollup_minute_days', 'task_rollup_minute_days'] LOOP
            v_value := p_document #> ARRAY['retention', v_key];
            IF jsonb_typeof(v_value) = 'number'
               AND v_value::text::double precision * 24
                   < (p_document #>> '{ingest,max_event_age_hours}')::double precision THEN
                RETURN NEXT format('retention.%s (%s days) must cover ingest.max_event_age_hours (%s): '
                                   'late events are re-aggregated from it',
                                   v_key, v_value, p_document #> '{ingest,max_event_age_hours}');
            END IF;
        END LOOP;
    END IF;

    FOREACH v_severity IN ARRAY ARRAY['low', 'medium', 'high', 'critical'] LOOP
        v_value := p_document #> ARRAY['retention', 'error_tracking_days', v_severity];
        IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' OR v_value::text::double precision <= 0 THEN
            RETURN NEXT format('retention.error_tracking_days.%s must be a number > 0', v_severity);
        END IF;
    END LOOP;

    FOREACH v_key IN ARRAY ARRAY['monitoring_checks', 'rollups', 'partition_maintenance', 'cleanup',
                                 'purge_cron_history'] LOOP
        v_value := p_document #> ARRAY['schedules', v_key];
        IF v_value IS NULL OR jsonb_typeof(v_value) <> 'string' OR btrim(v_value #>> '{}') = '' THEN
            RETURN NEXT format('schedules.%s must be a cron expression such as "* * * * *"', v_key);
        END IF;
    END LOOP;
    -- Optional (configs written before 0.2 have none): the checks' schedule.
    v_value := p_document #> '{schedules,watchdog}';
    IF v_value IS NOT NULL AND (jsonb_typeof(v_value) <> 'string' OR btrim(v_value #>> '{}') = '') THEN
        RETURN NEXT 'schedules.watchdog must be a cron expression such as "* * * * *"';
    END IF;
    v_value := p_document #> '{schedules,monitoring_checks_interval_seconds}';
    IF v_value IS NOT NULL AND jsonb_typeof(v_value) <> 'null'
       AND (jsonb_typeof(v_value) <> 'number' OR v_value::text !~ '^[0-9]+$'
            OR v_value::text::integer NOT BETWEEN 1 AND 59) THEN
        RETURN NEXT 'schedules.monitoring_checks_interval_seconds must be null or a whole number from 1 to 59';
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.settings_problems(jsonb) IS
    'Internal: every problem of a config document outside its alert_rules (no rows when they are valid).';
