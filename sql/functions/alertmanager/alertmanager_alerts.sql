CREATE OR REPLACE FUNCTION monitoring.alertmanager_alerts(
    p_filter text[] DEFAULT NULL,
    p_active boolean DEFAULT true,
    p_silenced boolean DEFAULT true,
    p_inhibited boolean DEFAULT true,
    p_receiver text DEFAULT NULL
)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- Open (firing) alerts, pgvigil's own and posted ones, as the
    -- Alertmanager API v2 answers GET /api/v2/alerts (gettableAlerts, what
    -- amtool alert query reads): labels, annotations, startsAt, endsAt
    -- (posted: its end; pgvigil's: last seen + resolve_timeout, as
    -- Alertmanager shows an alert it must hear of again), updatedAt,
    -- generatorURL, fingerprint, the receivers of its groups, and status:
    -- suppressed (silencedBy, inhibitedBy, from alert_suppressions()) or
    -- active. p_filter: amtool matchers, all must hold; p_active,
    -- p_silenced, p_inhibited: which states to include; p_receiver: a
    -- regular expression the receiver's whole name must match.
    WITH config AS (
        SELECT c.notifications,
               coalesce(monitoring_internal.parse_duration(c.notifications #> '{global,resolve_timeout}'), 300) AS resolve_timeout
        FROM monitoring_internal.notification_config AS c
    ), open AS (
        SELECT a.*,
               ARRAY(SELECT DISTINCT g.receiver FROM monitoring.notification_group_alerts AS m
                     JOIN monitoring.notification_groups AS g USING (group_id)
                     WHERE m.alert_id = a.alert_id ORDER BY 1) AS receivers,
               ARRAY(SELECT s.suppressed_by FROM monitoring_internal.alert_suppressions(
                         a.alert_id, a.labels, a.component, (SELECT notifications -> 'inhibit_rules' FROM config)) AS s
                     WHERE s.reason = 'silenced' ORDER BY 1) AS silenced_by,
               ARRAY(SELECT s.suppressed_by FROM monitoring_internal.alert_suppressions(
                         a.alert_id, a.labels, a.component, (SELECT notifications -> 'inhibit_rules' FROM config)) AS s
                     WHERE s.reason = 'inhibited' ORDER BY 1) AS inhibited_by
        FROM monitoring.alerts AS a
        WHERE a.resolved_at IS NULL AND a.labels IS NOT NULL
          AND (p_filter IS NULL OR monitoring.labels_match(p_filter, a.labels))
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'labels', o.labels,
               'annotations', coalesce(o.annotations, '{}'),
               'startsAt', monitoring_internal.alertmanager_time(o.triggered_at),
               'endsAt', monitoring_internal.alertmanager_time(coalesce(
                   o.ends_at, o.last_seen_at + make_interval(secs => (SELECT resolve_timeout FROM config)))),
               'updatedAt', monitoring_internal.alertmanager_time(o.last_seen_at),
               'generatorURL', coalesce(o.generator_url, ''),
               'fingerprint', o.fingerprint,
               'receivers', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', r)), '[]') FROM unnest(o.receivers) AS r),
               'status', jsonb_build_object(
                   'state', CASE WHEN cardinality(o.silenced_by) + cardinality(o.inhibited_by) > 0
                                 THEN 'suppressed' ELSE 'active' END,
                   'silencedBy', to_jsonb(o.silenced_by),
                   'inhibitedBy', to_jsonb(o.inhibited_by)))
               ORDER BY o.triggered_at, o.alert_id), '[]')
    FROM open AS o
    WHERE CASE WHEN cardinality(o.silenced_by) > 0 THEN p_silenced ELSE true END
      AND CASE WHEN cardinality(o.inhibited_by) > 0 THEN p_inhibited ELSE true END
      AND CASE WHEN cardinality(o.silenced_by) + cardinality(o.inhibited_by) = 0 THEN p_active ELSE true END
      AND (p_receiver IS NULL OR EXISTS (SELECT FROM unnest(o.receivers) AS r WHERE r ~ ('^(?:' || p_receiver || ')$')));
$$;
COMMENT ON FUNCTION monitoring.alertmanager_alerts(text[], boolean, boolean, boolean, text) IS
    'Open alerts as the Alertmanager API v2 answers GET /api/v2/alerts: labels, annotations, times, fingerprint, receivers and status (active or suppressed, silencedBy, inhibitedBy); filtered by amtool matchers, state and receiver.';
