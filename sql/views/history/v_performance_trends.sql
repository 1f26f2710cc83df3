CREATE OR REPLACE VIEW monitoring.v_performance_trends AS
-- Complete up to now at any refresh state: the 5-minute rollups of the
-- buckets before the one holding the boundary as they are, then that bucket
-- and the newer ones from performance_tail() (minute rollups before the
-- boundary, raw samples from it on). The boundary, rollup_boundary(), is the
-- rollup watermark, or the oldest minute still queued for re-aggregation if
-- earlier (late samples, a refresh in progress), read in the same snapshot
-- as the data; here it is an index condition, evaluated once. A filter on
-- "time" reaches both branches (the key of the rollups, the tail's rows).
SELECT f.bucket AS "time",
       f.metric_name,
       f.metric_type,
       f.component,
       f.unit,
       f.sample_count AS samples,
       f.value_sum / f.sample_count AS avg_value,
       f.value_min AS min_value,
       f.value_max AS max_value
FROM monitoring.performance_rollup_5min AS f
WHERE f.bucket >= date_bin('5 minutes', now() - interval '24 hours', TIMESTAMPTZ '2000-01-01 00:00:00+00')
  AND f.bucket < date_bin('5 minutes',
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
       t.value_max
FROM monitoring.performance_tail(
         date_bin('5 minutes', now() - interval '24 hours', TIMESTAMPTZ '2000-01-01 00:00:00+00'),
         interval '5 minutes') AS t
ORDER BY 1 DESC, 2, 4;

COMMENT ON VIEW monitoring.v_performance_trends IS
    'Performance samples of the last 24 hours in 5-minute buckets ("time", for Grafana; the first bucket is the whole one holding now - 24 h) per metric, type, component and unit: count, mean, min, max. Complete up to now: 5-minute and minute rollups below the rollup watermark, raw samples after it. No percentile: rollups keep count, sum, min and max only, from which no percentile can be derived.';
