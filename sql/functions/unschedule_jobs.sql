CREATE OR REPLACE FUNCTION monitoring.unschedule_jobs()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Removes the pgvigil jobs from pg_cron; returns how many were removed.
-- Idempotent, and a no-op where pg_cron is not installed.
DECLARE
    v_removed integer;
BEGIN
    IF to_regclass('cron.job') IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE 'SELECT count(cron.unschedule(j.jobid))::integer FROM cron.job AS j WHERE j.jobname = ANY ($1)'
        INTO v_removed
        USING ARRAY(SELECT d.job_name FROM monitoring.job_definitions() AS d);
    RETURN v_removed;
END;
$$;
COMMENT ON FUNCTION monitoring.unschedule_jobs() IS
    'Removes the pgvigil jobs from pg_cron; returns the number removed (0 when none or pg_cron is absent).';
