CREATE OR REPLACE FUNCTION monitoring_internal.rule_sources()
RETURNS TABLE (kind text, filters text[], required_filters text[], labels text[], aggregates text[])
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: what a rule can read, in one place (validation, the
    -- evaluator's dispatch and docs/rules.md follow it). A metric rule may
    -- also group by a tag: "tags.KEY" gives the label KEY.
    VALUES
        ('metric', ARRAY['metric_name', 'component', 'tags'], ARRAY['metric_name'],
         ARRAY['component', 'metric_name', 'metric_type', 'unit'],
         ARRAY['avg', 'min', 'max', 'sum', 'count', 'last', 'p50', 'p90', 'p95', 'p99', 'delta', 'rate']),
        ('task', ARRAY['task_type', 'worker_id'], ARRAY[]::text[],
         ARRAY['task_type', 'worker_id'],
         ARRAY['duration_avg', 'duration_max', 'duration_p50', 'duration_p90', 'duration_p95', 'duration_p99',
               'duration_percentile',
               'failure_ratio', 'count', 'throughput', 'running', 'oldest_running_seconds']),
        ('error', ARRAY['component', 'error_type', 'severity'], ARRAY[]::text[],
         ARRAY['component', 'error_type', 'severity'],
         ARRAY['count', 'per_minute', 'per_hour']),
        ('queue', ARRAY['queue_name'], ARRAY[]::text[],
         ARRAY['queue_name'],
         ARRAY['pending', 'processing', 'oldest_pending_seconds', 'growth', 'completed', 'failed']),
        ('health', ARRAY['component_type', 'component_name', 'status'], ARRAY[]::text[],
         ARRAY['component_type', 'component_name', 'status'],
         ARRAY['status_seconds', 'unhealthy', 'response_time_ms', 'report_age_seconds', 'consecutive_failures']),
        ('pgvigil', ARRAY[]::text[], ARRAY[]::text[],
         ARRAY['job', 'receiver', 'integration'],
         ARRAY['evaluation_age_seconds', 'failed_job_runs', 'disabled_integrations', 'always']);
$$;
COMMENT ON FUNCTION monitoring_internal.rule_sources() IS
    'Internal: the sources a rule can read: their filters, the labels they can group by, and their aggregates.';
