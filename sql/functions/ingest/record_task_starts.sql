CREATE OR REPLACE FUNCTION monitoring_internal.record_task_starts(
    p_task_ids text[],
    p_task_types text[],
    p_worker_ids text[],
    p_input_sizes bigint[],
    p_metadata jsonb[],
    p_start_times timestamptz[],
    p_statuses text[],
    p_output_sizes bigint[],
    p_step_timings jsonb[],
    p_end_times timestamptz[]
)
RETURNS integer
LANGUAGE plpgsql
AS $$
-- Internal: the one home of "a task starts", for start_task_tracking and
-- record_task_events. Element i starts p_task_ids[i] at p_start_times[i];
-- a completion given with it (the same buffered batch: status, output
-- size, step timings, end time; NULL otherwise), or one parked earlier in
-- pending_task_completions, finishes it at once: one finished history row,
-- nothing in running_tasks. Errors, raised before anything stays written:
-- PV006 for an end before its start, PV101 for a task already running,
-- PV103 for a replayed start of a task that has finished (the same task id
-- and start time are in the history). Returns the number of starts.
DECLARE
    v_missing_running text[];
    v_missing_history text[];
    v_early timestamptz[];  -- task start and end of a completion that precedes its start
    v_early_id text;
    v_first timestamptz;
    v_last timestamptz;
BEGIN
    WITH s AS (
        SELECT * FROM unnest(p_task_ids, p_task_types, p_worker_ids, p_input_sizes, p_metadata, p_start_times,
                             p_statuses, p_output_sizes, p_step_timings, p_end_times)
                      AS s(task_id, task_type, worker_id, input_size, metadata, start_time,
                           status, output_size, step_timings, end_time)
    ), parked AS (
        DELETE FROM monitoring_internal.pending_task_completions AS p
        USING s
        WHERE p.task_id = s.task_id
        RETURNING p.task_id, p.status, p.output_size, p.step_timings, p.end_time
    ), t AS (
        SELECT s.task_id, s.task_type, s.worker_id, s.input_size, s.metadata, s.start_time,
               coalesce(s.status, p.status) AS status, coalesce(s.output_size, p.output_size) AS output_size,
               coalesce(s.step_timings, p.step_timings) AS step_timings,
               coalesce(s.end_time, p.end_time) AS end_time
        FROM s
        LEFT JOIN parked AS p ON p.task_id = s.task_id
    ), history AS (
        -- A conflict here is a replay: the same task id and start time.
        INSERT INTO monitoring.processing_metrics
            (task_id, task_type, worker_id, status, input_size, output_size, start_time, end_time,
             duration_seconds, step_timings, metadata)
        SELECT t.task_id, t.task_type, t.worker_id, coalesce(t.status, 'running'), t.input_size, t.output_size,
               t.start_time, t.end_time, extract(epoch FROM t.end_time - t.start_time)::double precision,
               t.step_timings, t.metadata
        FROM t
        ON CONFLICT ON CONSTRAINT processing_metrics_pkey DO NOTHING
        RETURNING task_id
    ), running AS (
        -- Waits for another session's uncommitted probe of this key (see
        -- park_task_completions); a conflict is a task already running.
        INSERT INTO monitoring_internal.running_tasks (task_id, task_type, worker_id, start_time)
        SELECT t.task_id, t.task_type, t.worker_id, t.start_time
        FROM t
        WHERE t.end_time IS NULL
        ON CONFLICT (task_id) DO NOTHING
        RETURNING task_id
    )
    SELECT (SELECT coalesce(array_agg(t.task_id), '{}') FROM t
            WHERE t.end_time IS NULL AND t.task_id NOT IN (SELECT r.task_id FROM running AS r)),
           (SELECT coalesce(array_agg(t.task_id), '{}') FROM t
            WHERE t.task_id NOT IN (SELECT h.task_id FROM history AS h)),
           (SELECT ARRAY[t.start_time, t.end_time] FROM t WHERE t.end_time < t.start_time LIMIT 1),
           (SELECT t.task_id FROM t WHERE t.end_time < t.start_time LIMIT 1),
           (SELECT min(t.end_time) FROM t), (SELECT max(t.end_time) FROM t)
    INTO v_missing_running, v_missing_history, v_early, v_early_id, v_first, v_last;

    IF v_early_id IS NOT NULL THEN
        RAISE EXCEPTION 'task % cannot end at %, before it started at %', v_early_id, v_early[2], v_early[1]
            USING ERRCODE = 'PV006',
                  HINT = 'Pass the start time as event_time, from the same clock as the completion.';
    END IF;
    IF cardinality(v_missing_running) > 0 THEN
        RAISE EXCEPTION 'task % is already running', v_missing_running[1]
            USING ERRCODE = 'PV101',
                  HINT = 'Complete it with complete_task_tracking() first, or use a new task id.';
    END IF;
    IF cardinality(v_missing_history) > 0 THEN
        RAISE EXCEPTION 'task % started at % has already finished', v_missing_history[1],
                        p_start_times[array_position(p_task_ids, v_missing_history[1])]
            USING ERRCODE = 'PV103',
                  HINT = 'A start is recorded once; give a new run of the task a new task id.';
    END IF;
    IF v_first IS NOT NULL THEN
        -- Finished at once: task rollups are by end time.
        PERFORM monitoring_internal.note_ingest('processing_metrics', v_first, v_last);
    END IF;

    -- The other side of the meeting with a concurrent completion: if a
    -- running_tasks insert above waited for another session's probe, the
    -- completion that session parked is visible to this later statement.
    PERFORM monitoring_internal.apply_parked_completions(p_task_ids);
    RETURN cardinality(p_task_ids);
END;
$$;
COMMENT ON FUNCTION monitoring_internal.record_task_starts(text[], text[], text[], bigint[], jsonb[], timestamptz[], text[], bigint[], jsonb[], timestamptz[]) IS
    'Internal: records task starts (finished at once when their completion is given or parked); PV006, PV101, PV103. Called by start_task_tracking() and record_task_events().';
