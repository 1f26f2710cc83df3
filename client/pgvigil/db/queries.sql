-- Every SQL statement the pgvigil Python package runs, by name.
--
-- A block starts with a `-- name: <name>` line, optionally followed by
-- `-- ` description lines; the statement is everything up to the next
-- `-- name:` line. pgvigil/db/queries.py loads this file once, at import;
-- the modules take their statements from it at import too, so a name that
-- is not here fails the import (and tests/schema/test_queries.py checks both ways:
-- every name used is here, every name here is used).
--
-- Placeholders are psycopg's: `%(name)s` (named), `%s` (positional). A
-- block whose text has `{name}` fields is a template for psycopg.sql.SQL:
-- the code fills in identifiers with sql.Identifier (names cannot be bound
-- as parameters); see db/queries.py.
--
-- The logic lives in the monitoring schema; these statements only call it.


-- ---------------------------------------------------------------------------
-- MonitoringClient (recording/client.py): one round trip per call, named
-- arguments, event_time defaulting to the database's now().
-- ---------------------------------------------------------------------------

-- name: start_task
-- Record the start of a task; returns its id.
SELECT monitoring.start_task_tracking(
    p_task_id => %(task_id)s::text,
    p_task_type => %(task_type)s::text,
    p_input_size => %(input_size)s::bigint,
    p_worker_id => %(worker_id)s::text,
    p_metadata => %(metadata)s::jsonb,
    p_event_time => coalesce(%(event_time)s::timestamptz, now())
)

-- name: complete_task
-- Record the end of a task; returns its duration in seconds.
SELECT monitoring.complete_task_tracking(
    p_task_id => %(task_id)s::text,
    p_status => %(status)s::text,
    p_output_size => %(output_size)s::bigint,
    p_step_timings => %(step_timings)s::jsonb,
    p_event_time => coalesce(%(event_time)s::timestamptz, now())
)

-- name: record_error
-- Record an error; returns its id.
SELECT monitoring.record_error(
    p_task_id => %(task_id)s::text,
    p_error_type => %(error_type)s::text,
    p_severity => %(severity)s::text,
    p_message => %(message)s::text,
    p_component => %(component)s::text,
    p_stack_trace => %(stack_trace)s::text,
    p_context => %(context)s::jsonb,
    p_event_time => coalesce(%(event_time)s::timestamptz, now())
)

-- name: record_performance_metric
SELECT monitoring.record_performance_metric(
    p_metric_name => %(name)s::text,
    p_metric_type => %(metric_type)s::text,
    p_value => %(value)s::double precision,
    p_unit => %(unit)s::text,
    p_component => %(component)s::text,
    p_tags => %(tags)s::jsonb,
    p_event_time => coalesce(%(event_time)s::timestamptz, now())
)

-- name: update_system_health
-- Returns whether the component's status changed.
SELECT monitoring.update_system_health(
    p_component_type => %(component_type)s::text,
    p_component_name => %(component_name)s::text,
    p_status => %(status)s::text,
    p_response_time_ms => %(response_time)s::numeric,
    p_failure_reason => %(failure_reason)s::text,
    p_details => %(details)s::jsonb,
    p_event_time => coalesce(%(event_time)s::timestamptz, now())
)

-- name: record_queue_stats
SELECT monitoring.record_queue_stats(
    p_queue_name => %(queue_name)s::text,
    p_pending_count => %(pending_count)s::integer,
    p_processing_count => %(processing_count)s::integer,
    p_completed_count => %(completed_count)s::integer,
    p_failed_count => %(failed_count)s::integer,
    p_oldest_pending_age_seconds => %(oldest_pending_age_seconds)s::double precision,
    p_event_time => coalesce(%(event_time)s::timestamptz, now())
)

-- name: get_dashboard_summary
-- The jsonb document `pgvigil status` renders.
SELECT monitoring.get_dashboard_summary()

