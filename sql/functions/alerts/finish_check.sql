CREATE OR REPLACE FUNCTION monitoring_internal.finish_check(p_check_name text)
RETURNS void
LANGUAGE sql
AS $$
    -- Internal: marks an evaluation of one alert type as done at now(). Open
    -- alerts of that type not seen by it are cleared (resolve_resolved_alerts).
    INSERT INTO monitoring_internal.check_runs AS c (check_name, last_run_at, last_source)
    VALUES (p_check_name, now(),
            coalesce(nullif(current_setting('pgvigil.check_source', true), ''), 'manual'))
    ON CONFLICT ON CONSTRAINT check_runs_pkey DO UPDATE
    SET last_run_at = excluded.last_run_at,
        last_source = excluded.last_source,
        runs_total = c.runs_total + 1;
$$;
COMMENT ON FUNCTION monitoring_internal.finish_check(text) IS
    'Internal: records that the check for one alert type evaluated at now().';
