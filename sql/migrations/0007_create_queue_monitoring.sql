-- Queue samples: depth, in-flight, completed and failed counts, age of the
-- oldest pending item. Partitioned by day.

CREATE TABLE monitoring.queue_monitoring (
    queue_name text NOT NULL,
    pending_count integer NOT NULL,
    processing_count integer NOT NULL DEFAULT 0,
    completed_count integer NOT NULL DEFAULT 0,
    failed_count integer NOT NULL DEFAULT 0,
    oldest_pending_age_seconds double precision,
    recorded_at timestamptz NOT NULL,
    CONSTRAINT queue_monitoring_counts_check CHECK (
        pending_count >= 0 AND processing_count >= 0
        AND completed_count >= 0 AND failed_count >= 0),
    CONSTRAINT queue_monitoring_oldest_pending_age_seconds_check
        CHECK (oldest_pending_age_seconds >= 0)
) PARTITION BY RANGE (recorded_at);
CREATE TABLE monitoring.queue_monitoring_default
    PARTITION OF monitoring.queue_monitoring DEFAULT;
CREATE INDEX queue_monitoring_queue_name_recorded_at_idx
    ON monitoring.queue_monitoring (queue_name, recorded_at);
COMMENT ON TABLE monitoring.queue_monitoring IS
    'Queue samples from record_queue_stats(). completed_count and failed_count are what the reporter counted since its previous sample. Partitioned by day of recorded_at.';

INSERT INTO monitoring.history_tables (table_name, time_column, retention_setting)
VALUES ('queue_monitoring', 'recorded_at', 'queue_monitoring_days');
