CREATE OR REPLACE FUNCTION monitoring_internal.source_values(
    p_kind text,
    p_filter jsonb,
    p_aggregate text,
    p_window_seconds double precision,
    p_group_by text[],
    p_at timestamptz
)
RETURNS TABLE (group_labels jsonb, value double precision, samples bigint, details jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: what a rule measures, per group, at p_at: the aggregate of its
-- source over (p_at - window, p_at], grouped by the labels of p_group_by.
-- Every filter is a parameter of a static query: a rule is data, never SQL.
-- A group-by label the row does not have (a NULL worker, a missing tag) is
-- left out of the group's labels, as Prometheus drops empty labels.
-- samples is what the value was computed from (rows, tasks, samples);
-- details, what else the source knows of the group (counts, the oldest
-- tasks, a component's status and failure reason), for the alert's details
-- and {{ $details.NAME }} in templates. Metrics have none: their rules are
-- the many, and a sample has nothing more to tell than its value.
DECLARE
    c_origin CONSTANT timestamptz := TIMESTAMPTZ '2000-01-01 00:00:00+00';
    v_from timestamptz := p_at - make_interval(secs => p_window_seconds);
    v_tags text[] := ARRAY(SELECT substr(g, 6) FROM unnest(p_group_by) AS g WHERE g LIKE 'tags.%');
    v_fraction double precision;
    v_rollups_from timestamptz;
    v_rollups_to timestamptz;
BEGIN
    IF p_kind = 'metric' AND p_window_seconds >= 3600 AND p_aggregate IN ('avg', 'min', 'max', 'sum', 'count')
       AND v_tags = '{}' AND p_filter -> 'tags' IS NULL THEN
        -- A long window, as the views read it: the whole minutes the minute
        -- rollups hold exactly (below the rollup boundary), the raw samples
        -- around them (the window's first partial minute, and from the
        -- boundary on). An hour of 1,000 series at 15 s is 240,000 samples
        -- but 60,000 rollup rows; a day, 5.8 million against 1.4 million.
        -- Tags are not in the rollups: a rule on tags reads the samples.
        v_rollups_from := date_bin('1 minute', v_from, c_origin)
                          + CASE WHEN date_bin('1 minute', v_from, c_origin) = v_from THEN interval '0' ELSE interval '1 minute' END;
        v_rollups_to := greatest(v_rollups_from, least(date_bin('1 minute', monitoring.rollup_boundary('performance_monitoring'), c_origin),
                                                       date_bin('1 minute', p_at, c_origin)));
        RETURN QUERY
        WITH parts AS (
            SELECT r.component, r.metric_name, r.metric_type, r.unit,
                   r.sample_count AS n, r.value_sum AS total, r.value_min AS low, r.value_max AS high
            FROM monitoring.performance_rollup_minute AS r
            WHERE r.metric_name = p_filter ->> 'metric_name'
              AND r.bucket >= v_rollups_from AND r.bucket < v_rollups_to
              AND (p_filter ->> 'component' IS NULL OR r.component = p_filter ->> 'component')
            UNION ALL
            SELECT p.component, p.metric_name, p.metric_type, p.unit, 1, p.metric_value, p.metric_value, p.metric_value
            FROM monitoring.performance_monitoring AS p
            WHERE p.metric_name = p_filter ->> 'metric_name'
              AND p.recorded_at > v_from AND p.recorded_at <= p_at
              AND (p.recorded_at < v_rollups_from OR p.recorded_at >= v_rollups_to)
              AND (p_filter ->> 'component' IS NULL OR p.component = p_filter ->> 'component')
        ), grouped AS (
            SELECT CASE WHEN 'component' = ANY (p_group_by) THEN x.component END AS component,
                   CASE WHEN 'metric_name' = ANY (p_group_by) THEN x.metric_name END AS metric_name,
                   CASE WHEN 'metric_type' = ANY (p_group_by) THEN x.metric_type END AS metric_type,
                   CASE WHEN 'unit' = ANY (p_group_by) THEN x.unit END AS unit,
                   sum(x.n) AS n, sum(x.total) AS total, min(x.low) AS low, max(x.high) AS high
            FROM parts AS x
            GROUP BY 1, 2, 3, 4
        )
        SELECT jsonb_strip_nulls(jsonb_build_object('component', g.component, 'metric_name', g.metric_name,
                                                    'metric_type', g.metric_type, 'unit', g.unit)),
               CASE p_aggregate WHEN 'avg' THEN g.total / g.n WHEN 'min' THEN g.low WHEN 'max' THEN g.high
                                WHEN 'sum' THEN g.total ELSE g.n::double precision END,
               g.n::bigint, NULL::jsonb
        FROM grouped AS g;

    ELSIF p_kind = 'metric' THEN
        -- Grouped on the columns (cheap), labels built once per group; each
        -- family of aggregates in its own query, so that an average does not
        -- pay for a percentile's sort.
        v_fraction := CASE p_aggregate WHEN 'p50' THEN 0.5 WHEN 'p90' THEN 0.9 WHEN 'p95' THEN 0.95 WHEN 'p99' THEN 0.99 END;
        RETURN QUERY
        WITH samples AS (
            SELECT CASE WHEN 'component' = ANY (p_group_by) THEN p.component END AS component,
                   CASE WHEN 'metric_name' = ANY (p_group_by) THEN p.metric_name END AS metric_name,
                   CASE WHEN 'metric_type' = ANY (p_group_by) THEN p.metric_type END AS metric_type,
                   CASE WHEN 'unit' = ANY (p_group_by) THEN p.unit END AS unit,
                   CASE WHEN v_tags = '{}' THEN NULL::jsonb
                        ELSE (SELECT jsonb_object_agg(k, p.tags ->> k) FROM unnest(v_tags) AS k WHERE p.tags ? k)
                   END AS tag_labels,
                   p.metric_value AS v, p.recorded_at AS t
            FROM monitoring.performance_monitoring AS p
            WHERE p.metric_name = p_filter ->> 'metric_name'
              AND p.recorded_at > v_from AND p.recorded_at <= p_at
              AND (p_filter ->> 'component' IS NULL OR p.component = p_filter ->> 'component')
              AND (p_filter -> 'tags' IS NULL OR p.tags @> (p_filter -> 'tags'))
        ), grouped AS (
            SELECT s.component, s.metric_name, s.metric_type, s.unit, s.tag_labels,
                   CASE p_aggregate
                       WHEN 'avg' THEN avg(s.v) WHEN 'min' THEN min(s.v) WHEN 'max' THEN max(s.v)
                       WHEN 'sum' THEN sum(s.v) ELSE count(*)::double precision END AS value,
                   count(*) AS samples
            FROM samples AS s
            WHERE p_aggregate IN ('avg', 'min', 'max', 'sum', 'count')
            GROUP BY 1, 2, 3, 4, 5
            UNION ALL
            SELECT s.component, s.metric_name, s.metric_type, s.unit, s.tag_labels,
                   percentile_cont(v_fraction) WITHIN GROUP (ORDER BY s.v), count(*)
            FROM samples AS s
            WHERE v_fraction IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5
            UNION ALL
            SELECT s.component, s.metric_name, s.metric_type, s.unit, s.tag_labels,
                   CASE p_aggregate
                       WHEN 'last' THEN (array_agg(s.v ORDER BY s.t DESC))[1]
                       WHEN 'delta' THEN (array_agg(s.v ORDER BY s.t DESC))[1] - (array_agg(s.v ORDER BY s.t))[1]
                       ELSE ((array_agg(s.v ORDER BY s.t DESC))[1] - (array_agg(s.v ORDER BY s.t))[1])
                            / nullif(extract(epoch FROM max(s.t) - min(s.t))::double precision, 0) END,
                   count(*)
            FROM samples AS s
            WHERE p_aggregate IN ('last', 'delta', 'rate')
            GROUP BY 1, 2, 3, 4, 5
            HAVING p_aggregate <> 'rate' OR count(*) > 1
        )
        SELECT jsonb_strip_nulls(jsonb_build_object('component', g.component, 'metric_name', g.metric_name,
                                                    'metric_type', g.metric_type, 'unit', g.unit))
               || coalesce(g.tag_labels, '{}'),
               g.value, g.samples, NULL::jsonb
        FROM grouped AS g;

    ELSIF p_kind = 'task' AND p_aggregate IN ('running', 'oldest_running_seconds') THEN
        -- Tasks still running now: the window does not apply.
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'task_type', CASE WHEN 'task_type' = ANY (p_group_by) THEN r.task_type END,
                   'worker_id', CASE WHEN 'worker_id' = ANY (p_group_by) THEN r.worker_id END)),
               CASE p_aggregate WHEN 'running' THEN count(*)::double precision
                    ELSE greatest(extract(epoch FROM p_at - min(r.start_time))::double precision, 0) END,
               count(*),
               jsonb_build_object('running_count', count(*),
                                  'oldest_age_seconds', round(greatest(extract(epoch FROM p_at - min(r.start_time)), 0)),
                                  'oldest_task_ids', to_jsonb((array_agg(r.task_id ORDER BY r.start_time))[1:5]))
        FROM monitoring_internal.running_tasks AS r
        WHERE (p_filter ->> 'task_type' IS NULL OR r.task_type = p_filter ->> 'task_type')
          AND (p_filter ->> 'worker_id' IS NULL OR r.worker_id = p_filter ->> 'worker_id')
        GROUP BY 1;

    ELSIF p_kind = 'task' THEN
        -- Tasks that ended in the window (end_time in it; start_time bounds
        -- the partitions read: no task of the window started before the
        -- window minus the longest duration we keep a task running, 7 days).
        v_fraction := CASE p_aggregate WHEN 'duration_p50' THEN 0.5 WHEN 'duration_p90' THEN 0.9
                                       WHEN 'duration_p95' THEN 0.95 WHEN 'duration_p99' THEN 0.99
                                       WHEN 'duration_percentile' THEN (p_filter ->> 'quantile')::double precision END;
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'task_type', CASE WHEN 'task_type' = ANY (p_group_by) THEN m.task_type END,
                   'worker_id', CASE WHEN 'worker_id' = ANY (p_group_by) THEN m.worker_id END)),
               CASE p_aggregate
                   WHEN 'duration_avg' THEN avg(m.duration_seconds)
                   WHEN 'duration_max' THEN max(m.duration_seconds)
                   WHEN 'failure_ratio' THEN (count(*) FILTER (WHERE m.status IN ('failed', 'timeout')))::double precision / count(*)
                   WHEN 'count' THEN count(*)::double precision
                   WHEN 'throughput' THEN count(*) * 60.0 / p_window_seconds
                   ELSE percentile_cont(coalesce(v_fraction, 0.5)) WITHIN GROUP (ORDER BY m.duration_seconds)
               END,
               count(*),
               jsonb_build_object('ended_count', count(*),
                                  'failed_count', count(*) FILTER (WHERE m.status IN ('failed', 'timeout')),
                                  'max_duration_seconds', max(m.duration_seconds),
                                  'window_minutes', p_window_seconds / 60)
               || CASE WHEN v_fraction IS NULL THEN '{}'::jsonb
                       ELSE jsonb_build_object('percentile', v_fraction, 'percentile_label',
                                               'p' || trim_scale(round((v_fraction * 100)::numeric, 1))::text) END
        FROM monitoring.processing_metrics AS m
        WHERE m.end_time > v_from AND m.end_time <= p_at
          AND m.start_time > v_from - interval '7 days' AND m.start_time <= p_at
          AND m.status <> 'running'
          AND (p_filter ->> 'task_type' IS NULL OR m.task_type = p_filter ->> 'task_type')
          AND (p_filter ->> 'worker_id' IS NULL OR m.worker_id = p_filter ->> 'worker_id')
        GROUP BY 1;

    ELSIF p_kind = 'error' THEN
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'component', CASE WHEN 'component' = ANY (p_group_by) THEN e.component END,
                   'error_type', CASE WHEN 'error_type' = ANY (p_group_by) THEN e.error_type END,
                   'severity', CASE WHEN 'severity' = ANY (p_group_by) THEN e.severity END)),
               CASE p_aggregate WHEN 'per_minute' THEN count(*) * 60.0 / p_window_seconds
                                WHEN 'per_hour' THEN count(*) * 3600.0 / p_window_seconds
                                ELSE count(*)::double precision END,
               count(*),
               jsonb_build_object('error_count', count(*), 'window_minutes', p_window_seconds / 60,
                                  'high_or_critical_count', count(*) FILTER (WHERE e.severity IN ('high', 'critical')),
                                  'last_error_at', max(e.occurred_at))
        FROM monitoring.error_tracking AS e
        WHERE e.occurred_at > v_from AND e.occurred_at <= p_at
          AND (p_filter ->> 'component' IS NULL OR e.component = p_filter ->> 'component')
          AND (p_filter ->> 'error_type' IS NULL OR e.error_type = p_filter ->> 'error_type')
          AND (p_filter ->> 'severity' IS NULL OR e.severity = p_filter ->> 'severity')
        GROUP BY 1;

    ELSIF p_kind = 'queue' THEN
        -- The latest sample in the window per queue (growth: latest pending
        -- minus the window's first; completed and failed: summed).
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'queue_name', CASE WHEN 'queue_name' = ANY (p_group_by) THEN q.queue_name END)),
               CASE p_aggregate
                   WHEN 'pending' THEN sum(q.pending_count) FILTER (WHERE q.latest)::double precision
                   WHEN 'processing' THEN sum(q.processing_count) FILTER (WHERE q.latest)::double precision
                   WHEN 'oldest_pending_seconds' THEN max(q.oldest_pending_age_seconds) FILTER (WHERE q.latest)
                   WHEN 'growth' THEN (sum(q.pending_count) FILTER (WHERE q.latest)
                                       - sum(q.pending_count) FILTER (WHERE q.earliest))::double precision
                   WHEN 'completed' THEN sum(q.completed_count)::double precision
                   ELSE sum(q.failed_count)::double precision
               END,
               count(*),
               jsonb_build_object('pending_count', sum(q.pending_count) FILTER (WHERE q.latest),
                                  'processing_count', sum(q.processing_count) FILTER (WHERE q.latest),
                                  'oldest_pending_age_seconds', max(q.oldest_pending_age_seconds) FILTER (WHERE q.latest),
                                  'sampled_at', max(q.recorded_at))
        FROM (SELECT s.*,
                     s.recorded_at = max(s.recorded_at) OVER (PARTITION BY s.queue_name) AS latest,
                     s.recorded_at = min(s.recorded_at) OVER (PARTITION BY s.queue_name) AS earliest
              FROM monitoring.queue_monitoring AS s
              WHERE s.recorded_at > v_from AND s.recorded_at <= p_at
                AND (p_filter ->> 'queue_name' IS NULL OR s.queue_name = p_filter ->> 'queue_name')) AS q
        GROUP BY 1;

    ELSIF p_kind = 'health' THEN
        -- Each component's current status: the window does not apply.
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'component_type', CASE WHEN 'component_type' = ANY (p_group_by) THEN h.component_type END,
                   'component_name', CASE WHEN 'component_name' = ANY (p_group_by) THEN h.component_name END,
                   'status', CASE WHEN 'status' = ANY (p_group_by) THEN h.status END)),
               CASE p_aggregate
                   WHEN 'status_seconds' THEN max(CASE WHEN h.status <> 'healthy'
                       THEN greatest(extract(epoch FROM p_at - h.status_since)::double precision, 0) ELSE 0 END)
                   WHEN 'unhealthy' THEN max(CASE h.status WHEN 'unhealthy' THEN 1 ELSE 0 END)::double precision
                   WHEN 'response_time_ms' THEN max(h.response_time_ms)::double precision
                   WHEN 'report_age_seconds' THEN max(greatest(extract(epoch FROM p_at - h.last_check_at)::double precision, 0))
                   ELSE max(h.consecutive_failures)::double precision
               END,
               count(*),
               -- The worst component's report (the longest out of health).
               (array_agg(jsonb_build_object(
                    'status', h.status, 'status_since', h.status_since, 'failure_reason', h.failure_reason,
                    'seconds_in_status', round(greatest(extract(epoch FROM p_at - h.status_since), 0)),
                    'reason', coalesce(h.failure_reason, 'no failure reason reported'),
                    'consecutive_failures', h.consecutive_failures, 'response_time_ms', h.response_time_ms,
                    'last_check_at', h.last_check_at)
                ORDER BY h.status = 'healthy', h.status_since))[1]
        FROM monitoring.system_health AS h
        WHERE (p_filter ->> 'component_type' IS NULL OR h.component_type = p_filter ->> 'component_type')
          AND (p_filter ->> 'component_name' IS NULL OR h.component_name = p_filter ->> 'component_name')
          -- status: one status, or a list of them.
          AND (p_filter -> 'status' IS NULL
               OR h.status = ANY (ARRAY(SELECT jsonb_array_elements_text(
                      CASE jsonb_typeof(p_filter -> 'status') WHEN 'array' THEN p_filter -> 'status'
                           ELSE jsonb_build_array(p_filter -> 'status') END))))
        GROUP BY 1;

    ELSIF p_kind = 'pgvigil' AND p_aggregate = 'evaluation_age_seconds' THEN
        -- Since the last whole evaluation of the rules (worker, pg_cron or
        -- by hand); no data before the first one.
        RETURN QUERY
        SELECT '{}'::jsonb, greatest(extract(epoch FROM p_at - c.last_run_at)::double precision, 0), 1::bigint,
               jsonb_build_object('last_run_at', c.last_run_at, 'last_source', c.last_source,
                                  'seconds_since', round(greatest(extract(epoch FROM p_at - c.last_run_at), 0)))
        FROM monitoring_internal.check_runs AS c
        WHERE c.check_name = 'alert_rules';

    ELSIF p_kind = 'pgvigil' AND p_aggregate = 'failed_job_runs' THEN
        -- pgvigil's pg_cron jobs that failed in the window, per job (pg_cron
        -- keeps the runs in cron.job_run_details; none where it is absent).
        -- Static text run with EXECUTE only so that the function compiles
        -- where pg_cron is not installed.
        IF to_regclass('cron.job_run_details') IS NOT NULL AND to_regclass('cron.job') IS NOT NULL THEN
            RETURN QUERY EXECUTE
                $q$SELECT CASE WHEN 'job' = ANY ($3) THEN jsonb_build_object('job', j.jobname) ELSE '{}'::jsonb END,
                          count(*)::double precision, count(*),
                          jsonb_build_object('failed_runs', count(*), 'last_failure_at', max(d.start_time),
                                             'last_message', left((array_agg(d.return_message ORDER BY d.start_time DESC))[1], 500))
                   FROM cron.job_run_details AS d JOIN cron.job AS j USING (jobid)
                   WHERE j.jobname LIKE 'pgvigil-%' AND d.status = 'failed'
                     AND d.start_time > $1 AND d.start_time <= $2
                   GROUP BY 1$q$
                USING v_from, p_at, p_group_by;
        END IF;

    ELSIF p_kind = 'pgvigil' AND p_aggregate = 'disabled_integrations' THEN
        -- Receiver integrations disabled after a 410 Gone, per receiver and
        -- integration as grouped.
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'receiver', CASE WHEN 'receiver' = ANY (p_group_by) THEN d.receiver END,
                   'integration', CASE WHEN 'integration' = ANY (p_group_by) THEN d.integration END)),
               count(*)::double precision, count(*),
               jsonb_build_object('disabled_at', min(d.disabled_at),
                                  'integrations', string_agg(format('%s[%s]', d.integration, d.integration_index), ', '),
                                  'last_error', (array_agg(d.error ORDER BY d.disabled_at DESC))[1])
        FROM monitoring.disabled_integrations AS d
        GROUP BY 1;

    ELSIF p_kind = 'pgvigil' THEN
        -- always: a condition that always holds (the Watchdog alert).
        RETURN QUERY SELECT '{}'::jsonb, 1::double precision, 1::bigint, '{}'::jsonb;
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.source_values(text, jsonb, text, double precision, text[], timestamptz) IS
    'Internal: a rule''s aggregate of its source over its window ending at p_at, one row per group (labels, value, samples, details).';
