CREATE OR REPLACE VIEW monitoring.v_performance_trends AS
-- Minute rollups before the boundary, raw samples from it on, so the view is
-- complete up to now at any refresh state. The boundary, rollup_boundary(),
-- is the rollup watermark, or the oldest minute still queued for
-- re-aggregation if earlier (late samples, a refresh in progress), read in
-- the same snapshot as the data. The windows are written out in each branch (not in a CTE) so
-- partitions outside them are pruned and a filter on "time" reaches both.
SELECT b."time",
       b.metric_name,
       b.metric_type,
       b.component,
       b.unit,
       sum(b.sample_count)::bigint AS samples,
       sum(b.value_sum) / sum(b.sample_count) AS avg_value,
       min(b.value_min) AS min_value,
       max(b.value_max) AS max_value
FROM (
    SELECT date_bin('5 minutes', r.bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS "time",
           r.metric_name, r.metric_type, r.component, r.unit,
           r.sample_count, r.value_sum, r.value_min, r.value_max
    FROM monitoring.performance_rollup_minute AS r
    WHERE r.bucket >= date_bin('5 minutes', now() - interval '24 hours', TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND r.bucket < monitoring.rollup_boundary('performance_monitoring')
    UNION ALL
    SELECT date_bin('5 minutes', p.recorded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
           p.metric_name, p.metric_type, p.component, p.unit,
           1, p.metric_value, p.metric_value, p.metric_value
    FROM monitoring.performance_monitoring AS p
    WHERE p.recorded_at >= date_bin('5 minutes', now() - interval '24 hours', TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND p.recorded_at >= monitoring.rollup_boundary('performance_monitoring')
) AS b
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1 DESC, 2, 4;

COMMENT ON VIEW monitoring.v_performance_trends IS
    'Performance samples of the last 24 hours in 5-minute buckets ("time", for Grafana; the first bucket is the whole one holding now - 24 h) per metric, type, component and unit: count, mean, min, max. Complete up to now: minute rollups below the rollup watermark, raw samples after it. No percentile: rollups keep count, sum, min and max only, from which no percentile can be derived.';
