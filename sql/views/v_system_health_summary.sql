CREATE OR REPLACE VIEW monitoring.v_system_health_summary AS
WITH window_start AS (
    SELECT now() - interval '24 hours' AS since
), periods AS (
    -- Status periods overlapping the last 24 h, from the change history.
    SELECT hh.component_type, hh.component_name, hh.status,
           greatest(hh.changed_at, w.since) AS period_start,
           coalesce(lead(hh.changed_at) OVER (PARTITION BY hh.component_type, hh.component_name
                                              ORDER BY hh.changed_at), now()) AS period_end
    FROM monitoring.system_health_history AS hh, window_start AS w
    WHERE hh.changed_at > w.since
       OR hh.changed_at = (SELECT max(p.changed_at) FROM monitoring.system_health_history AS p
                           WHERE p.component_type = hh.component_type
                             AND p.component_name = hh.component_name
                             AND p.changed_at <= w.since)
), uptime AS (
    SELECT p.component_type, p.component_name,
           sum(extract(epoch FROM p.period_end - p.period_start))
               FILTER (WHERE p.status = 'healthy') AS healthy_seconds,
           sum(extract(epoch FROM p.period_end - p.period_start)) AS observed_seconds
    FROM periods AS p
    WHERE p.period_end > p.period_start
    GROUP BY 1, 2
), changes AS (
    SELECT hh.component_type, hh.component_name,
           count(*) FILTER (WHERE hh.previous_status IS NOT NULL) AS status_changes_24h,
           avg(hh.recovery_seconds) AS mean_time_to_recovery_seconds
    FROM monitoring.system_health_history AS hh, window_start AS w
    WHERE hh.changed_at > w.since
    GROUP BY 1, 2
)
SELECT h.component_type,
       h.component_name,
       h.status,
       h.status_since,
       extract(epoch FROM now() - h.status_since)::double precision AS seconds_in_status,
       h.last_check_at,
       h.response_time_ms,
       h.failure_reason,
       h.consecutive_failures,
       h.last_healthy_at,
       round((coalesce(u.healthy_seconds, 0) / nullif(u.observed_seconds, 0))::numeric, 4) AS uptime_ratio_24h,
       coalesce(c.status_changes_24h, 0) AS status_changes_24h,
       c.mean_time_to_recovery_seconds
FROM monitoring.system_health AS h
LEFT JOIN uptime AS u USING (component_type, component_name)
LEFT JOIN changes AS c USING (component_type, component_name)
ORDER BY CASE h.status WHEN 'unhealthy' THEN 0 WHEN 'degraded' THEN 1 ELSE 2 END,
         h.component_type, h.component_name;

COMMENT ON VIEW monitoring.v_system_health_summary IS
    'Per component: current status and since when, latest response time (ms) and failure reason, uptime over the last 24 h (share of observed time healthy, 0 to 1), status changes and mean time to recovery (seconds from leaving healthy to returning) in the last 24 h.';
