CREATE OR REPLACE VIEW monitoring.v_task_history AS
-- Hourly over the last 365 days, complete up to now: the hour rollups of
-- the hours before the one holding the boundary as they are, then that hour
-- and the newer ones from task_tail() (minute rollups before the boundary,
-- raw tasks by end_time from it on).
-- The boundary is the rollup watermark, or the oldest minute still queued
-- for re-aggregation if earlier (see v_performance_trends).
SELECT h.bucket AS "time",
       h.task_type,
       h.ended_count AS ended,
       h.completed_count AS completed,
       h.failed_count AS failed,
       h.cancelled_count AS cancelled,
       round(h.ended_count / 60.0, 2) AS throughput_per_minute,
       round(h.failed_count::numeric / h.ended_count, 4) AS failure_ratio,
       h.duration_sum / h.ended_count::double precision AS avg_duration_seconds,
       h.duration_min AS min_duration_seconds,
       h.duration_max AS max_duration_seconds,
       monitoring.estimate_percentile(h.duration_buckets, 0.5) AS p50_duration_seconds,
       monitoring.estimate_percentile(h.duration_buckets, 0.95) AS p95_duration_seconds
FROM monitoring.task_rollup_hour AS h
WHERE h.bucket >= date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00')
  AND h.bucket < date_bin('1 hour',
                          monitoring.rollup_boundary('processing_metrics'),
                          TIMESTAMPTZ '2000-01-01 00:00:00+00')
UNION ALL
SELECT t.bucket,
       t.task_type,
       t.ended_count,
       t.completed_count,
       t.failed_count,
       t.cancelled_count,
       round(t.ended_count / 60.0, 2),
       round(t.failed_count::numeric / t.ended_count, 4),
       t.duration_sum / t.ended_count::double precision,
       t.duration_min,
       t.duration_max,
       monitoring.estimate_percentile(t.duration_buckets, 0.5),
       monitoring.estimate_percentile(t.duration_buckets, 0.95)
FROM monitoring.task_tail(
         date_bin('1 hour', now() - interval '365 days', TIMESTAMPTZ '2000-01-01 00:00:00+00'),
         interval '1 hour') AS t
ORDER BY 1 DESC, 2;

COMMENT ON VIEW monitoring.v_task_history IS
    'Tasks that ended in the last 365 days, per UTC hour ("time", for Grafana) and task type: the columns of v_task_trends (throughput per minute over the hour). Complete up to now: hour rollups, then minute rollups and raw tasks for the newest minutes.';
