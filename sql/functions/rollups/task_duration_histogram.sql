CREATE OR REPLACE AGGREGATE monitoring.task_duration_histogram(double precision) (
    SFUNC = monitoring_internal.add_to_duration_histogram,
    STYPE = bigint[],
    COMBINEFUNC = monitoring_internal.add_bucket_counts,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE monitoring.task_duration_histogram(double precision) IS
    'Aggregate: counts durations in seconds per bucket of monitoring.task_duration_bounds(), as stored in duration_buckets of the task rollups. NULL durations are not counted.';
