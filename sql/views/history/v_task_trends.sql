CREATE OR REPLACE VIEW monitoring.v_task_trends AS
-- Tasks by the 5-minute bucket they ended in, complete up to now: the
-- buckets before the one holding the boundary from minute rollups, then
-- that bucket and the newer ones from task_tail() (minute rollups before
-- the boundary, raw tasks by end_time from it on, counted into the same
-- duration buckets; one row per bucket and type, passed through the
-- grouping). The boundary is the rollup watermark, or the oldest minute
-- still queued for re-aggregation if earlier (see v_performance_trends).
SELECT b."time",
       b.task_type,
       sum(b.ended_count)::bigint AS ended,
       sum(b.completed_count)::bigint AS completed,
       sum(b.failed_count)::bigint AS failed,
       sum(b.cancelled_count)::bigint AS cancelled,
       round(sum(b.ended_count) / 5.0, 2) AS throughput_per_minute,
       round(sum(b.failed_count) / sum(b.ended_count), 4) AS failure_ratio,
       sum(b.duration_sum) / sum(b.ended_count)::double precision AS avg_duration_seconds,
       min(b.duration_min) AS min_duration_seconds,
       max(b.duration_max) AS max_duration_seconds,
       monitoring.estimate_percentile(monitoring.sum_bucket_counts(b.duration_buckets), 0.5) AS p50_duration_seconds,
       monitoring.estimate_percentile(monitoring.sum_bucket_counts(b.duration_buckets), 0.95) AS p95_duration_seconds
FROM (
    SELECT date_bin('5 minutes', r.bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS "time",
           r.task_type, r.ended_count, r.completed_count, r.failed_count, r.cancelled_count,
           r.duration_sum, r.duration_min, r.duration_max, r.duration_buckets
    FROM monitoring.task_rollup_minute AS r
    WHERE r.bucket >= date_bin('5 minutes', now() - interval '24 hours', TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND r.bucket < date_bin('5 minutes',
                              monitoring.rollup_boundary('processing_metrics'),
                              TIMESTAMPTZ '2000-01-01 00:00:00+00')
    UNION ALL
    SELECT t.bucket, t.task_type, t.ended_count, t.completed_count, t.failed_count, t.cancelled_count,
           t.duration_sum, t.duration_min, t.duration_max, t.duration_buckets
    FROM monitoring.task_tail(
             date_bin('5 minutes', now() - interval '24 hours', TIMESTAMPTZ '2000-01-01 00:00:00+00'),
             interval '5 minutes') AS t
) AS b
GROUP BY 1, 2
ORDER BY 1 DESC, 2;

COMMENT ON VIEW monitoring.v_task_trends IS
    'Tasks that ended in the last 24 hours, per 5-minute bucket ("time", for Grafana; the first bucket is the whole one holding now - 24 h) and task type: ended, completed, failed (failed + timeout), cancelled, throughput per minute, failure ratio (0 to 1), mean, min and max duration in seconds, and p50/p95 duration estimated from the duration buckets (monitoring.estimate_percentile: exact to within the bucket holding the percentile). Complete up to now: minute rollups below the rollup watermark, raw tasks after it.';
