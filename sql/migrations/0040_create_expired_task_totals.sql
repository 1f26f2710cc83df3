-- What retention took away from the task hour rollups, per task type, so
-- that the task counters of /metrics (monitoring.prometheus_metrics())
-- never go down: Prometheus reads any decrease of a counter as a restart.
-- expire_old_rows() adds each expired hour here in the transaction that
-- deletes it.
CREATE TABLE monitoring_internal.expired_task_totals (
    task_type text NOT NULL,
    ended_count bigint NOT NULL DEFAULT 0,
    completed_count bigint NOT NULL DEFAULT 0,
    failed_count bigint NOT NULL DEFAULT 0,
    cancelled_count bigint NOT NULL DEFAULT 0,
    duration_sum double precision NOT NULL DEFAULT 0,
    duration_buckets bigint[] NOT NULL,
    CONSTRAINT expired_task_totals_pkey PRIMARY KEY (task_type)
);
COMMENT ON TABLE monitoring_internal.expired_task_totals IS
    'Task counts and duration histograms of the hour rollups retention deleted, per task type: the base the /metrics task counters add the kept history to.';
