CREATE OR REPLACE FUNCTION monitoring.prometheus_metrics()
RETURNS text
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- pgvigil's state in the Prometheus text exposition format (0.0.4), as
-- pgvigil serve answers GET /metrics: base units, counters ending in
-- _total, no timestamps, a HELP and a TYPE line per family. pgvigil serve
-- adds pgvigil_up and pgvigil_scrape_duration_seconds. Every family:
-- - pgvigil_tasks_total{task_type,status}: tasks ended (completed, failed,
--   cancelled) since the history began: the hour rollups, the newest
--   minutes, and what retention expired (expired_task_totals), so the
--   counter never goes down;
-- - pgvigil_task_duration_seconds{task_type}: a histogram of the same
--   tasks, from the rollups' fixed duration buckets (task_duration_bounds);
-- - pgvigil_tasks_running{task_type};
-- - pgvigil_errors_last_hour{component,severity}: a gauge over the last
--   hour (raw errors are dropped by retention, so no counter would hold);
-- - pgvigil_component_healthy{component_type,component,status}: 1 when
--   healthy, else 0; pgvigil_component_response_time_seconds;
-- - pgvigil_queue_pending, pgvigil_queue_processing and
--   pgvigil_queue_oldest_pending_age_seconds{queue}, from each queue's
--   newest sample of the last 24 hours;
-- - pgvigil_alerts{severity,state}: open alerts (pending, firing,
--   acknowledged), every pair present, 0 when none;
-- - pgvigil_notifications_total{receiver,integration,status}: notifications
--   written to the outbox by their status now (delivered, failed, held
--   are final; pending is not a counter, see pgvigil_notifications_pending);
--   pgvigil_notification_attempts_total{receiver,integration,outcome}.
DECLARE
    v_boundary timestamptz := monitoring.rollup_boundary('processing_metrics');
    v_bounds double precision[] := monitoring.task_duration_bounds();
    v_out text[] := '{}'::text[];
    v_lines text;
