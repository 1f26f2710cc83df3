CREATE OR REPLACE FUNCTION monitoring_internal.register_components()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: registers the components seen since the last sweep (health
-- reports: all of them, one row each; errors and metrics: those recorded
-- since then, with 5 minutes of overlap for late commits) and moves their
-- last_seen_at. A sweep, not a trigger: the ingest paths stay as fast as
-- they were. Runs in run_monitoring_checks(). Returns the number of
-- components registered for the first time.
DECLARE
    v_since timestamptz := coalesce(
        (SELECT c.last_run_at FROM monitoring_internal.check_runs AS c WHERE c.check_name = 'register_components'),
        now() - interval '1 day') - interval '5 minutes';
    v_new integer;
BEGIN
    WITH seen AS (
        SELECT h.component_name AS component, h.component_type, h.last_check_at AS seen_at, 'health' AS seen_in
        FROM monitoring.system_health AS h
        UNION ALL
        SELECT e.component, NULL, max(e.occurred_at), 'errors'
        FROM monitoring.error_tracking AS e
        WHERE e.occurred_at > v_since AND e.occurred_at <= now() AND e.component IS NOT NULL
        GROUP BY e.component
        UNION ALL
        SELECT p.component, NULL, max(p.recorded_at), 'metrics'
        FROM monitoring.performance_monitoring AS p
        WHERE p.recorded_at > v_since AND p.recorded_at <= now() AND p.component IS NOT NULL
        GROUP BY p.component
    ), merged AS (
        SELECT s.component, max(s.component_type) AS component_type, min(s.seen_at) AS first_seen_at,
               max(s.seen_at) AS last_seen_at, array_agg(DISTINCT s.seen_in ORDER BY s.seen_in) AS seen_in
        FROM seen AS s
        WHERE length(s.component) BETWEEN 1 AND 200
        GROUP BY s.component
    ), upserted AS (
        INSERT INTO monitoring.components AS c (component, component_type, seen_in, first_seen_at, last_seen_at)
        SELECT m.component, m.component_type, m.seen_in, m.first_seen_at, m.last_seen_at FROM merged AS m
        ON CONFLICT ON CONSTRAINT components_pkey DO UPDATE
        SET component_type = coalesce(c.component_type, excluded.component_type),
            seen_in = ARRAY(SELECT DISTINCT x FROM unnest(c.seen_in || excluded.seen_in) AS x ORDER BY 1),
            first_seen_at = least(c.first_seen_at, excluded.first_seen_at),
            last_seen_at = greatest(c.last_seen_at, excluded.last_seen_at)
        WHERE c.last_seen_at IS DISTINCT FROM greatest(c.last_seen_at, excluded.last_seen_at)
           OR NOT excluded.seen_in <@ c.seen_in
           OR (c.component_type IS NULL AND excluded.component_type IS NOT NULL)
        RETURNING xmax = 0 AS inserted
    )
    SELECT count(*) FILTER (WHERE u.inserted) INTO v_new FROM upserted AS u;
    PERFORM monitoring_internal.finish_check('register_components');
    RETURN v_new;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.register_components() IS
    'Internal: registers components seen in health reports, errors and metrics since the last sweep; returns how many are new.';
