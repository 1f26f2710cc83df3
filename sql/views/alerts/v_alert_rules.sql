CREATE OR REPLACE VIEW monitoring.v_alert_rules AS
-- The rules of the active config as the evaluator reads them, with how
-- many of their groups are pending and firing now.
SELECT r.rule_name,
       r.description,
       r.enabled,
       coalesce(r.source_kind, 'composite') AS source_kind,
       r.source_filter,
       r.aggregate,
       r.window_seconds,
       r.group_by,
       r.comparison,
       r.thresholds,
       r.composite_match,
       r.for_seconds,
       r.keep_firing_for_seconds,
       r.no_data,
       r.labels,
       r.annotations,
       (SELECT count(*) FROM monitoring_internal.rule_groups AS g
        WHERE g.rule_name = r.rule_name AND g.state = 'pending') AS pending_groups,
       (SELECT count(*) FROM monitoring.alerts AS a
        WHERE a.rule_name = r.rule_name AND a.resolved_at IS NULL) AS firing_alerts,
       EXISTS (SELECT FROM monitoring_internal.shipped_alert_rules AS s WHERE s.rule_name = r.rule_name) AS shipped,
       r.definition,
       r.updated_at
FROM monitoring.alert_rules AS r
ORDER BY r.rule_name;

COMMENT ON VIEW monitoring.v_alert_rules IS
    'The alert rules of the active config, compiled (durations in seconds), with their pending groups and firing alerts now, and whether pgvigil ships them.';
