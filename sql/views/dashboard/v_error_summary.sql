CREATE OR REPLACE VIEW monitoring.v_error_summary AS
-- Hours counted from a fixed UTC origin (not date_trunc, which follows the
-- session's time zone), so every session sees the same buckets.
SELECT date_bin('1 hour', e.occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS "time",
       e.component,
       e.error_type,
       e.severity,
       count(*) AS error_count,
       count(DISTINCT e.task_id) AS affected_tasks,
       max(e.occurred_at) AS last_occurred_at,
       (array_agg(e.message ORDER BY e.occurred_at DESC))[1] AS latest_message
FROM monitoring.error_tracking AS e
WHERE e.occurred_at > now() - interval '24 hours'
GROUP BY 1, 2, 3, 4
ORDER BY 1 DESC, error_count DESC;

COMMENT ON VIEW monitoring.v_error_summary IS
    'Errors of the last 24 hours per hour ("time", for Grafana), component, error type and severity: count, distinct tasks affected, last occurrence and the latest message.';
