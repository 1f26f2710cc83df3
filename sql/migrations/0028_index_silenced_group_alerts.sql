-- transactional: false
--
-- The alerts a silence held back at their group's last flush, for the
-- flush's "has that silence ended?" (flush_notification_groups).
--
-- CONCURRENTLY, so groups go on flushing while it builds; which is why this
-- migration is not one transaction. A build that fails leaves an invalid
-- index behind and the migration unapplied: the DROP makes a second run
-- start over.
DROP INDEX CONCURRENTLY IF EXISTS monitoring.notification_group_alerts_silenced_by_idx;
CREATE INDEX CONCURRENTLY notification_group_alerts_silenced_by_idx
    ON monitoring.notification_group_alerts (silenced_by) WHERE silenced_by IS NOT NULL;
