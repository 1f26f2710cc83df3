-- transactional: false
--
-- v_performance_trends and v_performance_history list their rows newest
-- bucket first, then by metric and component (ORDER BY 1 DESC, 2, 4). The
-- primary keys are (bucket, metric_name, component, ...) ascending, which a
-- backward scan reads as bucket DESC, metric_name DESC: so every SELECT *
-- sorted each bucket's rows again (57,600 rows for 200 series over a day).
-- An index in the views' own order lets the planner read the rollups as
-- they are listed, with no sort.
--
-- CONCURRENTLY, so refreshes go on writing the tiers while it builds; which
-- is why this migration is not one transaction. A build that fails leaves
-- an invalid index behind and the migration unapplied: the DROP makes a
-- second run start over (on a first run it finds nothing).
DROP INDEX CONCURRENTLY IF EXISTS monitoring.performance_rollup_5min_listing_idx;
CREATE INDEX CONCURRENTLY performance_rollup_5min_listing_idx
    ON monitoring.performance_rollup_5min (bucket DESC, metric_name, component);

DROP INDEX CONCURRENTLY IF EXISTS monitoring.performance_rollup_hour_listing_idx;
CREATE INDEX CONCURRENTLY performance_rollup_hour_listing_idx
    ON monitoring.performance_rollup_hour (bucket DESC, metric_name, component);
