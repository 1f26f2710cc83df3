CREATE OR REPLACE VIEW monitoring.v_notification_receivers AS
-- Delivery health per receiver of the active config, over the last 24
-- hours: what is waiting, delivered and failed, how long delivery took, and
-- the last error. Secrets are never here: the configs hold only KEY_file /
-- KEY_env references, and only the integration kinds are shown.
SELECT r.receiver,
       r.integrations,
       coalesce(s.pending, 0) AS pending,
       coalesce(s.delivered_24h, 0) AS delivered_24h,
       coalesce(s.failed_24h, 0) AS failed_24h,
       coalesce(s.held_24h, 0) AS held_24h,
       coalesce(s.retried_attempts_24h, 0) AS retried_attempts_24h,
       s.delivery_p50_seconds,
       s.delivery_max_seconds,
       s.last_delivered_at,
       s.oldest_pending_at,
       e.last_error,
       e.last_error_at
FROM (SELECT x ->> 'name' AS receiver,
             ARRAY(SELECT k FROM unnest(ARRAY['webhook_configs', 'slack_configs', 'msteamsv2_configs', 'email_configs',
                                              'pagerduty_configs']) AS k
                   WHERE jsonb_array_length(coalesce(x -> k, '[]')) > 0) AS integrations
      FROM monitoring_internal.notification_config AS c, jsonb_array_elements(c.notifications -> 'receivers') AS x) AS r
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE n.status = 'pending') AS pending,
           count(*) FILTER (WHERE n.status = 'delivered' AND n.delivered_at > now() - interval '24 hours') AS delivered_24h,
           count(*) FILTER (WHERE n.status = 'failed' AND n.created_at > now() - interval '24 hours') AS failed_24h,
           count(*) FILTER (WHERE n.status = 'held' AND n.created_at > now() - interval '24 hours') AS held_24h,
           sum(greatest(n.attempts - 1, 0)) FILTER (WHERE n.created_at > now() - interval '24 hours') AS retried_attempts_24h,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM n.delivered_at - n.created_at))
               FILTER (WHERE n.delivered_at > now() - interval '24 hours') AS delivery_p50_seconds,
           max(extract(epoch FROM n.delivered_at - n.created_at))
               FILTER (WHERE n.delivered_at > now() - interval '24 hours') AS delivery_max_seconds,
           max(n.delivered_at) AS last_delivered_at,
           min(n.created_at) FILTER (WHERE n.status = 'pending') AS oldest_pending_at
    FROM monitoring.notifications AS n
    WHERE n.receiver = r.receiver AND (n.status = 'pending' OR n.created_at > now() - interval '24 hours')
) AS s ON true
LEFT JOIN LATERAL (
    SELECT n.last_error, a.attempted_at AS last_error_at
    FROM monitoring.notifications AS n
    JOIN monitoring.notification_attempts AS a USING (notification_id)
    WHERE n.receiver = r.receiver AND a.outcome <> 'delivered'
    ORDER BY a.attempted_at DESC LIMIT 1
) AS e ON true
ORDER BY r.receiver;

COMMENT ON VIEW monitoring.v_notification_receivers IS
    'Delivery health per configured receiver over 24 hours: pending, delivered, failed, held back by flood control, retries, delivery p50 and max seconds, last delivery and last error.';
