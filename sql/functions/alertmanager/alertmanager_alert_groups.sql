CREATE OR REPLACE FUNCTION monitoring.alertmanager_alert_groups(p_filter text[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- The notification groups with open alerts, as the Alertmanager API v2
    -- answers GET /api/v2/alerts/groups: labels (the group's), receiver
    -- {name}, and its alerts as alertmanager_alerts() writes them.
    WITH alerts AS (
        SELECT x AS alert FROM jsonb_array_elements(monitoring.alertmanager_alerts(p_filter)) AS x
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'labels', g.group_labels,
               'receiver', jsonb_build_object('name', g.receiver),
               'alerts', g.alerts) ORDER BY g.receiver, g.group_key), '[]')
    FROM (SELECT ng.receiver, ng.group_key, ng.group_labels,
                 (SELECT jsonb_agg(al.alert ORDER BY al.alert ->> 'startsAt')
                  FROM alerts AS al
                  WHERE al.alert ->> 'fingerprint' IN (
                      SELECT a.fingerprint FROM monitoring.notification_group_alerts AS m
                      JOIN monitoring.alerts AS a USING (alert_id)
                      WHERE m.group_id = ng.group_id AND a.resolved_at IS NULL)) AS alerts
          FROM monitoring.notification_groups AS ng) AS g
    WHERE g.alerts IS NOT NULL;
$$;
COMMENT ON FUNCTION monitoring.alertmanager_alert_groups(text[]) IS
    'Notification groups with their open alerts, as the Alertmanager API v2 answers GET /api/v2/alerts/groups.';
