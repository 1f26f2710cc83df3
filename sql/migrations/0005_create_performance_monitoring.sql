-- Performance samples (CPU, memory, response times...), partitioned by day.

CREATE TABLE monitoring.performance_monitoring (
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    metric_value double precision NOT NULL,
    unit text NOT NULL,
    component text NOT NULL,
    tags jsonb,
    recorded_at timestamptz NOT NULL
) PARTITION BY RANGE (recorded_at);
CREATE TABLE monitoring.performance_monitoring_default
    PARTITION OF monitoring.performance_monitoring DEFAULT;
CREATE INDEX performance_monitoring_recorded_at_idx
    ON monitoring.performance_monitoring USING brin (recorded_at);
CREATE INDEX performance_monitoring_metric_name_component_recorded_at_idx
    ON monitoring.performance_monitoring (metric_name, component, recorded_at);
COMMENT ON TABLE monitoring.performance_monitoring IS
    'Performance samples: one value per metric, component and time, with its unit. Partitioned by day of recorded_at.';

INSERT INTO monitoring.history_tables (table_name, time_column, retention_setting)
VALUES ('performance_monitoring', 'recorded_at', 'performance_monitoring_days');
