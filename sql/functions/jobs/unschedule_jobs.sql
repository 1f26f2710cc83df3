CREATE OR REPLACE FUNCTION monitoring.unschedule_jobs()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Removes the pgvigil jobs from pg_cron; returns how many were removed.
-- Idempotent, and a no-op where pg_cron is not installed. Removing jobs
-- writes an audit_log row with their names and schedules.
DECLARE
    v_removed jsonb;
BEGIN
    IF to_regclass('cron.job') IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE 'SELECT coalesce(jsonb_agg(jsonb_build_object(''job_name'', j.jobname, ''schedule'', j.schedule)'
            || ' ORDER BY j.jobname) FILTER (WHERE cron.unschedule(j.jobid)), ''[]'')'
            || ' FROM cron.job AS j WHERE j.jobname = ANY ($1)'
        INTO v_removed
        USING ARRAY(SELECT d.job_name FROM monitoring.job_definitions() AS d);
    IF jsonb_array_length(v_removed) > 0 THEN
        PERFORM monitoring_internal.write_audit_log('unschedule_jobs', 'pg_cron', jsonb_build_object('jobs', v_removed));
    END IF;
    RETURN jsonb_array_length(v_removed);
END;
$$;
COMMENT ON FUNCTION monitoring.unschedule_jobs() IS
    'Removes the pgvigil jobs from pg_cron; returns the number removed (0 when none or pg_cron is absent). Removals are audited in monitoring.audit_log.';
