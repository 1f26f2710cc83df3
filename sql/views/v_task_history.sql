CREATE OR REPLACE VIEW monitoring.v_task_history AS
-- Hourly over the last 365 days, complete up to now: the hour rollups of
-- the hours before the boundary's hour as they are, then that hour and the
-- rest rebuilt from minute rollups (before the boundary) and raw tasks by
-- end_time (from it on). The boundary is the rollup watermark, or the oldest
-- minute still queued for re-aggregation if earlier (see v_performance_trends).
SELECT t."time",
       t.task_type,
       sum(t.ended_count)::bigint AS ended,
       sum(t.completed_count)::bigint AS completed,
       sum(t.failed_count)::bigint AS failed,
       sum(t.cancelled_count)::bigint AS cancelled,
       round(sum(t.ended_count) / 60.0, 2) AS throughput_per_minute,
       round(sum(t.failed_count) / sum(t.ended_count), 4) AS failure_ratio,
       sum(t.duration_sum) / sum(t.ended_count)::double precision AS avg_duration_seconds,
       min(t.duration_min) AS min_duration_seconds,
       max(t.duration_max) AS max_duration_seconds,
       monitoring.estimate_percentile(monitoring.sum_bucket_counts(t.duration_buckets), 0.5) AS p50_duration_seconds,
       monitoring.estimate_percentile(monitoring.sum_bucket_counts(t.duration_buckets), 0.95) AS p95_duration_seconds
FROM (
    SELECT h.bucket AS "time",
           h.task_type, h.ended_count, h.completed_count, h.failed_count, h.cancelled_count,
           h.duration_sum, h.duration_min, h.duration_max, h.duration_buckets
    FROM monitoring.task_rollup_hour AS h
    WHERE h.bucket >= date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND h.bucket < date_bin('1 hour',
                              monitoring.rollup_boundary('processing_metrics'),
                              TIMESTAMPTZ '2000-01-01 00:00:00+00')
    UNION ALL
    SELECT date_bin('1 hour', r.bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
           r.task_type, r.ended_count, r.completed_count, r.failed_count, r.cancelled_count,
           r.duration_sum, r.duration_min, r.duration_max, r.duration_buckets
    FROM monitoring.task_rollup_minute AS r
    WHERE r.bucket >= date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND r.bucket >= date_bin('1 hour',
                               monitoring.rollup_boundary('processing_metrics'),
                               TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND r.bucket < monitoring.rollup_boundary('processing_metrics')
    UNION ALL
    SELECT date_bin('1 hour', m.end_time, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
           m.task_type,
           count(*),
           count(*) FILTER (WHERE m.status = 'completed'),
           count(*) FILTER (WHERE m.status IN ('failed', 'timeout')),
           count(*) FILTER (WHERE m.status = 'cancelled'),
           coalesce(sum(m.duration_seconds), 0),
           min(m.duration_seconds),
           max(m.duration_seconds),
           monitoring.task_duration_histogram(m.duration_seconds)
    FROM monitoring.processing_metrics AS m
    WHERE m.end_time >= date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00')
      AND m.end_time >= monitoring.rollup_boundary('processing_metrics')
      AND m.status <> 'running'
    GROUP BY 1, 2
) AS t
GROUP BY 1, 2
ORDER BY 1 DESC, 2;

COMMENT ON VIEW monitoring.v_task_history IS
    'Tasks that ended in the last 365 days, per UTC hour ("time", for Grafana) and task type: the columns of v_task_trends (throughput per minute over the hour). Complete up to now: hour rollups, then minute rollups and raw tasks for the newest minutes.';
