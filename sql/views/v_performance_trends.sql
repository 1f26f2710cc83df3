CREATE OR REPLACE VIEW monitoring.v_performance_trends AS
SELECT date_bin('5 minutes', p.recorded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS "time",
       p.metric_name,
       p.metric_type,
       p.component,
       p.unit,
       count(*) AS samples,
       avg(p.metric_value) AS avg_value,
       min(p.metric_value) AS min_value,
       max(p.metric_value) AS max_value,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY p.metric_value) AS p95_value
FROM monitoring.performance_monitoring AS p
WHERE p.recorded_at > now() - interval '24 hours'
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1 DESC, 2, 4;

COMMENT ON VIEW monitoring.v_performance_trends IS
    'Performance samples of the last 24 hours in 5-minute buckets ("time", for Grafana) per metric, type, component and unit: count, mean, min, max, p95.';
