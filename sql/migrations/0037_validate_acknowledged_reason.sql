-- Validates the reason check 0036 widened NOT VALID (a transaction of its
-- own, under SHARE UPDATE EXCLUSIVE: the outbox goes on being written).
ALTER TABLE monitoring.notifications VALIDATE CONSTRAINT notifications_reason_check;
