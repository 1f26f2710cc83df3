CREATE OR REPLACE FUNCTION monitoring.purge_cron_history()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- pg_cron keeps one row per run in cron.job_run_details forever; this
-- deletes the rows of pgvigil's own jobs (the names job_definitions()
-- gives) older than retention.cron_job_run_details_days. Other jobs'
-- history belongs to whoever scheduled them and is left alone. Returns
-- the number deleted (0 where pg_cron is not installed).
DECLARE
    v_deleted bigint;
BEGIN
    IF to_regclass('cron.job_run_details') IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE 'DELETE FROM cron.job_run_details AS d
             USING cron.job AS j
             WHERE d.jobid = j.jobid
               AND j.jobname IN (SELECT job_name FROM monitoring.job_definitions())
               AND d.end_time < $1'
        USING now() - make_interval(days => 1) * monitoring_internal.config_number('{retention,cron_job_run_details_days}');
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$$;
COMMENT ON FUNCTION monitoring.purge_cron_history() IS
    'Deletes the pg_cron run history (cron.job_run_details) of pgvigil''s own jobs older than retention.cron_job_run_details_days, leaving other jobs'' history alone; returns rows deleted.';
