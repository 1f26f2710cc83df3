CREATE OR REPLACE FUNCTION monitoring.expire_ingest_state(
    OUT batch_ids_expired bigint,
    OUT orphan_completions_expired bigint
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Forgets batch ids older than ingest.batch_ids_hours (a retry comes
-- seconds or minutes later), and parked completions whose start can no
-- longer arrive: a start older than ingest.max_event_age_hours is rejected.
-- Expired completions are reported with a WARNING in the server log, not
-- dropped silently. Run by run_partition_maintenance().
DECLARE
    v_batch_hours double precision := monitoring_internal.config_number('{ingest,batch_ids_hours}');
    v_bounds record := monitoring_internal.event_time_bounds();
BEGIN
    DELETE FROM monitoring_internal.ingest_batches AS b
    WHERE b.received_at < now() - make_interval(hours => 1) * v_batch_hours;
    GET DIAGNOSTICS batch_ids_expired = ROW_COUNT;

    DELETE FROM monitoring_internal.pending_task_completions AS p
    WHERE p.end_time < v_bounds.earliest;
    GET DIAGNOSTICS orphan_completions_expired = ROW_COUNT;
    IF orphan_completions_expired > 0 THEN
        RAISE WARNING 'pgvigil: % task completions expired without their start', orphan_completions_expired
            USING HINT = 'A client completed tasks whose start never reached the database (lost or dropped start events).';
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring.expire_ingest_state() IS
    'Deletes buffered-batch ids older than ingest.batch_ids_hours and parked completions whose start can no longer arrive (older than ingest.max_event_age_hours). Returns both counts.';
