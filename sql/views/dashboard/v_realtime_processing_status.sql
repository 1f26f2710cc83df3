CREATE OR REPLACE VIEW monitoring.v_realtime_processing_status AS
WITH ended AS (
    SELECT m.task_type,
           count(*) FILTER (WHERE m.status = 'completed') AS completed_last_hour,
           count(*) FILTER (WHERE m.status IN ('failed', 'timeout')) AS failed_last_hour,
           count(*) FILTER (WHERE m.status = 'cancelled') AS cancelled_last_hour,
           count(*) AS ended_last_hour,
           avg(m.duration_seconds) AS avg_duration_seconds,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY m.duration_seconds) AS p95_duration_seconds,
           max(m.end_time) AS last_ended_at
    FROM monitoring.processing_metrics AS m
    WHERE m.end_time > now() - interval '1 hour' AND m.end_time <= now()
    GROUP BY m.task_type
), running AS (
    SELECT r.task_type,
           count(*) AS running_count,
           extract(epoch FROM now() - min(r.start_time))::double precision AS oldest_running_seconds
    FROM monitoring_internal.running_tasks AS r
    GROUP BY r.task_type
)
SELECT coalesce(e.task_type, r.task_type) AS task_type,
       coalesce(r.running_count, 0) AS running_count,
       r.oldest_running_seconds,
       coalesce(e.completed_last_hour, 0) AS completed_last_hour,
       coalesce(e.failed_last_hour, 0) AS failed_last_hour,
       coalesce(e.cancelled_last_hour, 0) AS cancelled_last_hour,
       round(coalesce(e.ended_last_hour, 0) / 60.0, 2) AS throughput_per_minute,
       CASE WHEN e.ended_last_hour > 0
            THEN round(e.failed_last_hour::numeric / e.ended_last_hour, 4) END AS failure_ratio,
       e.avg_duration_seconds,
       e.p95_duration_seconds,
       e.last_ended_at
FROM ended AS e
FULL JOIN running AS r ON r.task_type = e.task_type
ORDER BY 1;

COMMENT ON VIEW monitoring.v_realtime_processing_status IS
    'Per task type, now: tasks running (and the oldest one''s age in seconds) and, over tasks that ended in the last hour, completed/failed/cancelled counts, throughput per minute, failure ratio (failed + timeout over ended, 0 to 1), mean and p95 duration in seconds.';