-- name: acknowledge_alert
-- Returns whether the alert's state changed.
SELECT monitoring.acknowledge_alert(
    p_alert_id => %(alert_id)s::bigint,
    p_acknowledged_by => %(by)s::text,
    p_note => %(note)s::text
)

-- name: resolve_alert
-- Returns whether the alert's state changed.
SELECT monitoring.resolve_alert(
    p_alert_id => %(alert_id)s::bigint,
    p_resolved_by => %(by)s::text,
    p_note => %(note)s::text
)

-- name: run_checks
-- MonitoringClient.run_checks(): one row per check.
SELECT check_name, alerts, duration_ms
FROM monitoring.run_monitoring_checks(p_source => %(source)s::text)


-- ---------------------------------------------------------------------------
-- BufferedClient (recording/buffered.py): one transaction per batch,
-- positional arguments, event times stamped by the client at the call.
-- ---------------------------------------------------------------------------

-- name: begin_ingest_batch
-- (batch id, created at, event count); false when the batch was already written.
SELECT monitoring.begin_ingest_batch(%s::uuid, %s::timestamptz, %s::integer)

-- name: copy_performance_metrics
-- Binary COPY of a batch's samples; the column types are buffered.py's
-- _METRIC_TYPES, in this order (recorded_at as int8, tags as bytea).
COPY monitoring.performance_monitoring (metric_name, metric_type, metric_value, unit, component, tags, recorded_at) FROM STDIN (FORMAT BINARY)

-- name: confirm_metric_copy
-- (first, last) event time of the copied samples: checks their range.
SELECT monitoring.confirm_metric_copy(%s::timestamptz, %s::timestamptz)

-- name: buffered_record_performance_metric
-- A batch's only sample (or one isolated from a rejected COPY).
SELECT monitoring.record_performance_metric(%s::text, %s::text, %s::double precision, %s::text,
                                            %s::text, %s::jsonb, %s::timestamptz)

-- name: record_task_events
-- Task starts and completions of a batch, as parallel arrays.
SELECT monitoring.record_task_events(
    %s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::jsonb[],
    %s::text[], %s::bigint[], %s::jsonb[], %s::timestamptz[])

-- name: buffered_record_error
SELECT monitoring.record_error(%s::text, %s::text, %s::text, %s::text, %s::text,
                               %s::text, %s::jsonb, %s::timestamptz)

-- name: buffered_update_system_health
SELECT monitoring.update_system_health(%s::text, %s::text, %s::text, %s::numeric,
                                       %s::text, %s::jsonb, %s::timestamptz)

-- name: buffered_record_queue_stats
SELECT monitoring.record_queue_stats(%s::text, %s::integer, %s::integer, %s::integer,
                                     %s::integer, %s::double precision, %s::timestamptz)


-- ---------------------------------------------------------------------------
-- Config (db/config.py, db/migrate.py, cli/config.py)
-- ---------------------------------------------------------------------------

-- name: apply_config
-- Make a (schema-validated) document the active config.
SELECT monitoring.apply_config(%s)

-- name: show_config
SELECT document, applied_at, applied_by FROM monitoring.config

-- name: patch_config
-- Merge a partial config over the active one (the sections of the second
-- parameter replaced whole) and apply the result.
SELECT monitoring.patch_config(%s, %s)

-- name: preview_config_patch
-- What patch_config would make active; nothing written.
SELECT monitoring.preview_config_patch(%s, %s)


-- ---------------------------------------------------------------------------
-- Migrate (db/migrate.py)
-- ---------------------------------------------------------------------------

-- name: migrate_try_lock
-- Held (session level) for a whole migrate run; the key is MIGRATE_LOCK_KEY.
SELECT pg_try_advisory_lock(%s)

-- name: migrate_unlock
SELECT pg_advisory_unlock(%s)

-- name: create_migrations_schema
-- Template: the schema of yoyo's bookkeeping tables.
CREATE SCHEMA IF NOT EXISTS {schema}

