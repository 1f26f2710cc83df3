CREATE OR REPLACE VIEW monitoring.v_notification_log AS
-- Every notification in the outbox with its delivery so far: failures
-- first, then what is still pending, then the delivered, newest first
-- (pgvigil notifications). The payload's alerts are summarised; the
-- attempts are in monitoring.notification_attempts.
SELECT n.notification_id,
       n.created_at,
       n.receiver,
       n.integration,
       n.integration_index,
       n.reason,
       n.status,
       n.attempts,
       n.delivered_at,
       n.next_attempt_at,
       n.last_error,
       n.group_key,
       n.payload ->> 'status' AS payload_status,
       jsonb_array_length(n.payload -> 'alerts') AS alerts,
       n.idempotency_key,
       n.summary_id,
       extract(epoch FROM n.delivered_at - n.created_at)::double precision AS delivery_seconds,
       a.status_code AS last_status_code,
       a.latency_ms AS last_latency_ms
FROM monitoring.notifications AS n
LEFT JOIN LATERAL (
    SELECT x.status_code, x.latency_ms FROM monitoring.notification_attempts AS x
    WHERE x.notification_id = n.notification_id
    ORDER BY x.attempt DESC LIMIT 1
) AS a ON true
ORDER BY CASE n.status WHEN 'failed' THEN 0 WHEN 'pending' THEN 1 WHEN 'held' THEN 2 ELSE 3 END, n.created_at DESC, n.notification_id DESC;

COMMENT ON VIEW monitoring.v_notification_log IS
    'The delivery log: each notification (receiver, integration, why, status, attempts, last error and status code, delivery time), failures first.';
