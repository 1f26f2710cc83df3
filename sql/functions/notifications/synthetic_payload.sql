CREATE OR REPLACE FUNCTION monitoring_internal.synthetic_payload(
    p_receiver text,
    p_labels jsonb,
    p_annotations jsonb,
    p_starts_at timestamptz
)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a notification about one firing alert pgvigil makes up
    -- itself (a test, a flood-control summary), in the same webhook v4
    -- shape as notification_payload(), grouped by its alertname.
    SELECT jsonb_build_object(
        'version', '4',
        'groupKey', '{}:' || monitoring_internal.group_labels_text(jsonb_build_object('alertname', p_labels ->> 'alertname')),
        'truncatedAlerts', 0, 'status', 'firing', 'receiver', p_receiver,
        'groupLabels', jsonb_build_object('alertname', p_labels ->> 'alertname'),
        'commonLabels', p_labels, 'commonAnnotations', p_annotations, 'externalURL', '',
        'alerts', jsonb_build_array(jsonb_build_object(
            'status', 'firing', 'labels', p_labels, 'annotations', p_annotations,
            'startsAt', to_char(p_starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'endsAt', '0001-01-01T00:00:00Z', 'generatorURL', '',
            'fingerprint', monitoring.alert_fingerprint(p_labels))));
$$;
COMMENT ON FUNCTION monitoring_internal.synthetic_payload(text, jsonb, jsonb, timestamptz) IS
    'Internal: the webhook v4 body of one firing alert pgvigil makes up itself (test notifications, flood summaries).';
