-- Buffered ingest (pgvigil.BufferedClient): batches written in one
-- transaction each, identified so that a retried batch is never written
-- twice; task completions that arrive before their start; and the row checks
-- that make COPY into performance_monitoring as safe as the recording
-- function.

CREATE TABLE monitoring.ingest_batches (
    batch_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    event_count integer NOT NULL,
    written_by text NOT NULL DEFAULT session_user,
    application_name text,
    CONSTRAINT ingest_batches_pkey PRIMARY KEY (batch_id),
    CONSTRAINT ingest_batches_event_count_check CHECK (event_count >= 0)
);
CREATE INDEX ingest_batches_received_at_idx ON monitoring.ingest_batches USING brin (received_at);
COMMENT ON TABLE monitoring.ingest_batches IS
    'Batches written by buffered clients, by id: a batch retried after an uncertain commit is recognised and skipped. Kept ingest.batch_ids_hours.';

CREATE TABLE monitoring.pending_task_completions (
    task_id text NOT NULL,
    status text NOT NULL,
    output_size bigint,
    step_timings jsonb,
    end_time timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pending_task_completions_pkey PRIMARY KEY (task_id)
);
COMMENT ON TABLE monitoring.pending_task_completions IS
    'Completions that reached the database before their task''s start (buffered writers on several processes). Applied when the start arrives; expired after ingest.max_event_age_hours.';

-- The COPY path bypasses record_performance_metric(), so the table itself
-- rejects what the function would (PV001/PV005/PV007/PV008); a rejected
-- batch is then retried row by row through the function to name the culprit.
-- NOT VALID: adding them takes the table's lock for a moment only, instead of
-- holding it through a scan of every sample; 0013 validates them in a
-- transaction of its own, under a lock that lets writers go on.
ALTER TABLE monitoring.performance_monitoring
    ADD CONSTRAINT performance_monitoring_metric_name_check
        CHECK (btrim(metric_name) <> '' AND length(metric_name) <= 200) NOT VALID,
    ADD CONSTRAINT performance_monitoring_metric_type_check
        CHECK (btrim(metric_type) <> '' AND length(metric_type) <= 200) NOT VALID,
    ADD CONSTRAINT performance_monitoring_unit_check
        CHECK (btrim(unit) <> '' AND length(unit) <= 200) NOT VALID,
    ADD CONSTRAINT performance_monitoring_component_check
        CHECK (btrim(component) <> '' AND length(component) <= 200) NOT VALID,
    ADD CONSTRAINT performance_monitoring_metric_value_check
        CHECK (metric_value NOT IN ('NaN', 'Infinity', '-Infinity')) NOT VALID,
    ADD CONSTRAINT performance_monitoring_tags_check
        CHECK (tags IS NULL OR (jsonb_typeof(tags) = 'object' AND pg_column_size(tags) <= 65536)) NOT VALID;

-- A database configured before this release gets the new setting's default;
-- a fresh install loads the whole default config after the migrations.
UPDATE monitoring.config
SET document = jsonb_set(document, '{ingest,batch_ids_hours}', '24'::jsonb)
WHERE NOT (document -> 'ingest') ? 'batch_ids_hours';
