CREATE OR REPLACE VIEW monitoring.v_silences AS
-- Every silence with its state and what it has held back, newest first:
-- what amtool silence query shows, plus the notifications it suppressed
-- (monitoring.notification_suppressions).
SELECT s.silence_id,
       CASE WHEN s.ends_at <= now() THEN 'expired' WHEN s.starts_at > now() THEN 'pending' ELSE 'active' END AS state,
       (SELECT string_agg((m ->> 'name') || (m ->> 'op') || '"'
                          || replace(replace(m ->> 'value', '\', '\\'), '"', '\"') || '"', ', ' ORDER BY n)
        FROM jsonb_array_elements(s.matchers) WITH ORDINALITY AS x (m, n)) AS matchers_text,
       s.matchers,
       s.starts_at,
       s.ends_at,
       s.created_by,
       s.comment,
       s.created_at,
       s.updated_at,
       coalesce(h.alerts, 0) AS suppressed_alerts,
       coalesce(h.notifications, 0) AS suppressed_notifications,
       h.last_suppressed_at
FROM monitoring.silences AS s
LEFT JOIN LATERAL (
    SELECT count(DISTINCT x.alert_id) AS alerts, sum(x.notifications) AS notifications,
           max(x.last_suppressed_at) AS last_suppressed_at
    FROM monitoring.notification_suppressions AS x
    WHERE x.silence_id = s.silence_id
) AS h ON true
ORDER BY s.ends_at <= now(), s.starts_at DESC;

COMMENT ON VIEW monitoring.v_silences IS
    'Silences: state (pending, active, expired), matchers as amtool writes them, times, creator, comment, and the alerts and notifications each held back.';
