CREATE OR REPLACE FUNCTION monitoring.record_task_events(
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
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- A generic plan would guess 10 elements per unnest() and join the batch
-- with itself by nested loops (quadratic); custom plans see the real sizes.
SET plan_cache_mode = force_custom_plan
AS $$
-- Buffered task events, set-based: element i is a 'start' (task_type,
-- worker_id, input_size, metadata) or a 'complete' (status, output_size,
-- step_timings) of p_task_ids[i] at p_event_times[i]; unused fields NULL.
-- The result equals sending the events one by one, in any order: a start
-- and its completion in the same batch become one finished row; a
-- completion whose start has not arrived yet (another process's buffer) is
-- parked in pending_task_completions and applied when the start comes.
-- All or nothing: the first invalid event raises its documented error, and
-- the client retries smaller parts of the batch to isolate it. Three
-- steps, each with one home: validation (assert_task_events), starts
-- (record_task_starts), completions of earlier starts (finish_tasks, else
-- park_task_completions, the concurrent-start probe).
DECLARE
    v_count integer := coalesce(cardinality(p_kinds), 0);
    v_later record;
    v_finished text[];
BEGIN
    PERFORM monitoring_internal.assert_task_events(p_kinds, p_task_ids, p_task_types, p_worker_ids, p_input_sizes,
                                          p_metadata, p_statuses, p_output_sizes, p_step_timings, p_event_times);
    IF v_count = 0 THEN
        RETURN 0;
    END IF;

    -- Starts, each with its completion when the batch holds it too (the
    -- validation allows one of each per task): finished at once.
    PERFORM monitoring_internal.record_task_starts(
        array_agg(s.task_id), array_agg(s.task_type), array_agg(s.worker_id), array_agg(s.input_size),
        array_agg(s.metadata), array_agg(s.event_time), array_agg(c.status), array_agg(c.output_size),
        array_agg(c.step_timings), array_agg(c.event_time))
    FROM unnest(p_kinds, p_task_ids, p_task_types, p_worker_ids, p_input_sizes, p_metadata, p_event_times)
         AS s(kind, task_id, task_type, worker_id, input_size, metadata, event_time)
    LEFT JOIN unnest(p_kinds, p_task_ids, p_statuses, p_output_sizes, p_step_timings, p_event_times)
         AS c(kind, task_id, status, output_size, step_timings, event_time)
      ON c.kind = 'complete' AND c.task_id = s.task_id
    WHERE s.kind = 'start'
    HAVING count(*) > 0;

    -- Completions of tasks started earlier: finished now if running here,
    -- else probed and parked until their start arrives.
    SELECT array_agg(c.task_id) AS task_ids, array_agg(c.status) AS statuses,
           array_agg(c.output_size) AS output_sizes, array_agg(c.step_timings) AS step_timings,
           array_agg(c.event_time) AS end_times
    INTO v_later
    FROM unnest(p_kinds, p_task_ids, p_statuses, p_output_sizes, p_step_timings, p_event_times)
         AS c(kind, task_id, status, output_size, step_timings, event_time)
    WHERE c.kind = 'complete'
      AND NOT EXISTS (SELECT FROM unnest(p_kinds, p_task_ids) AS s(kind, task_id)
                      WHERE s.kind = 'start' AND s.task_id = c.task_id);
    IF v_later.task_ids IS NOT NULL THEN
        SELECT coalesce(array_agg(f.task_id), '{}') INTO v_finished
        FROM monitoring_internal.finish_tasks(v_later.task_ids, v_later.statuses, v_later.output_sizes,
                                     v_later.step_timings, v_later.end_times) AS f;
        PERFORM monitoring_internal.park_task_completions(
            array_agg(c.task_id), array_agg(c.status), array_agg(c.output_size),
            array_agg(c.step_timings), array_agg(c.end_time))
        FROM unnest(v_later.task_ids, v_later.statuses, v_later.output_sizes, v_later.step_timings,
                    v_later.end_times) AS c(task_id, status, output_size, step_timings, end_time)
        WHERE c.task_id <> ALL (v_finished)
        HAVING count(*) > 0;
    END IF;
    RETURN v_count;
END;
$$;
COMMENT ON FUNCTION monitoring.record_task_events(text[], text[], text[], text[], bigint[], jsonb[], text[], bigint[], jsonb[], timestamptz[]) IS
    'Buffered clients: applies a batch of task start and complete events (same result as one by one, in any order; completions before their start are parked). Returns the number of events. Errors: PV001, PV002, PV004, PV006, PV007, PV008, PV009, PV101, PV103.';
