CREATE OR REPLACE FUNCTION monitoring_internal.note_ingest(
    p_table text,
    p_first_event_time timestamptz,
    p_last_event_time timestamptz
)
RETURNS void
LANGUAGE plpgsql
AS $$
-- Internal, called by every function that writes raw rows the rollups read
-- (performance_monitoring by recorded_at, processing_metrics by end_time),
-- in the writing transaction, with the earliest and latest event time
-- written. Events before the rollup watermark fall into minutes already
-- rolled up: their minutes are queued in rollup_pending for
-- apply_rollup_pending() to recompute.
--
-- Why this is race-free: the shared advisory lock is held until this
-- transaction commits, and advance_rollup_watermark() takes the same lock
-- exclusively. So either this transaction read the watermark before it
-- moved, and the advance waited for its commit (its rows are visible to the
-- aggregation, which runs in a later transaction), or it reads the new
-- watermark and notes its late minutes itself. The watermark is read by a
-- statement after the lock is granted, so in READ COMMITTED it is current.
-- Under REPEATABLE READ or SERIALIZABLE the snapshot may predate the advance,
-- so the range is noted whatever the watermark (apply_rollup_pending()
-- drops the part that is not below the watermark by then).
-- On the per-call hot path: a shared lock and a one-row read; an insert
-- only for late events, and once per transaction and minute.
DECLARE
    v_watermark timestamptz;
    v_start timestamptz;
    v_end timestamptz;
BEGIN
    IF p_table IS NULL OR p_table NOT IN ('performance_monitoring', 'processing_metrics') THEN
        RAISE EXCEPTION 'note_ingest: unknown table %', coalesce(p_table, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass performance_monitoring or processing_metrics.';
    END IF;
    IF p_first_event_time IS NULL OR p_last_event_time IS NULL OR p_last_event_time < p_first_event_time THEN
        RAISE EXCEPTION 'note_ingest: invalid event time range [%, %]', p_first_event_time, p_last_event_time
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the earliest and the latest event time written, both not NULL.';
    END IF;
    v_start := date_bin('1 minute', p_first_event_time, TIMESTAMPTZ '2000-01-01 00:00:00+00');
    v_end := date_bin('1 minute', p_last_event_time, TIMESTAMPTZ '2000-01-01 00:00:00+00') + interval '1 minute';

    IF current_setting('transaction_isolation') = 'read committed' THEN
        PERFORM pg_advisory_xact_lock_shared(hashtext('pgvigil.rollup_watermark'));
        SELECT s.watermark INTO v_watermark FROM monitoring_internal.rollup_state AS s;
        IF v_watermark IS NULL OR p_first_event_time >= v_watermark THEN
            RETURN;  -- not rolled up yet (or never): the next advance covers it
        END IF;
        v_end := least(v_end, v_watermark);
    END IF;

    -- Once per transaction and minute: a row this transaction inserted is
    -- invisible to apply_rollup_pending() until commit, so it cannot be
    -- taken away before this transaction's rows are visible too.
    IF NOT EXISTS (SELECT FROM monitoring_internal.rollup_pending AS p
                   WHERE p.source = p_table AND p.range_start = v_start AND p.range_end >= v_end
                     AND p.xmin = pg_catalog.xid(pg_current_xact_id())) THEN
        INSERT INTO monitoring_internal.rollup_pending (source, range_start, range_end)
        VALUES (p_table, v_start, v_end);
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.note_ingest(text, timestamptz, timestamptz) IS
    'Internal: called in every transaction that writes performance_monitoring or processing_metrics rows, with the earliest and latest event time (recorded_at, end_time); queues the minutes that are already rolled up for recomputation.';
