CREATE OR REPLACE FUNCTION monitoring.begin_ingest_batch(
    p_batch_id uuid,
    p_created_at timestamptz,
    p_event_count integer
)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- First statement of every buffered batch's transaction. Returns false when
-- the batch was already written (a retry after a commit whose outcome the
-- client could not see): the client then rolls back instead of writing the
-- events twice. A concurrent attempt with the same id waits for the first.
BEGIN
    IF p_batch_id IS NULL OR p_created_at IS NULL OR p_event_count IS NULL THEN
        RAISE EXCEPTION 'batch_id, created_at and event_count must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'The client generates a UUID and a creation time per batch.';
    END IF;
    PERFORM monitoring_internal.assert_count('event_count', p_event_count);
    INSERT INTO monitoring_internal.ingest_batches (batch_id, created_at, event_count, application_name)
    VALUES (p_batch_id, p_created_at, p_event_count, current_setting('application_name'))
    ON CONFLICT (batch_id) DO NOTHING;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION monitoring.begin_ingest_batch(uuid, timestamptz, integer) IS
    'Buffered clients: registers a batch by id at the start of its transaction; false when it was already written. Errors: PV001, PV004.';
