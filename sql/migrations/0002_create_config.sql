-- The active configuration (one jsonb document), the registry of
-- time-partitioned history tables, and when each alert check last ran.

CREATE TABLE monitoring.config (
    config_id boolean NOT NULL DEFAULT true,
    document jsonb NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT current_user,
    CONSTRAINT config_pkey PRIMARY KEY (config_id),
    CONSTRAINT config_config_id_check CHECK (config_id)
);
COMMENT ON TABLE monitoring.config IS
    'The active configuration: thresholds, retention, schedules. One row; change it with monitoring.apply_config() or pgvigil config apply.';

CREATE TABLE monitoring.history_tables (
    table_name text NOT NULL,
    time_column text NOT NULL,
    retention_setting text NOT NULL,
    CONSTRAINT history_tables_pkey PRIMARY KEY (table_name)
);
COMMENT ON TABLE monitoring.history_tables IS
    'Daily range-partitioned history tables: the time column they are partitioned by and the config key under "retention" that says how long they are kept.';

CREATE TABLE monitoring.check_runs (
    check_name text NOT NULL,
    last_run_at timestamptz NOT NULL,
    last_source text NOT NULL,
    runs_total bigint NOT NULL DEFAULT 1,
    CONSTRAINT check_runs_pkey PRIMARY KEY (check_name)
);
COMMENT ON TABLE monitoring.check_runs IS
    'When each alert check last evaluated, and who ran it (pg_cron, manual, scheduler). resolve_resolved_alerts() resolves alerts not seen by the latest evaluation.';
