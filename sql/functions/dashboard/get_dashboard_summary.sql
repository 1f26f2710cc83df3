CREATE OR REPLACE FUNCTION monitoring.get_dashboard_summary()
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- One document for a dashboard: tasks (24 h by status, running, last-hour
    -- throughput and durations), errors, health, queues and open alerts.
    -- Reads at most the last 24 h of history.
    SELECT jsonb_build_object(
        'generated_at', now(),
        'tasks', (
            SELECT jsonb_build_object(
                'window_hours', 24,
                'by_status', coalesce((
                    SELECT jsonb_object_agg(s.status, s.n)
                    FROM (SELECT m.status, count(*) AS n
                          FROM monitoring.processing_metrics AS m
                          WHERE m.start_time > now() - interval '24 hours'
                          GROUP BY m.status) AS s), '{}'::jsonb),
                'running', (SELECT count(*) FROM monitoring_internal.running_tasks),
                'completed_last_hour', count(*) FILTER (WHERE h.status = 'completed'),
                'failed_last_hour', count(*) FILTER (WHERE h.status IN ('failed', 'timeout')),
                'throughput_per_minute', round(count(*) / 60.0, 2),
                'avg_duration_seconds', round(avg(h.duration_seconds)::numeric, 3),
                'p95_duration_seconds', round((percentile_cont(0.95) WITHIN GROUP (ORDER BY h.duration_seconds))::numeric, 3))
            FROM monitoring.processing_metrics AS h
            WHERE h.end_time > now() - interval '1 hour' AND h.end_time <= now()),
        'errors', (
            SELECT jsonb_build_object(
                'last_hour', count(*) FILTER (WHERE e.occurred_at > now() - interval '1 hour'),
                'last_24h', count(*),
                'by_severity', jsonb_build_object(
                    'critical', count(*) FILTER (WHERE e.severity = 'critical'),
                    'high', count(*) FILTER (WHERE e.severity = 'high'),
                    'medium', count(*) FILTER (WHERE e.severity = 'medium'),
                    'low', count(*) FILTER (WHERE e.severity = 'low')),
                'top_components', coalesce((
                    SELECT jsonb_agg(jsonb_build_object('component', c.component, 'errors', c.n) ORDER BY c.n DESC)
                    FROM (SELECT e2.component, count(*) AS n FROM monitoring.error_tracking AS e2
                          WHERE e2.occurred_at > now() - interval '24 hours'
                          GROUP BY e2.component ORDER BY count(*) DESC LIMIT 5) AS c), '[]'::jsonb))
            FROM monitoring.error_tracking AS e
            WHERE e.occurred_at > now() - interval '24 hours'),
        'health', (
            SELECT jsonb_build_object(
                'healthy', count(*) FILTER (WHERE h.status = 'healthy'),
                'degraded', count(*) FILTER (WHERE h.status = 'degraded'),
                'unhealthy', count(*) FILTER (WHERE h.status = 'unhealthy'),
                'components', coalesce(jsonb_agg(jsonb_build_object(
                    'component_type', h.component_type, 'component_name', h.component_name,
                    'status', h.status, 'status_since', h.status_since,
                    'response_time_ms', h.response_time_ms, 'failure_reason', h.failure_reason,
                    'last_check_at', h.last_check_at)
                    ORDER BY monitoring_internal.severity_rank(CASE h.status WHEN 'unhealthy' THEN 'critical'
                                                      WHEN 'degraded' THEN 'high' ELSE 'low' END) DESC,
                             h.component_type, h.component_name), '[]'::jsonb))
            FROM monitoring.system_health AS h),
        'queues', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                'queue_name', q.queue_name, 'pending', q.pending_count, 'processing', q.processing_count,
                'oldest_pending_age_seconds', q.oldest_pending_age_seconds, 'recorded_at', q.recorded_at)
                ORDER BY q.pending_count DESC, q.queue_name)
            FROM (SELECT DISTINCT ON (q1.queue_name) q1.*
                  FROM monitoring.queue_monitoring AS q1
                  WHERE q1.recorded_at > now() - interval '24 hours'
                  ORDER BY q1.queue_name, q1.recorded_at DESC) AS q), '[]'::jsonb),
        'alerts', (
            SELECT jsonb_build_object(
                'active', count(*),
                'by_severity', jsonb_build_object(
                    'critical', count(*) FILTER (WHERE a.severity = 'critical'),
                    'high', count(*) FILTER (WHERE a.severity = 'high'),
                    'medium', count(*) FILTER (WHERE a.severity = 'medium'),
                    'low', count(*) FILTER (WHERE a.severity = 'low')),
                'acknowledged', count(*) FILTER (WHERE a.status = 'acknowledged'),
                'items', coalesce((
                    SELECT jsonb_agg(to_jsonb(t) ORDER BY monitoring_internal.severity_rank(t.severity) DESC, t.triggered_at)
                    FROM (SELECT a2.alert_id, a2.alert_type, a2.subject, a2.severity, a2.status, a2.title,
                                 a2.message, a2.triggered_at, a2.triggered_by, a2.last_seen_at,
                                 a2.occurrence_count
                          FROM monitoring.alerts AS a2 WHERE a2.resolved_at IS NULL
                          ORDER BY monitoring_internal.severity_rank(a2.severity) DESC, a2.triggered_at
                          LIMIT 20) AS t), '[]'::jsonb))
            FROM monitoring.alerts AS a
            WHERE a.resolved_at IS NULL)
    );
$$;
COMMENT ON FUNCTION monitoring.get_dashboard_summary() IS
    'One jsonb document for dashboards: tasks (24 h by status, running, last-hour throughput and durations), errors (last hour, 24 h, by severity, top components), health per component, latest sample per queue, open alerts by severity with the 20 most severe.';
