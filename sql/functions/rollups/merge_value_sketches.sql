CREATE OR REPLACE AGGREGATE monitoring_internal.merge_value_sketches(bigint[]) (
    -- array_cat (built in) collects the entries, compact_value_sketch adds
    -- up equal keys once per group: no function call per input row.
    SFUNC = pg_catalog.array_cat,
    STYPE = bigint[],
    FINALFUNC = monitoring_internal.compact_value_sketch,
    COMBINEFUNC = pg_catalog.array_cat,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE monitoring_internal.merge_value_sketches(bigint[]) IS
    'Aggregate: merges value sketches (value_sketch of the performance rollups) into the sketch of all their samples, e.g. minutes into 5 minutes or hours. NULL sketches are skipped: callers that must not merge a partial sketch check count(value_sketch) = count(*).';