-- name: tracked_sources
SELECT source_path, sha256 FROM monitoring_internal.schema_sources

-- name: defer_function_body_checks
-- Bodies are checked at first call, so files apply in path order.
SET LOCAL check_function_bodies = off

-- name: move_tracked_source
-- (new path, old path): the same object, moved to another folder.
UPDATE monitoring_internal.schema_sources SET source_path = %s WHERE source_path = %s

-- name: drop_view_before_replacing
-- Template: CREATE OR REPLACE VIEW cannot drop or rename columns.
DROP VIEW IF EXISTS monitoring.{view}

-- name: untrack_source
DELETE FROM monitoring_internal.schema_sources WHERE source_path = %s

-- name: track_source
INSERT INTO monitoring_internal.schema_sources (source_path, sha256) VALUES (%s, %s)

-- name: undefined_views
-- Views of schema monitoring that no source defines any more (views are
-- public: none lives in monitoring_internal).
SELECT c.relname FROM pg_catalog.pg_class AS c
WHERE c.relnamespace = 'monitoring'::regnamespace AND c.relkind = 'v'
  AND NOT c.relname = ANY(%(names)s)
ORDER BY 1

-- name: undefined_routines
-- Routines of schemas monitoring and monitoring_internal that no source
-- defines any more: a schema.name no function file creates (a deleted file,
-- a helper moved to the other schema), or an overload of a re-applied file
-- that the file did not (re)create (fresh: the oids migrate saw it write).
-- Aggregates first, since they depend on their support functions.
SELECT p.oid::regprocedure::text, p.prokind = 'a'
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname IN ('monitoring', 'monitoring_internal')
  AND (NOT (n.nspname || '.' || p.proname) = ANY(%(names)s)
       OR ((n.nspname || '.' || p.proname) = ANY(%(changed)s)
           AND NOT p.oid = ANY(%(fresh)s::oid[])))
ORDER BY p.prokind <> 'a', 1

-- name: drop_view
-- Template.
DROP VIEW monitoring.{view}

-- name: drop_aggregate
-- Template: signature is a regprocedure text (already quoted).
DROP AGGREGATE {signature}

-- name: routine_versions
-- Each routine of a schema and name with its row version: a (re)created
-- routine has a new one.
SELECT p.oid::bigint, p.xmin::text
FROM pg_catalog.pg_proc AS p
WHERE p.pronamespace = %s::regnamespace AND p.proname = %s

-- name: routines_named
-- Every routine of a schema and name, aggregates first (they depend on
-- their support functions), as regprocedure text for DROP.
SELECT p.oid::regprocedure::text, p.prokind = 'a'
FROM pg_catalog.pg_proc AS p
WHERE p.pronamespace = %s::regnamespace AND p.proname = %s
ORDER BY p.prokind = 'a' DESC

-- name: drop_routine
-- Template: signature is a regprocedure text (already quoted).
DROP ROUTINE {signature}

-- name: has_config
SELECT EXISTS (SELECT FROM monitoring.config)

-- name: merge_config_defaults
-- Settings a newer release added get their shipped defaults; stored values win.
SELECT monitoring.apply_config(monitoring_internal.config_merge(%(defaults)s, c.document)) IS NOT NULL
FROM monitoring.config AS c
WHERE monitoring_internal.config_merge(%(defaults)s, c.document) <> c.document

-- name: recompile_alert_rules
-- The compiled rules follow the functions just installed (a release may
-- compile a rule differently); a rule that compiles the same is left as it is.
SELECT monitoring_internal.compile_alert_rules(c.document) FROM monitoring.config AS c

-- name: record_shipped_alert_rules
-- The rules of the shipped config, which cannot be removed, only disabled.
WITH shipped AS (SELECT unnest(%(names)s::text[]) AS rule_name),
     gone AS (DELETE FROM monitoring_internal.shipped_alert_rules AS s
              WHERE NOT EXISTS (SELECT FROM shipped WHERE shipped.rule_name = s.rule_name))
