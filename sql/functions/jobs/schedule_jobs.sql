CREATE OR REPLACE FUNCTION monitoring.schedule_jobs()
RETURNS TABLE (job_name text, schedule text, job_id bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Installs (or updates, by name) the pgvigil jobs in pg_cron. The checks run
-- every schedules.monitoring_checks_interval_seconds where pg_cron >= 1.5
-- supports seconds schedules, else on the cron expression (every minute).
-- Needs the pg_cron extension in this database (pgvigil migrate creates it
-- where the library is preloaded for it); otherwise raises PV401 with what
-- to do in the HINT.
DECLARE
    v_version text;
    v_version_parts integer[];
    v_interval_seconds jsonb;
    v_schedule text;
    v_jobs jsonb := '[]'::jsonb;
    j record;
BEGIN
    SELECT e.extversion INTO v_version FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron';
    IF NOT FOUND THEN
        -- Installing an extension is the DBA's (or migrate's) step, not a
        -- side effect of a function any admin may call.
        IF 'pg_cron' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
           AND current_setting('cron.database_name', true) = current_database() THEN
            RAISE EXCEPTION 'pg_cron is preloaded for database % but the extension is not created in it', current_database()
                USING ERRCODE = 'PV401',
                      HINT = 'Run pgvigil migrate (it creates the extension where pg_cron is preloaded), '
                             || 'or as a superuser: CREATE EXTENSION pg_cron; then SELECT monitoring.schedule_jobs() again.';
        END IF;
        RAISE EXCEPTION 'pg_cron is not available in database %', current_database()
            USING ERRCODE = 'PV401',
                  DETAIL = format('shared_preload_libraries = %L; cron.database_name = %L.',
                                  current_setting('shared_preload_libraries'),
                                  coalesce(current_setting('cron.database_name', true), '(unset)')),
                  HINT = format(E'Install pg_cron (Debian: postgresql-15-cron), add to postgresql.conf:\n'
                                || E'  shared_preload_libraries = ''pg_cron''\n'
                                || E'  cron.database_name = %L\n'
                                || 'restart PostgreSQL, run pgvigil migrate, then SELECT monitoring.schedule_jobs() again; '
                                || 'or run the same jobs from Python with: pgvigil scheduler',
                                current_database());
    END IF;
    v_version_parts := (regexp_match(v_version, '^(\d+)\.(\d+)'))::integer[];
    v_interval_seconds := monitoring_internal.config_value('{schedules}') -> 'monitoring_checks_interval_seconds';

    FOR j IN SELECT * FROM monitoring.job_definitions('pg_cron') LOOP
        v_schedule := j.schedule;
        IF j.job_name = 'pgvigil-monitoring-checks' AND jsonb_typeof(v_interval_seconds) = 'number' THEN
            IF v_version_parts >= ARRAY[1, 5] THEN
                v_schedule := (v_interval_seconds #>> '{}') || ' seconds';
            ELSE
                RAISE NOTICE 'pg_cron % has no seconds schedules (1.5+); checks run on "%" instead of every % seconds',
                    v_version, v_schedule, v_interval_seconds;
            END IF;
        END IF;
        BEGIN
            EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING j.job_name, v_schedule, j.command;
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE EXCEPTION 'invalid schedule for %: %', j.job_name, v_schedule
                USING ERRCODE = 'PV402',
                      DETAIL = SQLERRM,
                      HINT = 'Use a five-field cron expression in UTC, e.g. "* * * * *" or "17 3 * * *", in the config''s "schedules", then apply it.';
        END;
        job_name := j.job_name;
        schedule := v_schedule;
        v_jobs := v_jobs || jsonb_build_object('job_name', j.job_name, 'schedule', v_schedule, 'job_id', job_id);
        RETURN NEXT;
    END LOOP;
    PERFORM monitoring_internal.write_audit_log('schedule_jobs', 'pg_cron', jsonb_build_object('jobs', v_jobs));
END;
$$;
COMMENT ON FUNCTION monitoring.schedule_jobs() IS
    'Installs or updates the named pgvigil jobs in pg_cron (checks, rollups, partition maintenance, cleanup, cron history purge). Idempotent; audited in monitoring.audit_log. Errors: PV401 (pg_cron not available, HINT gives the postgresql.conf lines), PV402 (invalid schedule).';
