CREATE OR REPLACE VIEW monitoring.v_alert_history AS
-- One row per transition of every alert (fired, severity changed,
-- acknowledged, resolved), with the value that caused it, and per alert the
-- time to detect (from the condition first holding to firing: the rule's
-- for plus the evaluation delay) and the time to resolve (firing to
-- resolved): average them for MTTD and MTTR.
SELECT e.event_id,
       e.occurred_at,
       a.alert_id,
       a.alert_type,
       a.rule_name,
       a.subject,
       a.labels,
       a.fingerprint,
       CASE e.event_type WHEN 'triggered' THEN 'firing' ELSE e.event_type END AS transition,
       e.previous_severity,
       e.severity,
       e.current_value AS value,
       e.actor,
       e.note,
       a.breached_at,
       a.triggered_at,
       a.resolved_at,
       extract(epoch FROM a.triggered_at - a.breached_at)::double precision AS seconds_to_detect,
       extract(epoch FROM a.resolved_at - a.triggered_at)::double precision AS seconds_to_resolve
FROM monitoring.alert_events AS e
JOIN monitoring.alerts AS a ON a.alert_id = e.alert_id
ORDER BY e.occurred_at DESC, e.event_id DESC;

COMMENT ON VIEW monitoring.v_alert_history IS
    'Every alert transition (firing, severity_changed, acknowledged, resolved) with its value and actor; seconds_to_detect (condition first held to firing) and seconds_to_resolve (firing to resolved) per alert, for MTTD and MTTR.';
