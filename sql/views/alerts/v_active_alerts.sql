CREATE OR REPLACE VIEW monitoring.v_active_alerts AS
-- Open alerts (state firing: active or acknowledged), then the groups of
-- rules whose condition holds but not yet for the rule's for (state
-- pending: no alert_id yet, nothing notified). The first columns are the
-- original design's; labels, fingerprint, state, breached_at and the
-- component the alert is about (a component page lists its alerts by it) follow.
SELECT u.*
FROM (SELECT a.alert_id,
       a.alert_type,
       a.severity,
       a.status,
       a.subject,
       a.title,
       a.message,
       a.current_value,
       a.threshold_value,
       a.occurrence_count,
       a.triggered_at,
       a.triggered_by,
       a.last_seen_at,
       a.severity_changed_at,
       a.acknowledged_at,
       a.acknowledged_by,
       extract(epoch FROM now() - a.triggered_at)::double precision AS age_seconds,
       a.alert_key,
       a.details,
       a.rule_name,
       a.labels,
       a.annotations,
       a.fingerprint,
       'firing'::text AS state,
       a.breached_at,
       a.component
FROM monitoring.alerts AS a
WHERE a.resolved_at IS NULL
UNION ALL
SELECT NULL::bigint,
       g.rule_name,
       g.severity,
       'pending',
       coalesce(nullif(array_to_string(ARRAY(
           SELECT g.group_labels ->> CASE WHEN x.g LIKE 'tags.%' THEN substr(x.g, 6) ELSE x.g END
           FROM unnest(r.group_by) WITH ORDINALITY AS x (g, n) ORDER BY x.n), '/'), ''), 'all'),
       format('%s: pending', g.rule_name),
       format('%s holds for %s s of the %s s it must hold to fire', g.rule_name,
              round(extract(epoch FROM now() - g.breached_since)::numeric), r.for_seconds),
       g.value,
       g.threshold,
       0,
       g.breached_since,
       NULL::text,
       g.evaluated_at,
       NULL::timestamptz,
       NULL::timestamptz,
       NULL::text,
       extract(epoch FROM now() - g.breached_since)::double precision,
       NULL::text,
       jsonb_build_object('group', g.group_labels),
       g.rule_name,
       g.group_labels || jsonb_build_object('alertname', g.rule_name, 'severity', g.severity),
       NULL::jsonb,
       NULL::text,
       'pending',
       g.breached_since,
       g.group_labels ->> 'component'
FROM monitoring_internal.rule_groups AS g
JOIN monitoring.alert_rules AS r ON r.rule_name = g.rule_name
WHERE g.state = 'pending') AS u
-- Severity order inline, not monitoring_internal.severity_rank(): functions in a view
-- run with the privileges of the querying role, and pgvigil_reader may not
-- execute the internal helpers.
ORDER BY u.state,
         CASE u.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC,
         u.triggered_at;

COMMENT ON VIEW monitoring.v_active_alerts IS
    'Open alerts (state firing: active or acknowledged), most severe first, then pending rule groups (state pending, no alert_id): what is wrong now, since when, who raised it, who acknowledged it, its labels and Alertmanager fingerprint.';
