CREATE OR REPLACE FUNCTION monitoring.performance_tail(p_since timestamptz, p_width interval)
RETURNS TABLE (bucket timestamptz, metric_name text, metric_type text, component text, unit text,
               sample_count bigint, value_sum double precision,
               value_min double precision, value_max double precision)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
ROWS 1000
AS $$
-- The newest buckets of the performance views: per UTC bucket of p_width
-- (the view's, a whole number of minutes) and series, every bucket from the
-- one holding rollup_boundary() (or from p_since if later) on, built from
-- minute rollups before the boundary and raw samples from it on. The views
-- read the buckets before it from a coarser tier as they are.
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
    SELECT date_bin(p_width, u.at, c_origin), u.metric_name, u.metric_type, u.component, u.unit,
           sum(u.sample_count)::bigint, sum(u.value_sum), min(u.value_min), max(u.value_max)
    FROM (SELECT m.bucket AS at, m.metric_name, m.metric_type, m.component, m.unit,
                 m.sample_count, m.value_sum, m.value_min, m.value_max
          FROM monitoring.performance_rollup_minute AS m
          WHERE m.bucket >= v_from AND m.bucket < v_boundary
          UNION ALL
          SELECT p.recorded_at, p.metric_name, p.metric_type, p.component, p.unit,
                 1, p.metric_value, p.metric_value, p.metric_value
          FROM monitoring.performance_monitoring AS p
          WHERE p.recorded_at >= v_raw_from) AS u
    GROUP BY 1, 2, 3, 4, 5;
END;
$$;
COMMENT ON FUNCTION monitoring.performance_tail(timestamptz, interval) IS
    'Internal to the performance views: per UTC bucket of p_width and series (count, sum, min, max), the buckets from the one holding the rollup boundary (or p_since if later) on, from minute rollups before the boundary and raw samples after it.';
