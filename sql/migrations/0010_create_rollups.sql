-- Rollups: per-minute and per-hour aggregates of performance samples and of
-- ended tasks, refreshed incrementally by monitoring.refresh_rollups() from a
-- watermark, so that long ranges are read from small tables while the raw
-- history is kept only days to weeks.
--
-- Buckets are UTC-aligned (date_bin from 2000-01-01 00:00 UTC), whatever the
-- session time zone. Every table leads its key with the bucket: all access
-- (refresh, the views, retention) is by time range, and per-series filters
-- are applied inside those small ranges. One index per table keeps the
-- once-a-minute writes cheap.

CREATE TABLE monitoring.performance_rollup_minute (
    bucket timestamptz NOT NULL,
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    component text NOT NULL,
    unit text NOT NULL,
    sample_count bigint NOT NULL,
    value_sum double precision NOT NULL,
    value_min double precision NOT NULL,
    value_max double precision NOT NULL,
    CONSTRAINT performance_rollup_minute_pkey
        PRIMARY KEY (bucket, metric_name, component, metric_type, unit),
    CONSTRAINT performance_rollup_minute_bucket_check
        CHECK (bucket = date_bin('1 minute', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')),
    CONSTRAINT performance_rollup_minute_sample_count_check CHECK (sample_count > 0)
) PARTITION BY RANGE (bucket);
CREATE TABLE monitoring.performance_rollup_minute_default
    PARTITION OF monitoring.performance_rollup_minute DEFAULT;
COMMENT ON TABLE monitoring.performance_rollup_minute IS
    'Performance samples per minute (bucket = start of the UTC minute of recorded_at) and series: count, sum, min, max; the mean is value_sum / sample_count. Rows below the rollup watermark are exact aggregates of performance_monitoring. Partitioned by day of bucket; kept retention.performance_rollup_minute_days.';

-- The hour tables are not partitioned: one row per series and hour is
-- series x 8760 rows a year, small enough that retention by a daily DELETE
-- of a day's worth of rows (by the primary key's leading bucket) costs less
-- than a year of 365 daily partitions would in planning and maintenance.
CREATE TABLE monitoring.performance_rollup_hour (
    bucket timestamptz NOT NULL,
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    component text NOT NULL,
    unit text NOT NULL,
    sample_count bigint NOT NULL,
    value_sum double precision NOT NULL,
    value_min double precision NOT NULL,
    value_max double precision NOT NULL,
    CONSTRAINT performance_rollup_hour_pkey
        PRIMARY KEY (bucket, metric_name, component, metric_type, unit),
    CONSTRAINT performance_rollup_hour_bucket_check
        CHECK (bucket = date_bin('1 hour', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')),
    CONSTRAINT performance_rollup_hour_sample_count_check CHECK (sample_count > 0)
);
COMMENT ON TABLE monitoring.performance_rollup_hour IS
    'Performance samples per UTC hour and series (count, sum, min, max), computed from performance_rollup_minute; the hour holding the watermark covers its minutes up to it. Kept retention.performance_rollup_hour_days (deleted by cleanup_old_monitoring_data).';

-- The 5-minute tier exists for v_performance_trends only (24 hours in
-- 5-minute buckets: series x 288 ready rows instead of re-aggregating five
-- times as many minute rows per query), so it is kept 2 days and, like the
-- hour tier, not partitioned: a daily DELETE of a day's rows is cheaper than
-- the planning cost partitions add to every read of the view.
CREATE TABLE monitoring.performance_rollup_5min (
    bucket timestamptz NOT NULL,
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    component text NOT NULL,
    unit text NOT NULL,
    sample_count bigint NOT NULL,
    value_sum double precision NOT NULL,
    value_min double precision NOT NULL,
    value_max double precision NOT NULL,
    CONSTRAINT performance_rollup_5min_pkey
        PRIMARY KEY (bucket, metric_name, component, metric_type, unit),
    CONSTRAINT performance_rollup_5min_bucket_check
        CHECK (bucket = date_bin('5 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')),
    CONSTRAINT performance_rollup_5min_sample_count_check CHECK (sample_count > 0)
);
COMMENT ON TABLE monitoring.performance_rollup_5min IS
    'Performance samples per UTC 5 minutes and series (count, sum, min, max), computed from performance_rollup_minute; the 5 minutes holding the watermark cover their minutes up to it. Read by v_performance_trends; kept 2 days (deleted by cleanup_old_monitoring_data).';

CREATE TABLE monitoring.task_rollup_minute (
    bucket timestamptz NOT NULL,
    task_type text NOT NULL,
    ended_count bigint NOT NULL,
    completed_count bigint NOT NULL,
    failed_count bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    duration_sum double precision NOT NULL,
    duration_min double precision,
    duration_max double precision,
    duration_buckets bigint[] NOT NULL,
    CONSTRAINT task_rollup_minute_pkey PRIMARY KEY (bucket, task_type),
    CONSTRAINT task_rollup_minute_bucket_check
        CHECK (bucket = date_bin('1 minute', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')),
    CONSTRAINT task_rollup_minute_counts_check
        CHECK (ended_count > 0 AND completed_count >= 0 AND failed_count >= 0 AND cancelled_count >= 0
               AND ended_count = completed_count + failed_count + cancelled_count)
) PARTITION BY RANGE (bucket);
CREATE TABLE monitoring.task_rollup_minute_default
    PARTITION OF monitoring.task_rollup_minute DEFAULT;
COMMENT ON TABLE monitoring.task_rollup_minute IS
    'Tasks that ended in a UTC minute (bucket = start of the minute of end_time), per task type: ended, completed, failed (failed + timeout, as the checks count them) and cancelled counts; duration sum, min and max in seconds; duration_buckets: counts per bucket of monitoring.task_duration_bounds(), from which monitoring.estimate_percentile() estimates percentiles. Partitioned by day of bucket; kept retention.task_rollup_minute_days.';

-- Not partitioned, like performance_rollup_hour.
CREATE TABLE monitoring.task_rollup_hour (
    bucket timestamptz NOT NULL,
    task_type text NOT NULL,
    ended_count bigint NOT NULL,
    completed_count bigint NOT NULL,
    failed_count bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    duration_sum double precision NOT NULL,
    duration_min double precision,
    duration_max double precision,
    duration_buckets bigint[] NOT NULL,
    CONSTRAINT task_rollup_hour_pkey PRIMARY KEY (bucket, task_type),
    CONSTRAINT task_rollup_hour_bucket_check
        CHECK (bucket = date_bin('1 hour', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')),
    CONSTRAINT task_rollup_hour_counts_check
        CHECK (ended_count > 0 AND completed_count >= 0 AND failed_count >= 0 AND cancelled_count >= 0
               AND ended_count = completed_count + failed_count + cancelled_count)
);
COMMENT ON TABLE monitoring.task_rollup_hour IS
    'Tasks that ended in a UTC hour, per task type (the columns of task_rollup_minute), computed from task_rollup_minute. Kept retention.task_rollup_hour_days (deleted by cleanup_old_monitoring_data).';

CREATE TABLE monitoring.rollup_state (
    state_id boolean NOT NULL DEFAULT true,
    watermark timestamptz NOT NULL,
    advanced_at timestamptz NOT NULL,
    applied_at timestamptz,
    apply_duration_seconds double precision,
    minutes_refreshed bigint,
    CONSTRAINT rollup_state_pkey PRIMARY KEY (state_id),
    CONSTRAINT rollup_state_state_id_check CHECK (state_id)
);
COMMENT ON TABLE monitoring.rollup_state IS
    'One row, created by the first refresh: the rollup watermark (rollups cover event times before it, except the ranges in rollup_pending), when it last moved, and what the last apply_rollup_pending() run did (when, how long in seconds, minutes re-aggregated).';

-- No primary key: rows are only inserted (by many writers, never updated)
-- and taken all at once by apply_rollup_pending(); duplicates are harmless.
CREATE TABLE monitoring.rollup_pending (
    source text NOT NULL,
    range_start timestamptz NOT NULL,
    range_end timestamptz NOT NULL,
    noted_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rollup_pending_source_check
        CHECK (source IN ('performance_monitoring', 'processing_metrics')),
    CONSTRAINT rollup_pending_range_check CHECK (range_start < range_end)
);
CREATE INDEX rollup_pending_source_range_start_idx
    ON monitoring.rollup_pending (source, range_start);
COMMENT ON TABLE monitoring.rollup_pending IS
    'Minute ranges [range_start, range_end) of a raw table (source) whose rollups must be recomputed: the range a watermark advance adds, and late events (event time before the watermark) noted by note_ingest(). Emptied by apply_rollup_pending(); the views read raw rows from the oldest pending minute on.';

INSERT INTO monitoring.history_tables (table_name, time_column, retention_setting)
VALUES ('performance_rollup_minute', 'bucket', 'performance_rollup_minute_days'),
       ('task_rollup_minute', 'bucket', 'task_rollup_minute_days');

-- A database configured before this release gets the new settings' defaults
-- (values already there win); a fresh install loads the whole default config
-- after the migrations.
UPDATE monitoring.config
SET document = document
    || jsonb_build_object(
           'retention', '{"performance_rollup_minute_days": 90, "performance_rollup_hour_days": 365,
                          "task_rollup_minute_days": 90, "task_rollup_hour_days": 365}'::jsonb
                        || coalesce(document -> 'retention', '{}'),
           'rollups', '{"lag_seconds": 60, "max_hours_per_run": 24}'::jsonb
                      || coalesce(document -> 'rollups', '{}'),
           'schedules', '{"rollups": "* * * * *"}'::jsonb || coalesce(document -> 'schedules', '{}'));
