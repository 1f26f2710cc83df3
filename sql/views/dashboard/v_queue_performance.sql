CREATE OR REPLACE VIEW monitoring.v_queue_performance AS
SELECT date_bin('5 minutes', q.recorded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS "time",
       q.queue_name,
       count(*) AS samples,
       round(avg(q.pending_count), 1) AS avg_pending,
       max(q.pending_count) AS max_pending,
       (array_agg(q.pending_count ORDER BY q.recorded_at DESC))[1] AS last_pending,
       round(avg(q.processing_count), 1) AS avg_processing,
       sum(q.completed_count) AS completed,
       sum(q.failed_count) AS failed,
       round(sum(q.completed_count) / 5.0, 2) AS completed_per_minute,
       max(q.oldest_pending_age_seconds) AS max_oldest_pending_age_seconds
FROM monitoring.queue_monitoring AS q
WHERE q.recorded_at > now() - interval '24 hours'
GROUP BY 1, 2
ORDER BY 1 DESC, 2;

COMMENT ON VIEW monitoring.v_queue_performance IS
    'Queues over the last 24 hours in 5-minute buckets ("time", for Grafana): pending (mean, max, last), processing, items completed and failed in the bucket, completed per minute, oldest pending age in seconds.';
