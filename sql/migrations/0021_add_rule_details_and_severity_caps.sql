-- The six built-in checks become rules of the shipped config (error_rate,
-- slow_processing, task_failure_rate, stuck_tasks, component_health,
-- queue_backlog). What they need that user rules lacked:
--
-- * details: the facts a source knows about a group beside its value (the
--   error count, the oldest running task ids, a component's failure
--   reason), kept per evaluation in evaluation_values, stored in the
--   alert's details and usable in templates as {{ $details.NAME }};
-- * severity caps: a group whose details match is held at a lower
--   severity (a degraded component at alert_settings.degraded_max_severity).
ALTER TABLE monitoring_internal.evaluation_values ADD COLUMN details jsonb;
ALTER TABLE monitoring.alert_rules ADD COLUMN severity_caps jsonb NOT NULL DEFAULT '[]';
COMMENT ON COLUMN monitoring.alert_rules.severity_caps IS
    'The rule''s severity_caps: [{"when": {DETAIL: VALUE...}, "max": SEVERITY}], a group whose details contain when is held at max.';

-- An unhealthy component now alerts at high at once (the seeds' severity
-- classification: a failure that affects users is high) and critical after
-- 15 minutes, where it alerted as low for its first minute. Installs that
-- kept the old default get the new one; a value someone chose stays.
UPDATE monitoring.config
SET document = jsonb_set(document, '{alert_thresholds,unhealthy_seconds}',
                         '{"low": 0, "medium": 0, "high": 0, "critical": 900}')
WHERE document #> '{alert_thresholds,unhealthy_seconds}' = '{"low": 0, "medium": 60, "high": 300, "critical": 900}';
