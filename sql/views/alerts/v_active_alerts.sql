CREATE OR REPLACE VIEW monitoring.v_active_alerts AS
SELECT a.alert_id,
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
       a.details
FROM monitoring.alerts AS a
WHERE a.resolved_at IS NULL
-- Severity order inline, not monitoring_internal.severity_rank(): functions in a view
-- run with the privileges of the querying role, and pgvigil_reader may not
-- execute the internal helpers.
ORDER BY CASE a.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC,
         a.triggered_at;

COMMENT ON VIEW monitoring.v_active_alerts IS
    'Open alerts (active or acknowledged), most severe first: what is wrong now, since when, who raised it (pg_cron, scheduler, manual) and who acknowledged it.';
