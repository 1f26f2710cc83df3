-- transactional: false
--
-- Performance rollups keep a mergeable summary of their samples,
-- value_sketch, from which the views estimate percentiles again (p95 of
-- v_performance_trends and v_performance_history): counts per bucket of a
-- fixed sign-aware log scale with a relative error of 2% (the scale and the
-- encoding: sql/functions/rollups/value_sketch_key.sql and
-- compact_value_sketch.sql). The 5-minute and hour tiers also store the p95
-- of their sketch, value_p95: their views read tens of thousands of rows
-- per query, too many to estimate a percentile for each.
--
-- Why sparse: the scale covers every finite double (70,903 buckets), and a
-- rollup row has samples in a few of them: a minute of one series usually
-- one or two, an hour of a gauge a few dozen. An entry packs key and count
-- into one bigint (8 bytes), so a minute row grows by about 30 bytes.
--
-- Safe on big tables: ADD COLUMN without a default changes the catalog
-- only (no rewrite, no scan), and so do the comments. Existing rows get NULL
-- sketches: their buckets show a NULL p95, and a 5-minute or hour bucket
-- merged from any such minute keeps a NULL sketch rather than a partial
-- one. Minutes aggregated from now on get theirs, so every 5 minutes and
-- hour that starts after the upgrade is complete without a backfill (old
-- minutes re-aggregated for late data get theirs too).
--
-- Not in one transaction: each statement commits on its own, so the brief
-- ACCESS EXCLUSIVE lock of each ADD COLUMN is released at once and never
-- held while the next table is locked (a view query holds the tiers' locks
-- in its own order: holding several here could deadlock with it).
-- lock_timeout keeps an ALTER that waits behind a long query from stalling
-- the readers queued behind it: the migration then fails, and running it
-- again picks up where it stopped (IF NOT EXISTS).

SET lock_timeout = '10s';

ALTER TABLE monitoring.performance_rollup_minute ADD COLUMN IF NOT EXISTS value_sketch bigint[];

ALTER TABLE monitoring.performance_rollup_5min
    ADD COLUMN IF NOT EXISTS value_sketch bigint[],
    ADD COLUMN IF NOT EXISTS value_p95 double precision;

ALTER TABLE monitoring.performance_rollup_hour
    ADD COLUMN IF NOT EXISTS value_sketch bigint[],
    ADD COLUMN IF NOT EXISTS value_p95 double precision;

COMMENT ON COLUMN monitoring.performance_rollup_minute.value_sketch IS
    'Counts of the samples per bucket of monitoring.value_sketch_key() (sign-aware log scale, relative error 2%; 0 for |value| < 2.2250738585072014e-308), one bigint per bucket with samples: key * 2^47 + count, in key order. Merge with monitoring.merge_value_sketches(), estimate percentiles with monitoring.estimate_value_percentile(). NULL for minutes rolled up before migration 0012.';
COMMENT ON COLUMN monitoring.performance_rollup_5min.value_sketch IS
    'The value sketch of the 5 minutes (see performance_rollup_minute.value_sketch): its minutes'' merged; NULL if any of them has none.';
COMMENT ON COLUMN monitoring.performance_rollup_5min.value_p95 IS
    'The 95th percentile of the samples (as percentile_cont) estimated from value_sketch by monitoring.estimate_value_percentile(): within 2% of the exact value (within 2% of the larger magnitude when it falls between a negative and a positive sample). NULL when value_sketch is.';
COMMENT ON COLUMN monitoring.performance_rollup_hour.value_sketch IS
    'The value sketch of the hour (see performance_rollup_minute.value_sketch): its minutes'' merged; NULL if any of them has none.';
COMMENT ON COLUMN monitoring.performance_rollup_hour.value_p95 IS
    'The 95th percentile of the samples estimated from value_sketch (see performance_rollup_5min.value_p95). NULL when value_sketch is.';
COMMENT ON TABLE monitoring.performance_rollup_minute IS
    'Performance samples per minute (bucket = start of the UTC minute of recorded_at) and series: count, sum, min, max and value_sketch (counts per log-scale bucket, for percentiles); the mean is value_sum / sample_count. Rows below the rollup watermark are exact aggregates of performance_monitoring (monitoring.performance_minute_aggregate). Partitioned by day of bucket; kept retention.performance_rollup_minute_days.';
COMMENT ON TABLE monitoring.performance_rollup_5min IS
    'Performance samples per UTC 5 minutes and series (count, sum, min, max, value_sketch and its p95), computed from performance_rollup_minute; the 5 minutes holding the watermark cover their minutes up to it. Read by v_performance_trends; kept 2 days (deleted by cleanup_old_monitoring_data).';
COMMENT ON TABLE monitoring.performance_rollup_hour IS
    'Performance samples per UTC hour and series (count, sum, min, max, value_sketch and its p95), computed from performance_rollup_minute; the hour holding the watermark covers its minutes up to it. Kept retention.performance_rollup_hour_days (deleted by cleanup_old_monitoring_data).';

RESET lock_timeout;
