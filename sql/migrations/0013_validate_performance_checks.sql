-- Validates the CHECK constraints 0009 added NOT VALID to
-- performance_monitoring. VALIDATE scans the samples under SHARE UPDATE
-- EXCLUSIVE, which lets inserts and the COPY path go on; it is a
-- transaction of its own (yoyo runs each migration in one), so 0009's brief
-- ACCESS EXCLUSIVE lock is long released. A no-op where they are valid
-- already (installs of 0.1.0, which added them validated).
ALTER TABLE monitoring.performance_monitoring VALIDATE CONSTRAINT performance_monitoring_metric_name_check;
ALTER TABLE monitoring.performance_monitoring VALIDATE CONSTRAINT performance_monitoring_metric_type_check;
ALTER TABLE monitoring.performance_monitoring VALIDATE CONSTRAINT performance_monitoring_unit_check;
ALTER TABLE monitoring.performance_monitoring VALIDATE CONSTRAINT performance_monitoring_component_check;
ALTER TABLE monitoring.performance_monitoring VALIDATE CONSTRAINT performance_monitoring_metric_value_check;
ALTER TABLE monitoring.performance_monitoring VALIDATE CONSTRAINT performance_monitoring_tags_check;
