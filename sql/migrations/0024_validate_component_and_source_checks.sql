-- Validates the checks 0022 and 0023 widened NOT VALID (a transaction of
-- its own, under SHARE UPDATE EXCLUSIVE: the functions that audit and the
-- evaluator go on).
ALTER TABLE monitoring.audit_log VALIDATE CONSTRAINT audit_log_action_check;
ALTER TABLE monitoring.alert_rules VALIDATE CONSTRAINT alert_rules_source_kind_check;
