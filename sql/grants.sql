-- Privileges, re-applied by pgvigil migrate after every change to functions
-- or views, so a recreated object never silently keeps or loses a grant.
--   pgvigil_writer: only the recording functions, plus INSERT (COPY) into
--                   performance_monitoring for buffered clients.
--   pgvigil_reader: only the v_* views and get_dashboard_summary(), plus the
--                   functions the views call (views run functions with the
--                   reader's privileges): histograms, the rollup boundary
--                   and the raw tails (aggregates of the newest minutes).
--   pgvigil_operator: reader, plus acknowledging and resolving alerts,
--                   silences and alert rules (pgvigil serve's operator role).
--   pgvigil_admin:  reader + writer + operator, plus config, checks, schedules,
--                   rollups and maintenance; may read the raw tables and
--                   audit_log (the only role that may read it; nobody may
--                   write it but the functions that audit, as its owner).
-- tests/test_privileges.py asserts the exact sets below: a grant added here
-- must be added there too.
-- ROUTINES, not FUNCTIONS: the grants cover the aggregates and the
-- refresh_rollups() procedure too.
-- Internal helpers live in schema monitoring_internal: their owner's only.

REVOKE ALL ON ALL TABLES IN SCHEMA monitoring FROM PUBLIC, pgvigil_writer, pgvigil_reader, pgvigil_operator, pgvigil_admin;
REVOKE ALL ON ALL ROUTINES IN SCHEMA monitoring FROM PUBLIC, pgvigil_writer, pgvigil_reader, pgvigil_operator, pgvigil_admin;
-- The internals (bookkeeping tables and helpers): their owner's only, and no role may use the schema.
REVOKE ALL ON ALL TABLES IN SCHEMA monitoring_internal FROM PUBLIC, pgvigil_writer, pgvigil_reader, pgvigil_operator, pgvigil_admin;
REVOKE ALL ON ALL ROUTINES IN SCHEMA monitoring_internal FROM PUBLIC, pgvigil_writer, pgvigil_reader, pgvigil_operator, pgvigil_admin;
REVOKE ALL ON SCHEMA monitoring_internal FROM PUBLIC, pgvigil_writer, pgvigil_reader, pgvigil_operator, pgvigil_admin;

DO $$
DECLARE
    v_grants CONSTANT text[][] := ARRAY[
        ['start_task_tracking', 'pgvigil_writer'],
        ['complete_task_tracking', 'pgvigil_writer'],
        ['record_error', 'pgvigil_writer'],
        ['record_performance_metric', 'pgvigil_writer'],
        ['update_system_health', 'pgvigil_writer'],
        ['record_queue_stats', 'pgvigil_writer'],
        ['begin_ingest_batch', 'pgvigil_writer'],
        ['confirm_metric_copy', 'pgvigil_writer'],
        ['record_task_events', 'pgvigil_writer'],
        ['get_dashboard_summary', 'pgvigil_reader'],
        -- The trend and history views call these with the reader's privileges.
        ['estimate_percentile', 'pgvigil_reader'],
        ['rollup_boundary', 'pgvigil_reader'],
        ['performance_tail', 'pgvigil_reader'],
        ['task_tail', 'pgvigil_reader'],
        ['task_duration_bounds', 'pgvigil_reader'],
        ['task_duration_histogram', 'pgvigil_reader'],
        ['sum_bucket_counts', 'pgvigil_reader'],
        ['alert_fingerprint', 'pgvigil_reader'],
        -- Filtering the alert views by amtool matchers.
        ['labels_match', 'pgvigil_reader'],
        -- GET /metrics, in the Prometheus text format.
        ['prometheus_metrics', 'pgvigil_reader'],
        -- The Alertmanager API v2 (pgvigil serve): reads for viewers, posting alerts for operators.
        ['alertmanager_alerts', 'pgvigil_reader'],
        ['alertmanager_alert_groups', 'pgvigil_reader'],
        ['alertmanager_silences', 'pgvigil_reader'],
        ['alertmanager_status', 'pgvigil_reader'],
        ['receive_alerts', 'pgvigil_operator'],
        -- The task drill-down (GET /api/v1/tasks/runs) and the reports (GET /api/v1/reports).
        ['list_tasks', 'pgvigil_reader'],
        ['alert_response_report', 'pgvigil_reader'],
        ['component_uptime_report', 'pgvigil_reader'],
        ['check_error_rate_alerts', 'pgvigil_admin'],
        ['check_processing_performance_alerts', 'pgvigil_admin'],
        ['check_system_health_alerts', 'pgvigil_admin'],
        ['check_queue_backlog_alerts', 'pgvigil_admin'],
        ['resolve_resolved_alerts', 'pgvigil_admin'],
        ['run_monitoring_checks', 'pgvigil_admin'],
        ['evaluate_alert_rules', 'pgvigil_admin'],
        ['check_watchdog', 'pgvigil_admin'],
        ['test_route', 'pgvigil_operator'],
        ['flush_notification_groups', 'pgvigil_admin'],
        ['claim_notifications', 'pgvigil_admin'],
        ['record_notification_attempt', 'pgvigil_admin'],
        ['create_silence', 'pgvigil_operator'],
        ['update_silence', 'pgvigil_operator'],
        ['expire_silence', 'pgvigil_operator'],
        ['send_test_notification', 'pgvigil_admin'],
        ['enable_integration', 'pgvigil_admin'],
        ['test_alert_rule', 'pgvigil_operator'],
        ['put_alert_rule', 'pgvigil_operator'],
        ['set_alert_rule_enabled', 'pgvigil_operator'],
        ['delete_alert_rule', 'pgvigil_operator'],
        ['put_component', 'pgvigil_admin'],
        ['delete_component', 'pgvigil_admin'],
        ['acknowledge_alert', 'pgvigil_operator'],
        ['resolve_alert', 'pgvigil_operator'],
        -- pgvigil serve: its keys, and the check every request makes.
        ['create_api_key', 'pgvigil_admin'],
        ['revoke_api_key', 'pgvigil_admin'],
        ['authenticate_api_key', 'pgvigil_admin'],
        -- Its web users and the dashboard's login sessions (the server's login is an admin).
        ['create_web_user', 'pgvigil_admin'],
        ['disable_web_user', 'pgvigil_admin'],
        ['web_user_password_hash', 'pgvigil_admin'],
        ['create_web_session', 'pgvigil_admin'],
        ['authenticate_web_session', 'pgvigil_admin'],
        ['end_web_session', 'pgvigil_admin'],
        ['cleanup_old_monitoring_data', 'pgvigil_admin'],
        -- run_retention() runs as its caller: the steps it calls.
        ['run_retention', 'pgvigil_admin'],
        ['expired_partitions', 'pgvigil_admin'],
        ['detach_expired_partition', 'pgvigil_admin'],
        ['drop_detached_partition', 'pgvigil_admin'],
        ['expire_old_rows', 'pgvigil_admin'],
        ['run_partition_maintenance', 'pgvigil_admin'],
        ['refresh_rollups', 'pgvigil_admin'],
        ['advance_rollup_watermark', 'pgvigil_admin'],
        ['apply_rollup_pending', 'pgvigil_admin'],
        ['expire_ingest_state', 'pgvigil_admin'],
        ['purge_cron_history', 'pgvigil_admin'],
        ['validate_config', 'pgvigil_admin'],
        ['apply_config', 'pgvigil_admin'],
        ['patch_config', 'pgvigil_admin'],
        ['preview_config_patch', 'pgvigil_admin'],
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
            EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO %I', v_function, v_grants[i][2]);
        END LOOP;
    END LOOP;
END
$$;

GRANT SELECT ON monitoring.v_active_alerts, monitoring.v_error_summary,
    monitoring.v_performance_trends, monitoring.v_queue_performance,
    monitoring.v_realtime_processing_status, monitoring.v_system_health_summary,
    monitoring.v_performance_history, monitoring.v_task_trends, monitoring.v_task_history,
    monitoring.v_alert_rules, monitoring.v_alert_history, monitoring.v_components, monitoring.v_silences,
    monitoring.v_notification_log, monitoring.v_notification_receivers, monitoring.v_escalations
    TO pgvigil_reader;

-- The one table grant to writers: buffered clients COPY performance samples
-- straight into their table (the fast path). INSERT only, no reading or
-- changing rows; the table's CHECK constraints apply the rules of
-- record_performance_metric() and confirm_metric_copy() the event-time range.
GRANT INSERT ON monitoring.performance_monitoring TO pgvigil_writer;

GRANT pgvigil_reader TO pgvigil_operator;
GRANT pgvigil_writer, pgvigil_reader, pgvigil_operator TO pgvigil_admin;
-- Every table, partitions included; create_partition() gives new partitions
-- the same, so no ACL depends on the order partitions and grants came in.
GRANT SELECT ON ALL TABLES IN SCHEMA monitoring TO pgvigil_admin;
