CREATE OR REPLACE FUNCTION monitoring_internal.notification_payload(
    p_group monitoring.notification_groups,
    p_alert_ids bigint[]
)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the notification of a group's alerts as Alertmanager's
    -- webhook sends it (version 4): groupKey, status (firing while any alert
    -- fires), receiver, groupLabels, commonLabels and commonAnnotations (the
    -- pairs every alert shares), and alerts[] with status, labels,
    -- annotations, startsAt, endsAt (0001-01-01T00:00:00Z while firing),
    -- generatorURL and fingerprint, in Alertmanager's order. The other
    -- channels are rendered from it.
    WITH alerts AS (
        SELECT a.*, a.resolved_at IS NULL AS firing
        FROM monitoring.alerts AS a WHERE a.alert_id = ANY (p_alert_ids)
    ), common_labels AS (
        SELECT coalesce(jsonb_object_agg(l.key, l.value), '{}') AS labels
        FROM (SELECT e.key, e.value FROM alerts AS a, jsonb_each(coalesce(a.labels, '{}')) AS e
              GROUP BY e.key, e.value HAVING count(*) = (SELECT count(*) FROM alerts)) AS l
    ), common_annotations AS (
        SELECT coalesce(jsonb_object_agg(l.key, l.value), '{}') AS annotations
        FROM (SELECT e.key, e.value FROM alerts AS a, jsonb_each(coalesce(a.annotations, '{}')) AS e
              GROUP BY e.key, e.value HAVING count(*) = (SELECT count(*) FROM alerts)) AS l
    )
    SELECT jsonb_build_object(
        'version', '4',
        'groupKey', p_group.group_key,
        'truncatedAlerts', 0,
        'status', CASE WHEN EXISTS (SELECT FROM alerts WHERE firing) THEN 'firing' ELSE 'resolved' END,
        'receiver', p_group.receiver,
        'groupLabels', p_group.group_labels,
        'commonLabels', (SELECT labels FROM common_labels),
        'commonAnnotations', (SELECT annotations FROM common_annotations),
        'externalURL', '',
        'alerts', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'status', CASE WHEN a.firing THEN 'firing' ELSE 'resolved' END,
                       'labels', coalesce(a.labels, '{}'),
                       'annotations', coalesce(a.annotations, '{}'),
                       'startsAt', to_char(a.triggered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                       'endsAt', CASE WHEN a.firing THEN '0001-01-01T00:00:00Z'
                                      ELSE to_char(a.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END,
                       'generatorURL', '',
                       'fingerprint', a.fingerprint)
                   -- Alertmanager's order (types.AlertSlice): by job, then
                   -- instance (alerts with one first), then LabelSet.Before:
                   -- fewer labels first, then the values by label name,
                   -- compared bytewise as Go compares strings.
                   ORDER BY a.labels ? 'job' DESC, a.labels ->> 'job' COLLATE "C",
                            a.labels ? 'instance' DESC, a.labels ->> 'instance' COLLATE "C",
                            (SELECT count(*) FROM jsonb_object_keys(a.labels)),
                            ARRAY(SELECT l.value COLLATE "C" FROM jsonb_each_text(a.labels) AS l
                                  ORDER BY l.key COLLATE "C"),
                            ARRAY(SELECT k COLLATE "C" FROM jsonb_object_keys(a.labels) AS k ORDER BY 1) DESC,
                            a.alert_id)
            FROM alerts AS a), '[]'));
$$;
COMMENT ON FUNCTION monitoring_internal.notification_payload(monitoring.notification_groups, bigint[]) IS
    'Internal: a group''s notification as Alertmanager''s webhook v4 JSON body.';
