CREATE OR REPLACE FUNCTION monitoring_internal.assert_task_events(
    p_kinds text[],
    p_task_ids text[],
    p_task_types text[],
    p_worker_ids text[],
    p_input_sizes bigint[],
    p_metadata jsonb[],
    p_statuses text[],
    p_output_sizes bigint[],
    p_step_timings jsonb[],
    p_event_times timestamptz[]
)
RETURNS void
LANGUAGE plpgsql
AS $$
-- Internal: the argument and state rules of a buffered batch of task
-- events (record_task_events), checked before anything is written: every
-- event's arguments (the same rules as the synchronous calls), its kind and
-- event time; one start and one completion per task and batch; no
-- completion of a task already completed (parked earlier, or finished in
-- the history). The rules about what exists at write time (already
-- running, replayed starts, an end before its start) are raised by the
-- writes themselves (record_task_starts, finish_tasks).
DECLARE
    v_count integer := coalesce(cardinality(p_kinds), 0);
    v_bounds record := monitoring_internal.event_time_bounds();
    v_bad record;
BEGIN
    IF cardinality(p_task_ids) IS DISTINCT FROM v_count OR cardinality(p_task_types) IS DISTINCT FROM v_count
       OR cardinality(p_worker_ids) IS DISTINCT FROM v_count OR cardinality(p_input_sizes) IS DISTINCT FROM v_count
       OR cardinality(p_metadata) IS DISTINCT FROM v_count OR cardinality(p_statuses) IS DISTINCT FROM v_count
       OR cardinality(p_output_sizes) IS DISTINCT FROM v_count OR cardinality(p_step_timings) IS DISTINCT FROM v_count
       OR cardinality(p_event_times) IS DISTINCT FROM v_count THEN
        RAISE EXCEPTION 'malformed task event batch: the arrays have different lengths'
            USING ERRCODE = 'PV009',
                  HINT = 'Pass one element per event in every array, NULL where a field does not apply.';
    END IF;

    FOR v_bad IN
        SELECT e.* FROM unnest(p_kinds, p_task_ids, p_task_types, p_worker_ids, p_input_sizes, p_metadata,
                               p_statuses, p_output_sizes, p_step_timings, p_event_times)
                        AS e(kind, task_id, task_type, worker_id, input_size, metadata,
                             status, output_size, step_timings, event_time)
    LOOP
        IF v_bad.kind = 'start' THEN
            PERFORM monitoring_internal.assert_task_start(v_bad.task_id, v_bad.task_type, v_bad.input_size,
                                                 v_bad.worker_id, v_bad.metadata);
        ELSIF v_bad.kind = 'complete' THEN
            PERFORM monitoring_internal.assert_task_completion(v_bad.task_id, v_bad.status, v_bad.output_size,
                                                      v_bad.step_timings);
        ELSE
            RAISE EXCEPTION 'unknown task event kind: %', coalesce(v_bad.kind, 'NULL')
                USING ERRCODE = 'PV009',
                      HINT = 'Each event is a ''start'' or a ''complete''.';
        END IF;
        IF v_bad.event_time IS NULL OR v_bad.event_time < v_bounds.earliest OR v_bad.event_time > v_bounds.latest THEN
            PERFORM monitoring_internal.assert_event_time(v_bad.event_time);
        END IF;
    END LOOP;

    -- One start and one completion per task and batch; repeats are applied
    -- one by one by the client (a task id may be reused after completion).
    SELECT e.task_id, e.kind INTO v_bad
    FROM unnest(p_task_ids, p_kinds) AS e(task_id, kind)
    GROUP BY e.task_id, e.kind HAVING count(*) > 1
    LIMIT 1;
    IF FOUND THEN
        IF v_bad.kind = 'start' THEN
            RAISE EXCEPTION 'task % is already running', v_bad.task_id
                USING ERRCODE = 'PV101', DETAIL = 'The batch starts it twice.',
                      HINT = 'Complete it with complete_task_tracking() first, or use a new task id.';
        END IF;
        RAISE EXCEPTION 'task % is already completed', v_bad.task_id
            USING ERRCODE = 'PV103', DETAIL = 'The batch completes it twice.',
                  HINT = 'A task is completed once; start a new task id for a retry.';
    END IF;

    SELECT c.task_id INTO v_bad
    FROM unnest(p_kinds, p_task_ids) AS c(kind, task_id)
    JOIN monitoring_internal.pending_task_completions AS p ON p.task_id = c.task_id
    WHERE c.kind = 'complete'
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % is already completed', v_bad.task_id
            USING ERRCODE = 'PV103', DETAIL = 'A completion for it arrived earlier, before its start.',
                  HINT = 'A task is completed once; start a new task id for a retry.';
    END IF;

    -- A completion with no start in sight may be early (parked below) or a
    -- repeat: only the latter has a finished row. Probes the history per
    -- partition, for these rare completions only.
    SELECT c.task_id INTO v_bad
    FROM unnest(p_kinds, p_task_ids) AS c(kind, task_id)
    WHERE c.kind = 'complete'
      AND NOT EXISTS (SELECT FROM unnest(p_kinds, p_task_ids) AS s(kind, task_id)
                      WHERE s.kind = 'start' AND s.task_id = c.task_id)
      AND NOT EXISTS (SELECT FROM monitoring_internal.running_tasks AS r WHERE r.task_id = c.task_id)
      AND EXISTS (SELECT FROM monitoring.processing_metrics AS m
                  WHERE m.task_id = c.task_id AND m.end_time IS NOT NULL)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % is already completed', v_bad.task_id
            USING ERRCODE = 'PV103',
                  HINT = 'A task is completed once; start a new task id for a retry.';
    END IF;

END;
$$;
COMMENT ON FUNCTION monitoring_internal.assert_task_events(text[], text[], text[], text[], bigint[], jsonb[], text[], bigint[], jsonb[], timestamptz[]) IS
    'Internal: raises PV001, PV002, PV004-PV009 or PV103 for an invalid batch of task events (record_task_events), before anything is written.';
