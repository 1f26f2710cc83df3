CREATE OR REPLACE VIEW monitoring.v_performance_history AS
-- Hourly over the last 365 days, complete up to now: the hour rollups of
-- the hours before the boundary's hour as they are, then that hour and the
-- rest rebuilt from minute rollups (before the boundary) and raw samples
-- (from it on). The boundary is the rollup watermark, or the oldest minute
-- still queued for re-aggregation if earlier (see v_performance_trends). A
-- filter on "time" reaches the hour rollups as a condition on their key.
SELECT h.bucket AS "time",
       h.metric_name,
       h.metric_type,
       h.component,
       h.unit,
       h.sample_count AS samples,
       h.value_sum / h.sample_count AS avg_value,
       h.value_min AS min_value,
       h.value_max AS max_value
FROM monitoring.performance_rollup_hour AS h
WHERE h.bucket >= date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00')
  AND h.bucket < date_bin('1 hour',
                          monitoring.rollup_boundary('performance_monitoring'),
                          TIMESTAMPTZ '2000-01-01 00:00:00+00')
UNION ALL
SELECT t."time",
       t.metric_name,
       t.metric_type,
       t.component,
       t.unit,
       sum(t.sample_count)::bigint,
       sum(t.value_sum) / sum(t.sample_count),
       min(t.value_min),
       max(t.value_max)
FROM (
    SELECT date_bin('1 hour', m.bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS "time",
           m.metric_name, m.metric_type, m.component, m.unit,
           m.sample_count, m.value_sum, m.value_min, m.value_max
    FROM monitoring.performance_rollup_minute AS m
    WHERE m.bucket >= date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND m.bucket >= date_bin('1 hour',
                               monitoring.rollup_boundary('performance_monitoring'),
                               TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND m.bucket < monitoring.rollup_boundary('performance_monitoring')
    UNION ALL
    SELECT date_bin('1 hour', p.recorded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
           p.metric_name, p.metric_type, p.component, p.unit,
           1, p.metric_value, p.metric_value, p.metric_value
    FROM monitoring.performance_monitoring AS p
    WHERE p.recorded_at >= date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND p.recorded_at >= monitoring.rollup_boundary('performance_monitoring')
) AS t
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1 DESC, 2, 4;

COMMENT ON VIEW monitoring.v_performance_history IS
    'Performance samples of the last 365 days per UTC hour ("time", for Grafana), metric, type, component and unit: count, mean, min, max. Complete up to now: hour rollups, then minute rollups and raw samples for the newest minutes.';