INSERT INTO monitoring_internal.shipped_alert_rules (rule_name)
SELECT rule_name FROM shipped ON CONFLICT DO NOTHING

-- name: pg_cron_missing
-- pg_cron runs jobs in the one database named by cron.database_name.
SELECT 'pg_cron' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
       AND current_setting('cron.database_name', true) = current_database()
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')

-- name: create_pg_cron
CREATE EXTENSION IF NOT EXISTS pg_cron

-- name: has_pg_cron_jobs_table
SELECT to_regclass('cron.job') IS NOT NULL

-- name: outdated_jobs
-- Jobs scheduled by an earlier release whose command has changed since (0.1.0
-- scheduled the cleanup as a function; it is now CALL run_retention()).
SELECT count(*) FROM cron.job AS j
JOIN monitoring.job_definitions('pg_cron') AS d ON d.job_name = j.jobname
WHERE j.command <> d.command AND j.database = current_database()

-- name: run_partition_maintenance
SELECT partitions_created FROM monitoring.run_partition_maintenance()

-- name: schema_fingerprint
-- A canonical description of the monitoring schemas, to compare installs:
-- the public interface (monitoring) and the internals (monitoring_internal).
SELECT c.relkind::text, c.relnamespace::regnamespace::text || '.' || c.relname, coalesce(pg_get_viewdef(c.oid), ''),
       coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                                   ', ' ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
                   AND NOT a.attisdropped), '')
FROM pg_class c
WHERE c.relnamespace IN ('monitoring'::regnamespace, 'monitoring_internal'::regnamespace)
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid), ''
FROM pg_constraint
WHERE connamespace IN ('monitoring'::regnamespace, 'monitoring_internal'::regnamespace)
UNION ALL
SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid), ''
FROM pg_index WHERE indrelid IN (
    SELECT oid FROM pg_class
    WHERE relnamespace IN ('monitoring'::regnamespace, 'monitoring_internal'::regnamespace))
