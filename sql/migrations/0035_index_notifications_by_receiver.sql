-- transactional: false
--
-- A receiver integration's notifications of the last minute, for flood
-- control (write_notifications), and the held ones still to summarise.
--
-- CONCURRENTLY, so the outbox goes on being written while they build;
-- which is why this migration is not one transaction. A build that fails
-- leaves an invalid index behind and the migration unapplied: the DROPs
-- make a second run start over. The checks 0034 widened are validated here.
DROP INDEX CONCURRENTLY IF EXISTS monitoring.notifications_receiver_created_at_idx;
CREATE INDEX CONCURRENTLY notifications_receiver_created_at_idx
    ON monitoring.notifications (receiver, integration, integration_index, created_at);
DROP INDEX CONCURRENTLY IF EXISTS monitoring.notifications_held_idx;
CREATE INDEX CONCURRENTLY notifications_held_idx
    ON monitoring.notifications (receiver, integration, integration_index) WHERE status = 'held' AND summary_id IS NULL;
ALTER TABLE monitoring.notifications VALIDATE CONSTRAINT notifications_status_check;
ALTER TABLE monitoring.notifications VALIDATE CONSTRAINT notifications_reason_check;
