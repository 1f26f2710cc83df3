-- A group whose firing alerts are all acknowledged tells PagerDuty so
-- (an Events API v2 acknowledge for the group's dedup_key): notifications
-- with reason acknowledged, to pagerduty_configs only.
ALTER TABLE monitoring.notifications DROP CONSTRAINT notifications_reason_check;
ALTER TABLE monitoring.notifications ADD CONSTRAINT notifications_reason_check
    CHECK (reason IN ('first', 'new_alerts', 'some_resolved', 'all_resolved', 'repeat', 'test', 'escalation',
                      'flood_summary', 'acknowledged')) NOT VALID;
