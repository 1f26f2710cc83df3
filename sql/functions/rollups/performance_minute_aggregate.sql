CREATE OR REPLACE FUNCTION monitoring_internal.performance_minute_aggregate(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (bucket timestamptz, metric_name text, metric_type text, component text, unit text,
               sample_count bigint, value_sum double precision, value_min double precision,
               value_max double precision, value_sketch bigint[])
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    -- The one definition of a minute of performance samples: per UTC minute
    -- of recorded_at and series, the samples recorded in [p_from, p_to)
    -- (pass whole minutes) as rows of performance_rollup_minute. Written to
    -- the minute rollups by apply_rollup_pending() and read, for the minutes
    -- past the rollup boundary, by performance_tail(), so the views and the
    -- rollups cannot disagree on what a minute holds.
    -- value_sketch: counts per bucket of value_sketch_key(), packed as
    -- key * 2^47 + count in key order (see compact_value_sketch), from a
    -- first grouping by minute, series and key; count, sum, min and max are
    -- summed up from the same groups.
    -- SQL, STABLE, not STRICT, not SECURITY DEFINER, no SET: the planner
    -- inlines it into the calling query, which is planned with its
    -- arguments (only the raw partitions of [p_from, p_to) are read) and
    -- checked with the caller's privileges (internal: its callers are
    -- SECURITY DEFINER).
    SELECT k.bucket, k.metric_name, k.metric_type, k.component, k.unit,
           sum(k.n)::bigint,
           -- Overflow-safe sums: see add_sample_sums.
           monitoring_internal.add_sample_sums(sum(k.value_sum) FILTER (WHERE abs(k.value_sum) < 1e300), sum(k.value_sum::numeric) FILTER (WHERE abs(k.value_sum) >= 1e300)),
           min(k.value_min), max(k.value_max),
           CASE WHEN max(k.n) < 140737488355328
                THEN array_agg(k.key::bigint * 140737488355328 + k.n ORDER BY k.key) END
    FROM (SELECT date_bin('1 minute', p.recorded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
                 p.metric_name, p.metric_type, p.component, p.unit,
                 monitoring_internal.value_sketch_key(p.metric_value) AS key,
                 count(*) AS n,
                 monitoring_internal.add_sample_sums(sum(p.metric_value) FILTER (WHERE abs(p.metric_value) < 1e300), sum(p.metric_value::numeric) FILTER (WHERE abs(p.metric_value) >= 1e300)) AS value_sum,
                 min(p.metric_value) AS value_min, max(p.metric_value) AS value_max
          FROM monitoring.performance_monitoring AS p
          WHERE p.recorded_at >= p_from AND p.recorded_at < p_to
          GROUP BY 1, 2, 3, 4, 5, 6) AS k
    GROUP BY 1, 2, 3, 4, 5;
$$;
COMMENT ON FUNCTION monitoring_internal.performance_minute_aggregate(timestamptz, timestamptz) IS
    'Internal: the minute aggregate of performance samples recorded in [p_from, p_to): per UTC minute and series, the columns of performance_rollup_minute (count, sum, min, max, value_sketch). Used by apply_rollup_pending() and performance_tail().';
