CREATE OR REPLACE VIEW monitoring.v_performance_history AS
-- Hourly over the last 365 days, complete up to now: the hour rollups of
-- the hours before the one holding the boundary as they are, then that hour
-- and the newer ones from performance_tail() (minute rollups before the
-- boundary, raw samples from it on). The boundary is the rollup watermark,
-- or the oldest minute still queued for re-aggregation if earlier (see
-- v_performance_trends). A filter on "time" reaches the hour rollups as a
-- condition on their key. p95_value: stored with each hour rollup by the
-- refresh, estimated by the tail the same way for its hours.
SELECT h.bucket AS "time",
       h.metric_name,
       h.metric_type,
       h.component,
       h.unit,
       h.sample_count AS samples,
       h.value_sum / h.sample_count AS avg_value,
       h.value_min AS min_value,
       h.value_max AS max_value,
       h.value_p95 AS p95_value
FROM monitoring.performance_rollup_hour AS h
WHERE h.bucket >= date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00')
  AND h.bucket < date_bin('1 hour',
                          monitoring.rollup_boundary('performance_monitoring'),
                          TIMESTAMPTZ '2000-01-01 00:00:00+00')
UNION ALL
SELECT t.bucket,
       t.metric_name,
       t.metric_type,
       t.component,
       t.unit,
       t.sample_count,
       t.value_sum / t.sample_count,
       t.value_min,
       t.value_max,
       t.value_percentile
FROM monitoring.performance_tail(
         date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00'),
         interval '1 hour', 0.95) AS t
ORDER BY 1 DESC, 2, 4;

COMMENT ON VIEW monitoring.v_performance_history IS
    'Performance samples of the last 365 days per UTC hour ("time", for Grafana), metric, type, component and unit: count, mean, min, max, and p95_value, the 95th percentile estimated from the value sketches (within 2%, as in v_performance_trends; NULL for hours rolled up before the sketches existed). Complete up to now: hour rollups, then minute rollups and raw samples for the newest minutes.';
