CREATE OR REPLACE FUNCTION monitoring.performance_tail(p_since timestamptz, p_width interval,
                                                       p_fraction double precision)
RETURNS TABLE (bucket timestamptz, metric_name text, metric_type text, component text, unit text,
               sample_count bigint, value_sum double precision,
               value_min double precision, value_max double precision,
               value_percentile double precision)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
ROWS 1000
AS $$
-- The newest buckets of the performance views: per UTC bucket of p_width
-- (the view's, a whole number of minutes) and series, every bucket from the
-- one holding rollup_boundary() (or from p_since if later) on, built from
-- minute rollups before the boundary and, from it on, the raw samples'
-- minutes as performance_minute_aggregate() defines them (the definition
-- the rollups are written with). value_percentile: the p_fraction
-- percentile estimated from the merged value sketches (within 2%, see
-- estimate_value_percentile), as the refresh stores it in the coarser
-- tiers; NULL for a bucket holding a minute rolled up before the sketches
-- existed. The views read the buckets before the boundary's from a coarser
-- tier as they are.
-- A function rather than branches of each view: the boundary is computed
-- once (in a view it was evaluated per row wherever a scan could not use it
-- as an index condition), the queries are planned with its value (only the
-- partitions past it are planned and read), and the view's plan costs a
-- small function scan (scans of every raw partition had pushed it over the
-- JIT thresholds). STABLE: runs in the calling query's snapshot, so it
-- agrees with the view on the boundary. SECURITY DEFINER: readers of the
-- views may not read the tables; they get these aggregates only.
DECLARE
    c_origin CONSTANT timestamptz := TIMESTAMPTZ '2000-01-01 00:00:00+00';
    v_boundary timestamptz := monitoring.rollup_boundary('performance_monitoring');
    v_from timestamptz := greatest(p_since, date_bin(p_width, v_boundary, c_origin));
    v_raw_from timestamptz := greatest(p_since, v_boundary);
BEGIN
    RETURN QUERY
    SELECT g.bucket, g.metric_name, g.metric_type, g.component, g.unit,
           g.sample_count, g.value_sum, g.value_min, g.value_max,
           monitoring_internal.estimate_value_percentile(g.value_sketch, p_fraction, g.value_min, g.value_max)
    FROM (SELECT date_bin(p_width, u.bucket, c_origin) AS bucket,
                 u.metric_name, u.metric_type, u.component, u.unit,
                 sum(u.sample_count)::bigint AS sample_count, monitoring_internal.add_sample_sums(sum(u.value_sum) FILTER (WHERE abs(u.value_sum) < 1e300), sum(u.value_sum::numeric) FILTER (WHERE abs(u.value_sum) >= 1e300)) AS value_sum,
                 min(u.value_min) AS value_min, max(u.value_max) AS value_max,
                 CASE WHEN count(u.value_sketch) = count(*)
                      THEN monitoring_internal.merge_value_sketches(u.value_sketch) END AS value_sketch
          FROM (SELECT m.bucket, m.metric_name, m.metric_type, m.component, m.unit,
                       m.sample_count, m.value_sum, m.value_min, m.value_max, m.value_sketch
                FROM monitoring.performance_rollup_minute AS m
                WHERE m.bucket >= v_from AND m.bucket < v_boundary
                UNION ALL
                SELECT a.bucket, a.metric_name, a.metric_type, a.component, a.unit,
                       a.sample_count, a.value_sum, a.value_min, a.value_max, a.value_sketch
                FROM monitoring_internal.performance_minute_aggregate(v_raw_from, 'infinity') AS a) AS u
          GROUP BY 1, 2, 3, 4, 5) AS g;
END;
$$;
COMMENT ON FUNCTION monitoring.performance_tail(timestamptz, interval, double precision) IS
    'Internal to the performance views: per UTC bucket of p_width and series (count, sum, min, max, and the p_fraction percentile estimated from the value sketches), the buckets from the one holding the rollup boundary (or p_since if later) on, from minute rollups before the boundary and the raw samples'' minutes (performance_minute_aggregate) after it.';
