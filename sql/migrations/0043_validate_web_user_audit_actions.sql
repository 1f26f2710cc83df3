-- Validates the audit check 0042 widened NOT VALID (a transaction of its
-- own, under SHARE UPDATE EXCLUSIVE: the functions that audit go on).
ALTER TABLE monitoring.audit_log VALIDATE CONSTRAINT audit_log_action_check;
