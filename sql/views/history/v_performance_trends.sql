CREATE OR REPLACE VIEW monitoring.v_performance_trends AS
-- Complete up to now at any refresh state: the 5-minute rollups of the
-- buckets before the one holding the boundary as they are, then that bucket
-- and the newer ones from performance_tail() (minute rollups before the
-- boundary, raw samples from it on). The boundary, rollup_boundary(), is the
-- rollup watermark, or the oldest minute still queued for re-aggregation if
-- earlier (late samples, a refresh in progress), read in the same snapshot
-- as the data; here it is an index condition, evaluated once. A filter on
-- "time" reaches both branches (the key of the rollups, the tail's rows).
-- p95_value: stored with each 5-minute rollup by the refresh, estimated by
-- the tail the same way for its buckets: no percentile is computed per row
-- of the 24 hours here.
-- Shape for speed: the branches are a UNION ALL in FROM without conditions
-- of their own, and the window applies to the rollup branch from outside
-- (b.from_tail is a constant per branch, so each branch gets only its own
-- condition). A branch with a WHERE of its own is planned as a separate
-- subquery whose order the planner cannot use; this way it merges the
-- branches in "time" order (the rollups read by their key backwards, the
-- small tail sorted on its own) and sorts each bucket's rows by metric and
-- component (an incremental sort) instead of the whole day at once (57,600
-- rows for 200 series, spilled to disk at the default work_mem); with the
-- index in the ORDER BY's order (migration 0016) it reads the rollups as
-- they are listed and does not sort them at all.
SELECT b."time",
       b.metric_name,
       b.metric_type,
       b.component,
       b.unit,
       b.samples,
       b.avg_value,
       b.min_value,
       b.max_value,
       b.p95_value
FROM (SELECT false AS from_tail,
             f.bucket AS "time",
             f.metric_name,
             f.metric_type,
             f.component,
             f.unit,
             f.sample_count AS samples,
             f.value_sum / f.sample_count AS avg_value,
             f.value_min AS min_value,
             f.value_max AS max_value,
             f.value_p95 AS p95_value
      FROM monitoring.performance_rollup_5min AS f
      UNION ALL
      SELECT true,
             t.bucket,
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
               date_bin('5 minutes', now() - interval '24 hours', TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               interval '5 minutes', 0.95) AS t) AS b
WHERE b.from_tail
   OR (b."time" >= date_bin('5 minutes', now() - interval '24 hours', TIMESTAMPTZ '2000-01-01 00:00:00+00')
       AND b."time" < date_bin('5 minutes',
                               monitoring.rollup_boundary('performance_monitoring'),
                               TIMESTAMPTZ '2000-01-01 00:00:00+00'))
ORDER BY 1 DESC, 2, 4;

COMMENT ON VIEW monitoring.v_performance_trends IS
    'Performance samples of the last 24 hours in 5-minute buckets ("time", for Grafana; the first bucket is the whole one holding now - 24 h) per metric, type, component and unit: count, mean, min, max, and p95_value, the 95th percentile (as percentile_cont) estimated from the rollups'' value sketches: within 2% of the exact value (when the two samples it interpolates between do not have opposite signs; else within 2% of the larger magnitude). p95_value is NULL for buckets rolled up before the sketches existed (upgrade to 0012). Complete up to now: 5-minute and minute rollups below the rollup watermark, raw samples after it.';
