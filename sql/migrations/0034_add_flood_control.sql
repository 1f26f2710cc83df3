-- Flood control per receiver integration (receivers[].flood_control.
-- max_per_minute, pgvigil's own): beyond the cap, notifications are
-- written held (queryable, not sent), and once the minute is over one
-- flood_summary notification says how many were held back; each held one
-- names it (summary_id).
ALTER TABLE monitoring.notifications ADD COLUMN summary_id bigint;
ALTER TABLE monitoring.notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE monitoring.notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'delivered', 'failed', 'held')) NOT VALID;
ALTER TABLE monitoring.notifications DROP CONSTRAINT notifications_reason_check;
ALTER TABLE monitoring.notifications ADD CONSTRAINT notifications_reason_check
    CHECK (reason IN ('first', 'new_alerts', 'some_resolved', 'all_resolved', 'repeat', 'test', 'escalation',
                      'flood_summary')) NOT VALID;
