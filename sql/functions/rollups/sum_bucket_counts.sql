CREATE OR REPLACE AGGREGATE monitoring.sum_bucket_counts(bigint[]) (
    SFUNC = monitoring_internal.add_bucket_counts,
    STYPE = bigint[],
    COMBINEFUNC = monitoring_internal.add_bucket_counts,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE monitoring.sum_bucket_counts(bigint[]) IS
    'Aggregate: element-wise sum of duration bucket counts (duration_buckets of the task rollups), e.g. minutes into hours; NULL arrays are skipped.';