BEGIN
    -- Tasks ended, and their durations: kept hour rollups before the
    -- boundary's hour, the tail from it on, and what retention expired.
    WITH totals AS (
        SELECT u.task_type, sum(u.completed_count) AS completed_count, sum(u.failed_count) AS failed_count,
               sum(u.cancelled_count) AS cancelled_count, sum(u.duration_sum) AS duration_sum,
               monitoring.sum_bucket_counts(u.duration_buckets) AS duration_buckets
        FROM (SELECT h.task_type, h.completed_count, h.failed_count, h.cancelled_count,
                     h.duration_sum, h.duration_buckets
              FROM monitoring.task_rollup_hour AS h
              WHERE h.bucket < date_bin('1 hour', v_boundary, TIMESTAMPTZ '2000-01-01 00:00:00+00')
              UNION ALL
              SELECT t.task_type, t.completed_count, t.failed_count, t.cancelled_count,
                     t.duration_sum, t.duration_buckets
              FROM monitoring.task_tail('-infinity', interval '1 hour') AS t
              UNION ALL
              SELECT e.task_type, e.completed_count, e.failed_count, e.cancelled_count,
                     e.duration_sum, e.duration_buckets
              FROM monitoring_internal.expired_task_totals AS e) AS u
        GROUP BY u.task_type
    ), lines AS (
        SELECT 1 AS family, t.task_type, s.ord, format('pgvigil_tasks_total{task_type="%s",status="%s"} %s',
                   monitoring_internal.prometheus_escape(t.task_type), s.status, s.n) AS line
        FROM totals AS t,
             LATERAL (VALUES (1, 'cancelled', t.cancelled_count), (2, 'completed', t.completed_count),
                             (3, 'failed', t.failed_count)) AS s (ord, status, n)
        UNION ALL
        SELECT 2, t.task_type, b.i,
               format('pgvigil_task_duration_seconds_bucket{task_type="%s",le="%s"} %s',
                      monitoring_internal.prometheus_escape(t.task_type),
                      monitoring_internal.prometheus_number(v_bounds[b.i]),
                      (SELECT coalesce(sum(c), 0) FROM unnest(t.duration_buckets[1:b.i]) AS c))
        FROM totals AS t, generate_series(1, array_length(v_bounds, 1)) AS b (i)
        UNION ALL
        SELECT 2, t.task_type, 1000,
               format('pgvigil_task_duration_seconds_sum{task_type="%s"} %s',
                      monitoring_internal.prometheus_escape(t.task_type),
                      monitoring_internal.prometheus_number(coalesce(t.duration_sum, 0)))
        FROM totals AS t
        UNION ALL
        SELECT 2, t.task_type, 1001,
               format('pgvigil_task_duration_seconds_count{task_type="%s"} %s',
                      monitoring_internal.prometheus_escape(t.task_type),
                      (SELECT coalesce(sum(c), 0) FROM unnest(t.duration_buckets) AS c))
        FROM totals AS t
    )
    SELECT array_to_string(ARRAY[
               '# HELP pgvigil_tasks_total Tasks ended, by type and final status.',
               '# TYPE pgvigil_tasks_total counter',
               (SELECT string_agg(l.line, E'\n' ORDER BY l.task_type, l.ord) FROM lines AS l WHERE l.family = 1),
               '# HELP pgvigil_task_duration_seconds Durations of the tasks ended, by type.',
               '# TYPE pgvigil_task_duration_seconds histogram',
               (SELECT string_agg(l.line, E'\n' ORDER BY l.task_type, l.ord) FROM lines AS l WHERE l.family = 2)],
           E'\n')
    INTO v_lines;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_tasks_running Tasks started and not yet ended, by type.',
        '# TYPE pgvigil_tasks_running gauge'];
    SELECT string_agg(format('pgvigil_tasks_running{task_type="%s"} %s',
                             monitoring_internal.prometheus_escape(r.task_type), r.n), E'\n' ORDER BY r.task_type)
    INTO v_lines
    FROM (SELECT rt.task_type, count(*) AS n FROM monitoring_internal.running_tasks AS rt GROUP BY rt.task_type) AS r;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_errors_last_hour Errors recorded in the last hour, by component and severity.',
        '# TYPE pgvigil_errors_last_hour gauge'];
    SELECT string_agg(format('pgvigil_errors_last_hour{component="%s",severity="%s"} %s',
                             monitoring_internal.prometheus_escape(e.component), e.severity, e.n), E'\n'
                      ORDER BY e.component, e.severity)
    INTO v_lines
    FROM (SELECT coalesce(et.component, '') AS component, et.severity, count(*) AS n
          FROM monitoring.error_tracking AS et
          WHERE et.occurred_at > now() - interval '1 hour'
          GROUP BY 1, 2) AS e;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_component_healthy 1 when the component''s last report was healthy, else 0.',
        '# TYPE pgvigil_component_healthy gauge'];
    SELECT string_agg(format('pgvigil_component_healthy{component_type="%s",component="%s",status="%s"} %s',
                             monitoring_internal.prometheus_escape(h.component_type),
                             monitoring_internal.prometheus_escape(h.component_name), h.status,
                             CASE WHEN h.status = 'healthy' THEN 1 ELSE 0 END), E'\n'
                      ORDER BY h.component_type, h.component_name)
    INTO v_lines
    FROM monitoring.system_health AS h;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_component_response_time_seconds The response time of the component''s last health report.',
        '# TYPE pgvigil_component_response_time_seconds gauge'];
    SELECT string_agg(format('pgvigil_component_response_time_seconds{component_type="%s",component="%s"} %s',
                             monitoring_internal.prometheus_escape(h.component_type),
                             monitoring_internal.prometheus_escape(h.component_name),
                             monitoring_internal.prometheus_number((h.response_time_ms / 1000)::double precision)), E'\n'
                      ORDER BY h.component_type, h.component_name)
    INTO v_lines
    FROM monitoring.system_health AS h
    WHERE h.response_time_ms IS NOT NULL;
    v_out := v_out || v_lines;

    -- Each queue's newest sample of the last 24 hours.
    WITH q AS (
        SELECT DISTINCT ON (x.queue_name) x.queue_name, x.pending_count, x.processing_count,
               x.oldest_pending_age_seconds
        FROM monitoring.queue_monitoring AS x
        WHERE x.recorded_at > now() - interval '24 hours'
        ORDER BY x.queue_name, x.recorded_at DESC
    )
    SELECT array_to_string(ARRAY[
               '# HELP pgvigil_queue_pending Items waiting in the queue, at its newest sample.',
               '# TYPE pgvigil_queue_pending gauge',
               (SELECT string_agg(format('pgvigil_queue_pending{queue="%s"} %s',
                                         monitoring_internal.prometheus_escape(q.queue_name), q.pending_count),
                                  E'\n' ORDER BY q.queue_name) FROM q),
               '# HELP pgvigil_queue_processing Items being processed, at the queue''s newest sample.',
               '# TYPE pgvigil_queue_processing gauge',
               (SELECT string_agg(format('pgvigil_queue_processing{queue="%s"} %s',
                                         monitoring_internal.prometheus_escape(q.queue_name), q.processing_count),
                                  E'\n' ORDER BY q.queue_name) FROM q),
               '# HELP pgvigil_queue_oldest_pending_age_seconds Age of the oldest waiting item, at the queue''s newest sample.',
               '# TYPE pgvigil_queue_oldest_pending_age_seconds gauge',
               (SELECT string_agg(format('pgvigil_queue_oldest_pending_age_seconds{queue="%s"} %s',
                                         monitoring_internal.prometheus_escape(q.queue_name),
                                         monitoring_internal.prometheus_number(q.oldest_pending_age_seconds)),
                                  E'\n' ORDER BY q.queue_name) FROM q WHERE q.oldest_pending_age_seconds IS NOT NULL)],
           E'\n')
    INTO v_lines;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_alerts Open alerts, by severity and state (pending, firing, acknowledged).',
        '# TYPE pgvigil_alerts gauge'];
    SELECT string_agg(format('pgvigil_alerts{severity="%s",state="%s"} %s', s.severity, st.state,
                             (SELECT count(*) FROM monitoring.v_active_alerts AS a
                              WHERE a.severity = s.severity
                                AND CASE WHEN a.status = 'acknowledged' THEN 'acknowledged'
                                         WHEN a.state = 'pending' THEN 'pending' ELSE 'firing' END = st.state)),
                      E'\n' ORDER BY s.rank, st.rank)
    INTO v_lines
    FROM (VALUES ('critical', 1), ('high', 2), ('medium', 3), ('low', 4)) AS s (severity, rank),
         (VALUES ('firing', 1), ('acknowledged', 2), ('pending', 3)) AS st (state, rank);
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_notifications_total Notifications written to the outbox, by receiver, integration and status now.',
        '# TYPE pgvigil_notifications_total counter'];
    SELECT string_agg(format('pgvigil_notifications_total{receiver="%s",integration="%s",status="%s"} %s',
                             monitoring_internal.prometheus_escape(n.receiver),
                             monitoring_internal.prometheus_escape(n.integration), n.status, n.n), E'\n'
                      ORDER BY n.receiver, n.integration, n.status)
    INTO v_lines
    FROM (SELECT x.receiver, x.integration, x.status, count(*) AS n
          FROM monitoring.notifications AS x WHERE x.status <> 'pending' GROUP BY 1, 2, 3) AS n;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_notifications_pending Notifications waiting to be delivered, by receiver.',
        '# TYPE pgvigil_notifications_pending gauge'];
    SELECT string_agg(format('pgvigil_notifications_pending{receiver="%s"} %s',
                             monitoring_internal.prometheus_escape(n.receiver), n.n), E'\n' ORDER BY n.receiver)
    INTO v_lines
    FROM (SELECT r.receiver, count(x.*) AS n
          FROM (SELECT DISTINCT receiver FROM monitoring.notifications) AS r
          LEFT JOIN monitoring.notifications AS x ON x.receiver = r.receiver AND x.status = 'pending'
          GROUP BY 1) AS n;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_notification_attempts_total Delivery attempts, by receiver, integration and outcome.',
        '# TYPE pgvigil_notification_attempts_total counter'];
    SELECT string_agg(format('pgvigil_notification_attempts_total{receiver="%s",integration="%s",outcome="%s"} %s',
                             monitoring_internal.prometheus_escape(a.receiver),
                             monitoring_internal.prometheus_escape(a.integration), a.outcome, a.n), E'\n'
                      ORDER BY a.receiver, a.integration, a.outcome)
    INTO v_lines
    FROM (SELECT x.receiver, x.integration, t.outcome, count(*) AS n
          FROM monitoring.notification_attempts AS t
          JOIN monitoring.notifications AS x USING (notification_id)
          GROUP BY 1, 2, 3) AS a;
    v_out := v_out || v_lines;

    RETURN array_to_string(v_out, E'\n') || E'\n';
END;
$$;
COMMENT ON FUNCTION monitoring.prometheus_metrics() IS
    'pgvigil''s tasks, durations, errors, health, queues, alerts and notification delivery in the Prometheus text format, as GET /metrics serves it.';
