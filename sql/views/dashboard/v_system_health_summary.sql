CREATE OR REPLACE VIEW monitoring.v_system_health_summary AS
-- Uptime over the last 24 h is component_uptime_report()'s, the one home of
-- that rule (the Reports page asks it for other ranges). The window, now() -
-- 24 h, is written out in the WHERE (not taken from a CTE) so that partitions
-- outside it are pruned when the query starts.
WITH changes AS (
    SELECT hh.component_type, hh.component_name,
           count(*) FILTER (WHERE hh.previous_status IS NOT NULL) AS status_changes_24h,
           avg(hh.recovery_seconds) AS mean_time_to_recovery_seconds
    FROM monitoring.system_health_history AS hh
    WHERE hh.changed_at > now() - interval '24 hours'
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
       u.uptime_ratio AS uptime_ratio_24h,
       coalesce(c.status_changes_24h, 0) AS status_changes_24h,
       c.mean_time_to_recovery_seconds
FROM monitoring.system_health AS h
LEFT JOIN monitoring.component_uptime_report(now() - interval '24 hours', now()) AS u
    USING (component_type, component_name)
LEFT JOIN changes AS c USING (component_type, component_name)
ORDER BY CASE h.status WHEN 'unhealthy' THEN 0 WHEN 'degraded' THEN 1 ELSE 2 END,
         h.component_type, h.component_name;

COMMENT ON VIEW monitoring.v_system_health_summary IS
    'Per component: current status and since when, latest response time (ms) and failure reason, uptime over the last 24 h (share of observed time healthy, 0 to 1), status changes and mean time to recovery (seconds from leaving healthy to returning) in the last 24 h.';
