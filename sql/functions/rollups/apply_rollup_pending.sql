CREATE OR REPLACE FUNCTION monitoring.apply_rollup_pending()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Second step of refresh_rollups(): recomputes the minute rollups of the
-- ranges queued in rollup_pending from the raw rows (delete, then insert the
-- fresh aggregate of performance_minute_aggregate() / task_minute_aggregate(),
-- the definitions the views' tails use too: idempotent, so a range queued
-- twice costs time, never a double count), then the 5-minute (performance
-- only) and hour rollups of every 5 minutes and hour touched from the minute
-- rollups (value sketches merged, their p95 stored), and removes what it did
-- from the queue, in one transaction. Work per run is bounded: at most
-- rollups.max_hours_per_run hours of ranges (both raw tables together),
-- oldest first; the rest stays queued for the next run (a first run on a
-- long history, a big late batch).
-- Ranges are clipped to the watermark (only below it are rollups kept) and
-- to the oldest raw rows retention guarantees (older minutes keep their
-- rollups rather than being recomputed from expired data).
-- Returns the minutes re-aggregated (summed over both raw tables); 0 when
-- another run holds the lock (safe to run twice at once) or on a standby.
DECLARE
    c_origin CONSTANT timestamptz := TIMESTAMPTZ '2000-01-01 00:00:00+00';
    v_started timestamptz := clock_timestamp();
    v_watermark timestamptz;
    v_performance_floor timestamptz;
    v_tasks_floor timestamptz;
    v_budget_minutes bigint;
    v_minutes bigint := 0;
    v_performance tstzmultirange;
    v_tasks tstzmultirange;
    v_performance_hours tstzmultirange := '{}'::tstzmultirange;
    v_performance_5min tstzmultirange := '{}'::tstzmultirange;
    v_task_hours tstzmultirange := '{}'::tstzmultirange;
    v_end timestamptz;
    v_hours tstzrange;
    v_day date;
    r record;
    h record;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN 0;
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('pgvigil.rollup_apply')) THEN
        RAISE NOTICE 'pgvigil: rollups already being applied in another session; skipped';
        RETURN 0;
    END IF;

    SELECT s.watermark INTO v_watermark FROM monitoring_internal.rollup_state AS s;
    v_watermark := coalesce(v_watermark, '-infinity');
    -- Raw rows are kept at least N days by whole UTC days (cleanup_old_monitoring_data).
    v_performance_floor := date_bin('1 day', now() - make_interval(days => 1)
                                                     * monitoring_internal.config_number('{retention,performance_monitoring_days}'),
                                    c_origin);
    v_tasks_floor := date_bin('1 day', now() - make_interval(days => 1)
                                               * monitoring_internal.config_number('{retention,processing_metrics_days}'),
                              c_origin);
    v_budget_minutes := greatest((monitoring_internal.config_number('{rollups,max_hours_per_run}') * 60)::bigint, 1);

    -- Take the whole queue; merge overlapping and adjacent ranges per table.
    WITH taken AS (
        DELETE FROM monitoring_internal.rollup_pending AS p
        RETURNING p.source, p.range_start, p.range_end
    )
    SELECT range_agg(tstzrange(t.range_start, t.range_end)) FILTER (WHERE t.source = 'performance_monitoring')
               * tstzmultirange(tstzrange(least(v_performance_floor, v_watermark), v_watermark)),
           range_agg(tstzrange(t.range_start, t.range_end)) FILTER (WHERE t.source = 'processing_metrics')
               * tstzmultirange(tstzrange(least(v_tasks_floor, v_watermark), v_watermark))
    INTO v_performance, v_tasks
    FROM taken AS t;

    FOR r IN
        SELECT u.source, lower(u.minutes) AS range_start, upper(u.minutes) AS range_end
        FROM (SELECT 'performance_monitoring' AS source, x.minutes FROM unnest(v_performance) AS x (minutes)
              UNION ALL
              SELECT 'processing_metrics', x.minutes FROM unnest(v_tasks) AS x (minutes)) AS u
        ORDER BY 2, 1
    LOOP
        v_end := least(r.range_end,
                       r.range_start + make_interval(mins => greatest(v_budget_minutes - v_minutes, 0)::integer));
        IF v_end < r.range_end THEN
            INSERT INTO monitoring_internal.rollup_pending (source, range_start, range_end)
            VALUES (r.source, v_end, r.range_end);
        END IF;
        CONTINUE WHEN v_end = r.range_start;
        v_hours := tstzrange(date_bin('1 hour', r.range_start, c_origin),
                             date_bin('1 hour', v_end - interval '1 microsecond', c_origin) + interval '1 hour');

        IF r.source = 'performance_monitoring' THEN
            FOR v_day IN SELECT d::date FROM generate_series(lower(v_hours) AT TIME ZONE 'UTC',
                                                             (upper(v_hours) - interval '1 hour') AT TIME ZONE 'UTC',
                                                             interval '1 day') AS d LOOP
                PERFORM monitoring_internal.create_partition('performance_rollup_minute', v_day);
            END LOOP;
            DELETE FROM monitoring.performance_rollup_minute AS m
            WHERE m.bucket >= r.range_start AND m.bucket < v_end;
            INSERT INTO monitoring.performance_rollup_minute
                (bucket, metric_name, metric_type, component, unit, sample_count, value_sum, value_min, value_max,
                 value_sketch)
            SELECT a.bucket, a.metric_name, a.metric_type, a.component, a.unit, a.sample_count,
                   a.value_sum, a.value_min, a.value_max, a.value_sketch
            FROM monitoring_internal.performance_minute_aggregate(r.range_start, v_end) AS a;
            v_performance_hours := v_performance_hours + tstzmultirange(v_hours);
            v_performance_5min := v_performance_5min
                + tstzmultirange(tstzrange(date_bin('5 minutes', r.range_start, c_origin),
                                           date_bin('5 minutes', v_end - interval '1 microsecond', c_origin)
                                               + interval '5 minutes'));
        ELSE
            FOR v_day IN SELECT d::date FROM generate_series(lower(v_hours) AT TIME ZONE 'UTC',
                                                             (upper(v_hours) - interval '1 hour') AT TIME ZONE 'UTC',
                                                             interval '1 day') AS d LOOP
                PERFORM monitoring_internal.create_partition('task_rollup_minute', v_day);
            END LOOP;
            DELETE FROM monitoring.task_rollup_minute AS m
            WHERE m.bucket >= r.range_start AND m.bucket < v_end;
            -- Tasks by the minute they ended: the end_time btree of every
            -- partition (they are by start_time, which is <= end_time).
            INSERT INTO monitoring.task_rollup_minute
                (bucket, task_type, ended_count, completed_count, failed_count, cancelled_count,
                 duration_sum, duration_min, duration_max, duration_buckets)
            SELECT a.bucket, a.task_type, a.ended_count, a.completed_count, a.failed_count, a.cancelled_count,
                   a.duration_sum, a.duration_min, a.duration_max, a.duration_buckets
            FROM monitoring_internal.task_minute_aggregate(r.range_start, v_end) AS a;
            v_task_hours := v_task_hours + tstzmultirange(v_hours);
        END IF;
        v_minutes := v_minutes + (extract(epoch FROM v_end - r.range_start) / 60)::bigint;
    END LOOP;

    -- 5 minutes and hours from their minutes (those holding the watermark:
    -- up to it).
    FOR h IN SELECT lower(x.buckets) AS bucket_start, upper(x.buckets) AS bucket_end
             FROM unnest(v_performance_5min) AS x (buckets) LOOP
        DELETE FROM monitoring.performance_rollup_5min AS o
        WHERE o.bucket >= h.bucket_start AND o.bucket < h.bucket_end;
        INSERT INTO monitoring.performance_rollup_5min
            (bucket, metric_name, metric_type, component, unit, sample_count, value_sum, value_min, value_max,
             value_sketch, value_p95)
        SELECT g.bucket, g.metric_name, g.metric_type, g.component, g.unit, g.sample_count,
               g.value_sum, g.value_min, g.value_max, g.value_sketch,
               monitoring_internal.estimate_value_percentile(g.value_sketch, 0.95, g.value_min, g.value_max)
        FROM (SELECT date_bin('5 minutes', m.bucket, c_origin) AS bucket,
                     m.metric_name, m.metric_type, m.component, m.unit,
                     sum(m.sample_count) AS sample_count, monitoring_internal.add_sample_sums(sum(m.value_sum) FILTER (WHERE abs(m.value_sum) < 1e300), sum(m.value_sum::numeric) FILTER (WHERE abs(m.value_sum) >= 1e300)) AS value_sum,
                     min(m.value_min) AS value_min, max(m.value_max) AS value_max,
                     -- A minute rolled up before the sketches existed: no sketch.
                     CASE WHEN count(m.value_sketch) = count(*)
                          THEN monitoring_internal.merge_value_sketches(m.value_sketch) END AS value_sketch
              FROM monitoring.performance_rollup_minute AS m
              WHERE m.bucket >= h.bucket_start AND m.bucket < h.bucket_end
              GROUP BY 1, 2, 3, 4, 5) AS g
        ORDER BY 1, 2, 4, 3, 5;  -- heap in key order: v_performance_trends reads it by the key
    END LOOP;
    FOR h IN SELECT lower(x.hours) AS hour_start, upper(x.hours) AS hour_end
             FROM unnest(v_performance_hours) AS x (hours) LOOP
        DELETE FROM monitoring.performance_rollup_hour AS o
        WHERE o.bucket >= h.hour_start AND o.bucket < h.hour_end;
        INSERT INTO monitoring.performance_rollup_hour
            (bucket, metric_name, metric_type, component, unit, sample_count, value_sum, value_min, value_max,
             value_sketch, value_p95)
        SELECT g.bucket, g.metric_name, g.metric_type, g.component, g.unit, g.sample_count,
               g.value_sum, g.value_min, g.value_max, g.value_sketch,
               monitoring_internal.estimate_value_percentile(g.value_sketch, 0.95, g.value_min, g.value_max)
        FROM (SELECT date_bin('1 hour', m.bucket, c_origin) AS bucket,
                     m.metric_name, m.metric_type, m.component, m.unit,
                     sum(m.sample_count) AS sample_count, monitoring_internal.add_sample_sums(sum(m.value_sum) FILTER (WHERE abs(m.value_sum) < 1e300), sum(m.value_sum::numeric) FILTER (WHERE abs(m.value_sum) >= 1e300)) AS value_sum,
                     min(m.value_min) AS value_min, max(m.value_max) AS value_max,
                     CASE WHEN count(m.value_sketch) = count(*)
                          THEN monitoring_internal.merge_value_sketches(m.value_sketch) END AS value_sketch
              FROM monitoring.performance_rollup_minute AS m
              WHERE m.bucket >= h.hour_start AND m.bucket < h.hour_end
              GROUP BY 1, 2, 3, 4, 5) AS g;
    END LOOP;
    FOR h IN SELECT lower(x.hours) AS hour_start, upper(x.hours) AS hour_end
             FROM unnest(v_task_hours) AS x (hours) LOOP
        DELETE FROM monitoring.task_rollup_hour AS o
        WHERE o.bucket >= h.hour_start AND o.bucket < h.hour_end;
        INSERT INTO monitoring.task_rollup_hour
            (bucket, task_type, ended_count, completed_count, failed_count, cancelled_count,
             duration_sum, duration_min, duration_max, duration_buckets)
        SELECT date_bin('1 hour', m.bucket, c_origin), m.task_type,
               sum(m.ended_count), sum(m.completed_count), sum(m.failed_count), sum(m.cancelled_count),
               sum(m.duration_sum), min(m.duration_min), max(m.duration_max),
               monitoring.sum_bucket_counts(m.duration_buckets)
        FROM monitoring.task_rollup_minute AS m
        WHERE m.bucket >= h.hour_start AND m.bucket < h.hour_end
        GROUP BY 1, 2;
    END LOOP;

    UPDATE monitoring_internal.rollup_state AS s
    SET applied_at = now(),
        apply_duration_seconds = extract(epoch FROM clock_timestamp() - v_started)::double precision,
        minutes_refreshed = v_minutes;
    RETURN v_minutes;
END;
$$;
COMMENT ON FUNCTION monitoring.apply_rollup_pending() IS
    'Second step of refresh_rollups(): recomputes the minute rollups of the queued ranges from the raw rows and the 5-minute (performance) and hour rollups of the buckets touched, at most rollups.max_hours_per_run hours per run, oldest first. Returns the minutes re-aggregated; 0 when another run holds the lock or on a standby.';
