CREATE OR REPLACE FUNCTION monitoring.rollup_boundary(p_source text)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Where the trend views switch from rollups to raw rows for one raw table
-- (performance_monitoring or processing_metrics): the rollup watermark, or
-- the oldest minute still queued for re-aggregation if earlier; -infinity
-- before the first refresh (all raw). A function rather than a subquery in
-- each view: the planner evaluates a STABLE function when estimating, so it
-- sees how few raw rows lie past the boundary (a subquery's value is
-- unknown at plan time, estimated as a third of the table, which made plans
-- costly enough to trigger JIT compilation), and partitions are still
-- pruned at executor start. Runs in the calling query's snapshot; SECURITY
-- DEFINER because readers of the views may not read the rollup state.
DECLARE
    v_boundary timestamptz;
BEGIN
    SELECT least(s.watermark, (SELECT min(q.range_start) FROM monitoring_internal.rollup_pending AS q
                               WHERE q.source = p_source))
    INTO v_boundary
    FROM monitoring_internal.rollup_state AS s;
    RETURN coalesce(v_boundary, '-infinity');
END;
$$;
COMMENT ON FUNCTION monitoring.rollup_boundary(text) IS
    'Where the trend views switch from rollups to raw rows for a raw table: the rollup watermark or the oldest minute queued for re-aggregation; -infinity before the first refresh.';
