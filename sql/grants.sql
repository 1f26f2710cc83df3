-- Privileges, re-applied by pgvigil migrate after every change to functions
-- or views, so a recreated object never silently keeps or loses a grant.
--   pgvigil_writer: only the recording functions (no table access).
--   pgvigil_reader: only the v_* views and get_dashboard_summary().
--   pgvigil_admin:  reader + writer, plus config, alerts, checks, schedules
--                   and maintenance; may read the raw tables.
-- Internal helpers are executable by their owner only.

REVOKE ALL ON ALL TABLES IN SCHEMA monitoring FROM PUBLIC, pgvigil_writer, pgvigil_reader, pgvigil_admin;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA monitoring FROM PUBLIC, pgvigil_writer, pgvigil_reader, pgvigil_admin;

DO $$
DECLARE
    v_grants CONSTANT text[][] := ARRAY[
        ['start_task_tracking', 'pgvigil_writer'],
        ['complete_task_tracking', 'pgvigil_writer'],
        ['record_error', 'pgvigil_writer'],
        ['record_performance_metric', 'pgvigil_writer'],
        ['update_system_health', 'pgvigil_writer'],
        ['record_queue_stats', 'pgvigil_writer'],
        ['get_dashboard_summary', 'pgvigil_reader'],
        ['check_error_rate_alerts', 'pgvigil_admin'],
        ['check_processing_performance_alerts', 'pgvigil_admin'],
        ['check_system_health_alerts', 'pgvigil_admin'],
        ['check_queue_backlog_alerts', 'pgvigil_admin'],
        ['resolve_resolved_alerts', 'pgvigil_admin'],
        ['run_monitoring_checks', 'pgvigil_admin'],
        ['acknowledge_alert', 'pgvigil_admin'],
        ['resolve_alert', 'pgvigil_admin'],
        ['cleanup_old_monitoring_data', 'pgvigil_admin'],
        ['run_partition_maintenance', 'pgvigil_admin'],
        ['purge_cron_history', 'pgvigil_admin'],
        ['validate_config', 'pgvigil_admin'],
        ['apply_config', 'pgvigil_admin'],
        ['job_definitions', 'pgvigil_admin'],
        ['schedule_jobs', 'pgvigil_admin'],
        ['unschedule_jobs', 'pgvigil_admin']];
    v_function regprocedure;
BEGIN
    FOR i IN 1 .. array_length(v_grants, 1) LOOP
        FOR v_function IN
            SELECT p.oid::regprocedure FROM pg_catalog.pg_proc AS p
            WHERE p.pronamespace = 'monitoring'::regnamespace AND p.proname = v_grants[i][1]
        LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_grants[i][2]);
        END LOOP;
    END LOOP;
END
$$;

GRANT SELECT ON monitoring.v_active_alerts, monitoring.v_error_summary,
    monitoring.v_performance_trends, monitoring.v_queue_performance,
    monitoring.v_realtime_processing_status, monitoring.v_system_health_summary
    TO pgvigil_reader;

GRANT pgvigil_writer, pgvigil_reader TO pgvigil_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA monitoring TO pgvigil_admin;
