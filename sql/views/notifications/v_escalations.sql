CREATE OR REPLACE VIEW monitoring.v_escalations AS
-- Escalations in flight (their alert still open): which policy pages
-- whom next and when, who was paged last, and whether someone
-- acknowledged. Next due first.
SELECT e.escalation_id,
       e.alert_id,
       a.severity,
       a.subject,
       a.title,
       a.labels,
       e.policy_name,
       e.status,
       e.started_at,
       e.cycle,
       CASE WHEN e.status = 'active' THEN e.policy -> 'tiers' -> e.next_tier ->> 'receiver' END AS next_receiver,
       CASE WHEN e.status = 'active' THEN e.next_at END AS next_page_at,
       CASE WHEN e.status = 'acknowledged' THEN e.next_at END AS acknowledgement_expires_at,
       e.policy -> 'tiers' -> e.last_notified_tier ->> 'receiver' AS last_paged_receiver,
       e.last_notified_at AS last_paged_at,
       e.notifications_sent AS pages,
       e.acknowledged_at,
       a.acknowledged_by,
       e.policy
FROM monitoring.escalations AS e
JOIN monitoring.alerts AS a ON a.alert_id = e.alert_id
WHERE e.status <> 'resolved' AND a.resolved_at IS NULL
ORDER BY e.next_at NULLS LAST, e.escalation_id;

COMMENT ON VIEW monitoring.v_escalations IS
    'Escalations in flight: per open alert and policy, its state, whom it pages next and when, whom it paged last, acknowledgement, and the policy snapshot it follows.';
