CREATE OR REPLACE VIEW monitoring.v_system_health_summary AS
-- The window, now() - 24 h, is written out in each WHERE (not taken from a
-- CTE) so that partitions outside it are pruned when the query starts.
WITH status_changes AS (
    -- Changes inside the window, plus each component's last change before it
    -- (its status when the window opened), found by index, not by a scan.
    SELECT hh.component_type, hh.component_name, hh.status, hh.changed_at
    FROM monitoring.system_health_history AS hh
    WHERE hh.changed_at > now() - interval '24 hours'
    UNION ALL
    SELECT h.component_type, h.component_name, opening.status, opening.changed_at
    FROM monitoring.system_health AS h
    CROSS JOIN LATERAL (
        SELECT hh.status, hh.changed_at
        FROM monitoring.system_health_history AS hh
        WHERE hh.component_type = h.component_type
          AND hh.component_name = h.component_name
          AND hh.changed_at <= now() - interval '24 hours'
        ORDER BY hh.changed_at DESC
        LIMIT 1
    ) AS opening
), periods AS (
    -- Status periods overlapping the last 24 h.
    SELECT c.component_type, c.component_name, c.status,
           greatest(c.changed_at, now() - interval '24 hours') AS period_start,
           coalesce(lead(c.changed_at) OVER (PARTITION BY c.component_type, c.component_name
                                             ORDER BY c.changed_at), now()) AS period_end
    FROM status_changes AS c
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
