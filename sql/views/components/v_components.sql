CREATE OR REPLACE VIEW monitoring.v_components AS
-- Every registered component with what an on-call engineer asks first:
-- its health now, its open alerts, when it last reported, and its labels.
SELECT c.component,
       c.component_type,
       c.labels,
       c.criticality,
       c.depends_on,
       c.description,
       h.status AS health_status,
       h.status_since AS health_status_since,
       h.failure_reason,
       h.response_time_ms,
       greatest(c.last_seen_at, h.last_check_at) AS last_report_at,
       coalesce(a.open_alerts, 0) AS open_alerts,
       a.top_severity,
       c.seen_in,
       c.first_seen_at,
       c.updated_at
FROM monitoring.components AS c
LEFT JOIN LATERAL (
    -- A component named in several health reports (one per type): the worst.
    SELECT s.status, s.status_since, s.failure_reason, s.response_time_ms, s.last_check_at
    FROM monitoring.system_health AS s
    WHERE s.component_name = c.component
    ORDER BY CASE s.status WHEN 'unhealthy' THEN 0 WHEN 'degraded' THEN 1 ELSE 2 END, s.last_check_at DESC
    LIMIT 1
) AS h ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS open_alerts,
           (array_agg(x.severity ORDER BY CASE x.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1
                                                          WHEN 'medium' THEN 2 ELSE 3 END))[1] AS top_severity
    FROM monitoring.alerts AS x
    WHERE x.component = c.component AND x.resolved_at IS NULL
) AS a ON true
ORDER BY c.component;

COMMENT ON VIEW monitoring.v_components IS
    'Registered components: type, labels, criticality, depends_on, current health, open alerts and their top severity, last report.';
