-- Errors, inside a task or not, partitioned by day of occurred_at.

CREATE TABLE monitoring.error_tracking (
    error_id bigint GENERATED ALWAYS AS IDENTITY,
    task_id text,
    error_type text NOT NULL,
    severity text NOT NULL,
    message text NOT NULL,
    component text NOT NULL,
    stack_trace text,
    context jsonb,
    occurred_at timestamptz NOT NULL,
    CONSTRAINT error_tracking_pkey PRIMARY KEY (error_id, occurred_at),
    CONSTRAINT error_tracking_severity_check
        CHECK (severity IN ('low', 'medium', 'high', 'critical'))
) PARTITION BY RANGE (occurred_at);
CREATE TABLE monitoring.error_tracking_default
    PARTITION OF monitoring.error_tracking DEFAULT;
CREATE INDEX error_tracking_occurred_at_idx
    ON monitoring.error_tracking USING brin (occurred_at);
CREATE INDEX error_tracking_component_occurred_at_idx
    ON monitoring.error_tracking (component, occurred_at);
CREATE INDEX error_tracking_task_id_idx
    ON monitoring.error_tracking (task_id) WHERE task_id IS NOT NULL;
COMMENT ON TABLE monitoring.error_tracking IS
    'Errors recorded by record_error(), with type, severity (low, medium, high, critical) and component. Partitioned by day of occurred_at; kept 30 to 90 days by severity.';

INSERT INTO monitoring.history_tables (table_name, time_column, retention_setting)
VALUES ('error_tracking', 'occurred_at', 'error_tracking_days');
