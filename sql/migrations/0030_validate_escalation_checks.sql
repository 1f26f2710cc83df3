-- Validates the checks 0029 widened NOT VALID (a transaction of its own,
-- under SHARE UPDATE EXCLUSIVE: the outbox and alert events go on being written).
ALTER TABLE monitoring.notifications VALIDATE CONSTRAINT notifications_reason_check;
ALTER TABLE monitoring.alert_events VALIDATE CONSTRAINT alert_events_event_type_check;
