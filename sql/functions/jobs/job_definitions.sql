CREATE OR REPLACE FUNCTION monitoring.job_definitions(p_runner text DEFAULT 'pg_cron')
RETURNS TABLE (job_name text, schedule text, command text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- The scheduled jobs, in one place for both runners: schedule_jobs()
    -- installs them in pg_cron and `pgvigil scheduler` runs them from Python.
    -- Schedules are cron expressions in UTC from the config's "schedules".
    -- The only place job names are written: everything else reads them here.
    SELECT 'pgvigil-monitoring-checks',
           monitoring_internal.config_value('{schedules,monitoring_checks}') #>> '{}',
           format('SELECT * FROM monitoring.run_monitoring_checks(%L)', p_runner)
    UNION ALL
    -- Its own job, so that it still runs when the checks job fails; on the
    -- checks' schedule unless the config gives it one.
    SELECT 'pgvigil-watchdog',
           coalesce((SELECT c.document #>> '{schedules,watchdog}' FROM monitoring.config AS c),
                    monitoring_internal.config_value('{schedules,monitoring_checks}') #>> '{}'),
           format('SELECT * FROM monitoring.check_watchdog(%L)', p_runner)
    UNION ALL
    SELECT 'pgvigil-rollups',
           monitoring_internal.config_value('{schedules,rollups}') #>> '{}',
           'CALL monitoring.refresh_rollups()'
    UNION ALL
    SELECT 'pgvigil-partition-maintenance',
           monitoring_internal.config_value('{schedules,partition_maintenance}') #>> '{}',
           'SELECT * FROM monitoring.run_partition_maintenance()'
    UNION ALL
    SELECT 'pgvigil-cleanup',
           monitoring_internal.config_value('{schedules,cleanup}') #>> '{}',
           'CALL monitoring.run_retention()'
    UNION ALL
    SELECT 'pgvigil-purge-cron-history',
           monitoring_internal.config_value('{schedules,purge_cron_history}') #>> '{}',
           'SELECT monitoring.purge_cron_history()'
    -- pg_cron's own run history: nothing to purge for another runner.
    WHERE p_runner = 'pg_cron';
$$;
COMMENT ON FUNCTION monitoring.job_definitions(text) IS
    'The pgvigil scheduled jobs (name, cron schedule in UTC, SQL command) as configured; p_runner is recorded as the source of the alerts the checks raise.';