UNION ALL
SELECT 'function', p.oid::regprocedure::text,
       -- pg_get_functiondef() rejects aggregates: describe them by their parts.
       md5(CASE WHEN p.prokind = 'a'
                THEN (SELECT concat_ws(' ', a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
                                       a.aggtranstype::regtype, a.agginitval, p.proparallel,
                                       obj_description(p.oid, 'pg_proc'))
                      FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
                ELSE pg_get_functiondef(p.oid) END),
       coalesce(array_to_string(p.proacl, ','), '')
FROM pg_proc p WHERE p.pronamespace IN ('monitoring'::regnamespace, 'monitoring_internal'::regnamespace)
UNION ALL
SELECT 'acl', c.relname, coalesce(array_to_string(c.relacl, ','), ''), ''
FROM pg_class c WHERE c.relnamespace = 'monitoring'::regnamespace
ORDER BY 1, 2, 3


-- ---------------------------------------------------------------------------
-- The embedded cluster (db/cluster.py)
-- ---------------------------------------------------------------------------

-- name: database_exists
SELECT 1 FROM pg_database WHERE datname = %s

-- name: create_database
-- Template.
CREATE DATABASE {dbname}

-- name: create_database_from_template
-- Template: a file copy of another database (the tests' template database).
CREATE DATABASE {dbname} TEMPLATE {template} STRATEGY FILE_COPY


-- ---------------------------------------------------------------------------
-- Jobs (jobs/scheduler.py, cli/jobs.py, cli/cluster.py, db/migrate.py)
-- ---------------------------------------------------------------------------

-- name: scheduler_job_definitions
-- The jobs the Python scheduler runs; each command is run as it is stored.
SELECT job_name, schedule, command FROM monitoring.job_definitions('scheduler')

-- name: schedule_jobs
-- Install (or update, by name) the pgvigil jobs in pg_cron.
SELECT job_name, schedule, job_id FROM monitoring.schedule_jobs()

-- name: unschedule_jobs
-- Returns the number of pg_cron jobs removed.
SELECT monitoring.unschedule_jobs()


-- ---------------------------------------------------------------------------
-- The command line (cli/alerts.py, cli/demo.py)
-- ---------------------------------------------------------------------------

-- name: run_checks_manual
-- `pgvigil check`: run every check now, durations rounded for the table.
SELECT check_name, alerts, round(duration_ms::numeric, 1) FROM monitoring.run_monitoring_checks('manual')

-- name: alert_changes_of_this_transaction
-- Events written by a check run share its transaction timestamp.
SELECT e.event_type, e.alert_id, a.alert_type, a.subject, e.previous_severity, e.severity, a.title
FROM monitoring.alert_events e
JOIN monitoring.alerts a USING (alert_id)
WHERE e.occurred_at = now() ORDER BY e.event_id

-- name: demo_rule_alerts
-- The alerts raised by rules, firing then pending, with their label sets.
SELECT state, severity, fingerprint, labels FROM monitoring.v_active_alerts
WHERE rule_name IS NOT NULL ORDER BY state, severity, alert_key

-- name: pg_cron_check_runs_since
-- A checks run commits check_runs with its source: no job name needed.
SELECT count(*) FROM monitoring_internal.check_runs WHERE last_source = 'pg_cron' AND last_run_at >= to_timestamp(%s)


-- ---------------------------------------------------------------------------
-- Alert rules (cli/rules.py)
-- ---------------------------------------------------------------------------

-- name: list_alert_rules
SELECT rule_name, source_kind, enabled, for_seconds, pending_groups, firing_alerts, shipped, description
FROM monitoring.v_alert_rules ORDER BY rule_name

-- name: show_alert_rule
SELECT definition FROM monitoring.v_alert_rules WHERE rule_name = %s

-- name: test_alert_rule
-- Evaluate a rule now (a whole rule, or {"name": ...}); changes nothing.
SELECT group_labels, value, severity, threshold, state, would_be FROM monitoring.test_alert_rule(%s)

-- name: set_alert_rule_enabled
SELECT monitoring.set_alert_rule_enabled(%s, %s)

-- name: delete_alert_rule
SELECT monitoring.delete_alert_rule(%s)


-- ---------------------------------------------------------------------------
-- The worker (jobs/worker.py)
-- ---------------------------------------------------------------------------

-- name: worker_listen
-- Recording functions NOTIFY this channel for events that matter at once.
LISTEN pgvigil_evaluate

-- name: worker_evaluate_rules
SELECT rule_name, groups, pending, firing, transitions FROM monitoring.evaluate_alert_rules(%s)
-- name: list_components
SELECT component, component_type, labels, criticality, depends_on, health_status, open_alerts,
       top_severity, last_report_at, description
FROM monitoring.v_components ORDER BY component

-- name: put_component
SELECT (monitoring.put_component(%s, %s)).component

-- name: delete_component
SELECT monitoring.delete_component(%s)

-- name: flush_notification_groups
-- The groups whose timers are due: their notifications into the outbox.
SELECT monitoring.flush_notification_groups()

-- name: claim_notifications
-- Due notifications of the integrations this worker delivers, leased to it.
SELECT * FROM monitoring.claim_notifications(%s, %s, %s, %s, %s, %s)

-- name: record_notification_attempt
SELECT monitoring.record_notification_attempt(%s, %s, %s, %s, %s, %s, %s, %s)


-- name: list_active_alerts
-- Firing (active or acknowledged) and pending alerts, worst first; amtool matchers filter them.
SELECT alert_id, severity, CASE WHEN status = 'acknowledged' THEN 'acknowledged' ELSE state END AS state,
       subject, title, triggered_at AS since, labels
FROM monitoring.v_active_alerts
WHERE %(matchers)s::text[] IS NULL OR monitoring.labels_match(%(matchers)s::text[], labels)
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, triggered_at

-- name: list_all_alerts
-- Every alert with its latest transition, newest first.
SELECT alert_id, severity, state, subject, since, resolved_at, labels
FROM (SELECT DISTINCT ON (h.alert_id) h.alert_id, h.severity, h.transition AS state, h.subject,
             h.triggered_at AS since, h.resolved_at, h.labels
      FROM monitoring.v_alert_history AS h
      WHERE %(matchers)s::text[] IS NULL OR monitoring.labels_match(%(matchers)s::text[], h.labels)
      ORDER BY h.alert_id DESC, h.occurred_at DESC, h.event_id DESC) AS a
ORDER BY since DESC, alert_id DESC
LIMIT %(limit)s

-- name: create_silence
SELECT monitoring.create_silence(%(matchers)s::text[], %(comment)s::text, p_ends_at => %(until)s::timestamptz,
                                 p_duration => %(duration)s::text, p_starts_at => %(start)s::timestamptz,
                                 p_created_by => %(author)s::text) AS silence_id

-- name: list_silences
SELECT * FROM monitoring.v_silences WHERE %(expired)s OR state <> 'expired'

-- name: expire_silence
SELECT monitoring.expire_silence(%s::uuid)

-- name: list_notification_log
SELECT * FROM monitoring.v_notification_log LIMIT %(limit)s

-- name: send_test_notification
SELECT * FROM monitoring.send_test_notification(%s)

-- name: notification_status
SELECT * FROM monitoring.v_notification_log WHERE notification_id = ANY (%s::bigint[]) ORDER BY notification_id

-- name: demo_expire_silences
-- The silences an earlier pgvigil demo left.
SELECT count(monitoring.expire_silence(silence_id)) FROM monitoring.silences
WHERE created_by = 'pgvigil demo' AND ends_at > now()

-- name: demo_pending_notifications
SELECT count(*) FROM monitoring.notifications WHERE receiver = %s AND status = 'pending'

-- name: demo_held_back
-- What silences, inhibition or time intervals held back from a receiver.
SELECT a.labels ->> 'alertname' AS alertname, s.reason, s.suppressed_by, s.detail
FROM monitoring.notification_suppressions AS s
JOIN monitoring.alerts AS a USING (alert_id)
WHERE s.receiver = %s
ORDER BY s.first_suppressed_at, s.alert_id


-- ---------------------------------------------------------------------------
-- pgvigil serve (server/): the key check every request makes, then each
-- request's statements under the role its key maps to.
-- ---------------------------------------------------------------------------

-- name: server_authenticate_api_key
SELECT * FROM monitoring.authenticate_api_key(%s)

-- name: server_act_as
-- SET LOCAL ROLE, and who the audit log names.
SELECT set_config('role', %s, true), set_config('pgvigil.on_behalf_of', %s, true)

-- name: server_ping
SELECT 1

-- name: create_api_key
SELECT monitoring.create_api_key(%(name)s, %(role)s, %(key_hash)s, %(prefix)s, %(expires_at)s::timestamptz) AS key_id

-- name: list_api_keys
SELECT * FROM monitoring.v_api_keys WHERE %(all)s OR state = 'active' ORDER BY key_id

-- name: revoke_api_key
SELECT monitoring.revoke_api_key(%s::bigint) AS revoked

-- name: create_web_user
-- The password arrives here as its argon2id hash only (server/passwords.py).
SELECT monitoring.create_web_user(%(name)s, %(role)s, %(password_hash)s) AS user_id

-- name: list_web_users
SELECT * FROM monitoring.v_web_users WHERE %(all)s OR state = 'active' ORDER BY user_id

-- name: disable_web_user
SELECT monitoring.disable_web_user(%s) AS disabled

-- name: server_web_user_password_hash
SELECT * FROM monitoring.web_user_password_hash(%s)

-- name: server_on_behalf_of
-- Who the audit log names, without a change of role (the server's own login
-- opens and ends sessions).
SELECT set_config('pgvigil.on_behalf_of', %s, true)

-- name: server_create_web_session
SELECT * FROM monitoring.create_web_session(%(token_hash)s, %(key_id)s::bigint, %(user_id)s::bigint, %(lifetime)s::interval)

-- name: server_authenticate_web_session
SELECT * FROM monitoring.authenticate_web_session(%s)

-- name: server_end_web_session
SELECT monitoring.end_web_session(%s) AS ended

-- name: put_alert_rule
-- Creates or replaces one alert rule in the config; returns the rule as stored.
SELECT monitoring.put_alert_rule(%s::jsonb) AS rule

-- name: server_overview
SELECT monitoring.get_dashboard_summary() AS summary

-- name: server_active_alerts
-- Firing (active or acknowledged) and pending alerts, worst first; amtool matchers filter them.
SELECT * FROM monitoring.v_active_alerts
WHERE %(matchers)s::text[] IS NULL OR monitoring.labels_match(%(matchers)s::text[], labels)
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, triggered_at
LIMIT %(limit)s

-- name: server_alert_history
-- Alert transitions in a time range, newest first.
SELECT * FROM monitoring.v_alert_history
WHERE occurred_at >= %(since)s AND occurred_at < %(until)s
  AND (%(matchers)s::text[] IS NULL OR monitoring.labels_match(%(matchers)s::text[], labels))
ORDER BY occurred_at DESC, event_id DESC
LIMIT %(limit)s

-- name: server_alert
SELECT * FROM monitoring.v_active_alerts WHERE alert_id = %s

-- name: server_alert_timeline
-- One alert's transitions, oldest first: its incident timeline.
SELECT * FROM monitoring.v_alert_history WHERE alert_id = %s ORDER BY occurred_at, event_id

-- name: server_rules
SELECT * FROM monitoring.v_alert_rules ORDER BY rule_name

-- name: server_rule
SELECT * FROM monitoring.v_alert_rules WHERE rule_name = %s

-- name: server_silences
SELECT * FROM monitoring.v_silences WHERE %(expired)s OR state <> 'expired' ORDER BY starts_at DESC, silence_id

-- name: server_silence
SELECT * FROM monitoring.v_silences WHERE silence_id = %s::uuid

-- name: server_receivers
SELECT * FROM monitoring.v_notification_receivers ORDER BY receiver

-- name: server_notifications
SELECT * FROM monitoring.v_notification_log
WHERE (%(receiver)s::text IS NULL OR receiver = %(receiver)s) AND (%(status)s::text IS NULL OR status = %(status)s)
ORDER BY notification_id DESC
LIMIT %(limit)s

-- name: server_components
SELECT * FROM monitoring.v_components ORDER BY component

-- name: server_component
SELECT * FROM monitoring.v_components WHERE component = %s

-- name: server_component_health
SELECT * FROM monitoring.v_system_health_summary WHERE component_name = %s

-- name: server_component_alerts
SELECT * FROM monitoring.v_active_alerts WHERE component = %s OR labels ->> 'component' = %s ORDER BY triggered_at

-- name: server_task_status
SELECT * FROM monitoring.v_realtime_processing_status
WHERE %(task_type)s::text IS NULL OR task_type = %(task_type)s
ORDER BY task_type

-- name: server_task_history
-- Tasks over a time range: 5-minute buckets over the last 24 hours, hourly beyond.
SELECT * FROM monitoring.v_task_trends
WHERE %(fine)s AND "time" >= %(since)s AND "time" < %(until)s
  AND (%(task_type)s::text IS NULL OR task_type = %(task_type)s)
UNION ALL
SELECT * FROM monitoring.v_task_history
WHERE NOT %(fine)s AND "time" >= %(since)s AND "time" < %(until)s
  AND (%(task_type)s::text IS NULL OR task_type = %(task_type)s)
ORDER BY "time", task_type

-- name: server_errors
SELECT * FROM monitoring.v_error_summary
WHERE "time" >= %(since)s AND "time" < %(until)s
  AND (%(component)s::text IS NULL OR component = %(component)s)
  AND (%(severity)s::text IS NULL OR severity = %(severity)s)
ORDER BY "time" DESC, error_count DESC
LIMIT %(limit)s

-- name: server_metric_history
-- One metric over a time range: 5-minute buckets over the last 24 hours, hourly beyond.
SELECT * FROM monitoring.v_performance_trends
WHERE %(fine)s AND metric_name = %(metric)s AND "time" >= %(since)s AND "time" < %(until)s
  AND (%(component)s::text IS NULL OR component = %(component)s)
UNION ALL
SELECT * FROM monitoring.v_performance_history
WHERE NOT %(fine)s AND metric_name = %(metric)s AND "time" >= %(since)s AND "time" < %(until)s
  AND (%(component)s::text IS NULL OR component = %(component)s)
ORDER BY "time", component

-- name: server_metric_names
-- The metrics with samples in the last 7 days, each with its components and
-- unit, from the hourly history (the metric explorer's choices).
SELECT metric_name, max(unit) AS unit, array_agg(DISTINCT component ORDER BY component) AS components,
       max("time") AS last_at
FROM monitoring.v_performance_history
WHERE "time" >= now() - interval '7 days'
GROUP BY metric_name
ORDER BY metric_name

-- name: server_list_tasks
SELECT * FROM monitoring.list_tasks(%(since)s, %(until)s, %(task_type)s, %(status)s, %(worker_id)s, %(limit)s)

-- name: server_alert_response_report
SELECT * FROM monitoring.alert_response_report(%(since)s, %(until)s)

-- name: server_component_uptime_report
SELECT * FROM monitoring.component_uptime_report(%(since)s, %(until)s)

-- name: server_prometheus_metrics
SELECT monitoring.prometheus_metrics() AS metrics


-- ---------------------------------------------------------------------------
-- The Alertmanager API v2 of pgvigil serve (server/alertmanager.py).
-- ---------------------------------------------------------------------------

-- name: am_receive_alerts
SELECT * FROM monitoring.receive_alerts(%s::jsonb, %s)

-- name: am_alerts
SELECT monitoring.alertmanager_alerts(%(filter)s::text[], %(active)s, %(silenced)s, %(inhibited)s, %(receiver)s) AS alerts

-- name: am_alert_groups
SELECT monitoring.alertmanager_alert_groups(%(filter)s::text[]) AS groups

-- name: am_silences
SELECT monitoring.alertmanager_silences(%(silence_id)s::uuid) AS silences

-- name: am_status
SELECT monitoring.alertmanager_status() AS status

-- name: am_update_silence
SELECT monitoring.update_silence(%(silence_id)s::uuid, p_ends_at => %(ends_at)s::timestamptz,
                                 p_comment => %(comment)s::text, p_starts_at => %(starts_at)s::timestamptz)


-- ---------------------------------------------------------------------------
-- Live updates of pgvigil serve (server/live.py).
-- ---------------------------------------------------------------------------

-- name: live_listen
LISTEN pgvigil_live

-- name: live_last_alert_event
SELECT coalesce(max(event_id), 0) AS last_event_id FROM monitoring.v_alert_history

-- name: live_alert_events_since
SELECT * FROM monitoring.v_alert_history WHERE event_id > %s ORDER BY event_id LIMIT %s

-- name: live_health
SELECT * FROM monitoring.v_system_health_summary ORDER BY component_type, component_name

-- name: live_counts
-- The overview's numbers that move: tasks, errors, open alerts (not its clock).
SELECT jsonb_build_object('tasks', s -> 'tasks', 'errors', s -> 'errors',
                          'alerts', (s -> 'alerts') - 'items', 'queues', s -> 'queues') AS counts
FROM monitoring.get_dashboard_summary() AS s
