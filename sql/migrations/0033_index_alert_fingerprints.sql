-- transactional: false
--
-- An alert's state changes by fingerprint, for flap damping (flap_changes).
--
-- CONCURRENTLY, so alerts go on being raised while it builds; which is why
-- this migration is not one transaction. A build that fails leaves an
-- invalid index behind and the migration unapplied: the DROP makes a
-- second run start over. The check 0032 widened is validated here too.
DROP INDEX CONCURRENTLY IF EXISTS monitoring.alerts_fingerprint_idx;
CREATE INDEX CONCURRENTLY alerts_fingerprint_idx ON monitoring.alerts (fingerprint, triggered_at);
ALTER TABLE monitoring.notification_suppressions VALIDATE CONSTRAINT notification_suppressions_reason_check;
