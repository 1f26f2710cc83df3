-- One row per task run, partitioned by day of start_time. In-flight tasks are
-- also kept in the small running_tasks table so that completing a task finds
-- its start time by primary key instead of searching the history.

CREATE TABLE monitoring.processing_metrics (
    task_id text NOT NULL,
    task_type text NOT NULL,
    worker_id text,
    status text NOT NULL DEFAULT 'running',
    input_size bigint,
    output_size bigint,
    start_time timestamptz NOT NULL,
    end_time timestamptz,
    duration_seconds double precision,
    step_timings jsonb,
    metadata jsonb,
    CONSTRAINT processing_metrics_pkey PRIMARY KEY (task_id, start_time),
    CONSTRAINT processing_metrics_status_check
        CHECK (status IN ('running', 'completed', 'failed', 'cancelled', 'timeout')),
    CONSTRAINT processing_metrics_input_size_check CHECK (input_size >= 0),
    CONSTRAINT processing_metrics_output_size_check CHECK (output_size >= 0),
    CONSTRAINT processing_metrics_duration_seconds_check CHECK (duration_seconds >= 0)
) PARTITION BY RANGE (start_time);
CREATE TABLE monitoring.processing_metrics_default
    PARTITION OF monitoring.processing_metrics DEFAULT;
CREATE INDEX processing_metrics_start_time_idx
    ON monitoring.processing_metrics USING brin (start_time);
CREATE INDEX processing_metrics_end_time_idx
    ON monitoring.processing_metrics (end_time);
CREATE INDEX processing_metrics_task_type_start_time_idx
    ON monitoring.processing_metrics (task_type, start_time);
COMMENT ON TABLE monitoring.processing_metrics IS
    'One row per task run: type, worker, status, sizes in bytes, start/end time, duration in seconds, step timings in seconds. Partitioned by day of start_time.';

CREATE TABLE monitoring.running_tasks (
    task_id text NOT NULL,
    task_type text NOT NULL,
    worker_id text,
    start_time timestamptz NOT NULL,
    CONSTRAINT running_tasks_pkey PRIMARY KEY (task_id)
);
CREATE INDEX running_tasks_task_type_start_time_idx
    ON monitoring.running_tasks (task_type, start_time);
COMMENT ON TABLE monitoring.running_tasks IS
    'Tasks started and not yet completed. Small and hot: complete_task_tracking() and the stuck-task check read it instead of the history.';

INSERT INTO monitoring.history_tables (table_name, time_column, retention_setting)
VALUES ('processing_metrics', 'start_time', 'processing_metrics_days');
