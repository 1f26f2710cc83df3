-- Rules over pgvigil itself (source kind "pgvigil"): how long since the
-- last whole evaluation, pgvigil's pg_cron jobs that failed, and an
-- always-true condition for the Watchdog alert (a dead man's switch).
ALTER TABLE monitoring.alert_rules DROP CONSTRAINT alert_rules_source_kind_check;
ALTER TABLE monitoring.alert_rules ADD CONSTRAINT alert_rules_source_kind_check
    CHECK (source_kind IN ('metric', 'task', 'error', 'queue', 'health', 'pgvigil')) NOT VALID;
