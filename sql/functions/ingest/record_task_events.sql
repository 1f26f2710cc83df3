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
-- the client retries smaller parts of the batch to isolate it.
DECLARE
    v_count integer := coalesce(cardinality(p_kinds), 0);
    v_bounds record := monitoring.event_time_bounds();
    v_bad record;
    v_unfinished text[];
    v_unknown text[];
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
    IF v_count = 0 THEN
        RETURN 0;
    END IF;

    FOR v_bad IN
        SELECT e.* FROM unnest(p_kinds, p_task_ids, p_task_types, p_worker_ids, p_input_sizes, p_metadata,
                               p_statuses, p_output_sizes, p_step_timings, p_event_times)
                        AS e(kind, task_id, task_type, worker_id, input_size, metadata,
                             status, output_size, step_timings, event_time)
    LOOP
        IF v_bad.kind = 'start' THEN
            PERFORM monitoring.assert_task_start(v_bad.task_id, v_bad.task_type, v_bad.input_size,
                                                 v_bad.worker_id, v_bad.metadata);
        ELSIF v_bad.kind = 'complete' THEN
            PERFORM monitoring.assert_task_completion(v_bad.task_id, v_bad.status, v_bad.output_size,
                                                      v_bad.step_timings);
        ELSE
            RAISE EXCEPTION 'unknown task event kind: %', coalesce(v_bad.kind, 'NULL')
                USING ERRCODE = 'PV009',
                      HINT = 'Each event is a ''start'' or a ''complete''.';
        END IF;
        IF v_bad.event_time IS NULL OR v_bad.event_time < v_bounds.earliest OR v_bad.event_time > v_bounds.latest THEN
            PERFORM monitoring.assert_event_time(v_bad.event_time);
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

    SELECT r.task_id INTO v_bad
    FROM unnest(p_task_ids, p_kinds) AS e(task_id, kind)
    JOIN monitoring.running_tasks AS r ON r.task_id = e.task_id
    WHERE e.kind = 'start'
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % is already running', v_bad.task_id
            USING ERRCODE = 'PV101',
                  HINT = 'Complete it with complete_task_tracking() first, or use a new task id.';
    END IF;

    SELECT c.task_id INTO v_bad
    FROM unnest(p_kinds, p_task_ids) AS c(kind, task_id)
    JOIN monitoring.pending_task_completions AS p ON p.task_id = c.task_id
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
      AND NOT EXISTS (SELECT FROM monitoring.running_tasks AS r WHERE r.task_id = c.task_id)
      AND EXISTS (SELECT FROM monitoring.processing_metrics AS m
                  WHERE m.task_id = c.task_id AND m.end_time IS NOT NULL)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % is already completed', v_bad.task_id
            USING ERRCODE = 'PV103',
                  HINT = 'A task is completed once; start a new task id for a retry.';
    END IF;

    -- A completion may not precede its start: pairs within the batch, starts
    -- meeting parked completions, completions of already running tasks.
    WITH ev AS (
        SELECT * FROM unnest(p_kinds, p_task_ids, p_event_times) AS e(kind, task_id, event_time)
    )
    SELECT s.task_id, s.event_time AS start_time, coalesce(c.event_time, p.end_time) AS end_time INTO v_bad
    FROM ev AS s
    LEFT JOIN ev AS c ON c.task_id = s.task_id AND c.kind = 'complete'
    LEFT JOIN monitoring.pending_task_completions AS p ON p.task_id = s.task_id
    WHERE s.kind = 'start' AND coalesce(c.event_time, p.end_time) < s.event_time
    UNION ALL
    SELECT r.task_id, r.start_time, c.event_time
    FROM ev AS c
    JOIN monitoring.running_tasks AS r ON r.task_id = c.task_id
    WHERE c.kind = 'complete' AND c.event_time < r.start_time
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % cannot end at %, before it started at %', v_bad.task_id, v_bad.end_time, v_bad.start_time
            USING ERRCODE = 'PV006',
                  HINT = 'Pass the completion time as event_time, from the same clock as the start.';
    END IF;

    -- All writes in one statement (the CTEs touch disjoint task ids):
    -- started tasks, finished at once when their completion is at hand;
    -- completions of tasks started earlier; completions still without a start.
    WITH ev AS (
        SELECT * FROM unnest(p_kinds, p_task_ids, p_task_types, p_worker_ids, p_input_sizes, p_metadata,
                             p_statuses, p_output_sizes, p_step_timings, p_event_times)
                      AS e(kind, task_id, task_type, worker_id, input_size, metadata,
                           status, output_size, step_timings, event_time)
    ), starts AS (
        SELECT * FROM ev WHERE ev.kind = 'start'
    ), completions AS (
        SELECT * FROM ev WHERE ev.kind = 'complete'
    ), parked AS (
        DELETE FROM monitoring.pending_task_completions AS p
        USING starts AS s
        WHERE p.task_id = s.task_id
        RETURNING p.task_id, p.status, p.output_size, p.step_timings, p.end_time
    ), pairs AS (
        SELECT s.task_id, s.task_type, s.worker_id, s.input_size, s.metadata, s.event_time AS start_time,
               coalesce(c.status, p.status) AS status, coalesce(c.output_size, p.output_size) AS output_size,
               coalesce(c.step_timings, p.step_timings) AS step_timings,
               coalesce(c.event_time, p.end_time) AS end_time
        FROM starts AS s
        LEFT JOIN completions AS c ON c.task_id = s.task_id
        LEFT JOIN parked AS p ON p.task_id = s.task_id
    ), history AS (
        INSERT INTO monitoring.processing_metrics
            (task_id, task_type, worker_id, status, input_size, output_size, start_time, end_time,
             duration_seconds, step_timings, metadata)
        SELECT t.task_id, t.task_type, t.worker_id, coalesce(t.status, 'running'), t.input_size, t.output_size,
               t.start_time, t.end_time, extract(epoch FROM t.end_time - t.start_time)::double precision,
               t.step_timings, t.metadata
        FROM pairs AS t
    ), running AS (
        INSERT INTO monitoring.running_tasks (task_id, task_type, worker_id, start_time)
        SELECT t.task_id, t.task_type, t.worker_id, t.start_time
        FROM pairs AS t
        WHERE t.end_time IS NULL
    ), later AS (
        SELECT c.* FROM completions AS c
        WHERE NOT EXISTS (SELECT FROM starts AS s WHERE s.task_id = c.task_id)
    ), finished AS (
        DELETE FROM monitoring.running_tasks AS r
        USING later AS c
        WHERE r.task_id = c.task_id
        RETURNING r.task_id, r.start_time
    ), updated AS (
        UPDATE monitoring.processing_metrics AS m
        SET status = c.status,
            output_size = c.output_size,
            step_timings = c.step_timings,
            end_time = c.event_time,
            duration_seconds = extract(epoch FROM c.event_time - f.start_time)::double precision
        FROM finished AS f
        JOIN later AS c ON c.task_id = f.task_id
        WHERE m.task_id = f.task_id AND m.start_time = f.start_time
    )
    SELECT coalesce(array_agg(c.task_id), '{}') INTO v_unfinished
    FROM later AS c
    WHERE NOT EXISTS (SELECT FROM finished AS f WHERE f.task_id = c.task_id);

    -- Another session may be recording the start of a task completed here,
    -- invisible until it commits. Both meet on running_tasks' key: a probe
    -- row per unfinished completion waits for such a start to commit and then
    -- conflicts (the task is running: finish it now); an inserted probe means
    -- no start anywhere (remove it; the completion stays parked). A start that
    -- waited on a probe sees the parked completion afterwards (see below).
    IF cardinality(v_unfinished) > 0 THEN
        WITH probe AS (
            INSERT INTO monitoring.running_tasks (task_id, task_type, start_time)
            SELECT u.task_id, '', '-infinity'
            FROM unnest(v_unfinished) AS u(task_id)
            ON CONFLICT (task_id) DO NOTHING
            RETURNING task_id
        )
        SELECT coalesce(array_agg(probe.task_id), '{}') INTO v_unknown FROM probe;
        DELETE FROM monitoring.running_tasks AS r
        WHERE r.task_id = ANY (v_unknown) AND r.start_time = '-infinity';

        -- Park them all; those whose start has committed meanwhile (the
        -- probe conflicted) are finished at once by apply_parked_completions.
        INSERT INTO monitoring.pending_task_completions (task_id, status, output_size, step_timings, end_time)
        SELECT e.task_id, e.status, e.output_size, e.step_timings, e.event_time
        FROM unnest(p_kinds, p_task_ids, p_statuses, p_output_sizes, p_step_timings, p_event_times)
             AS e(kind, task_id, status, output_size, step_timings, event_time)
        WHERE e.kind = 'complete' AND e.task_id = ANY (v_unfinished)
        ON CONFLICT (task_id) DO NOTHING;
        PERFORM monitoring.apply_parked_completions(v_unfinished);
    END IF;

    -- The other side of the meeting: a start whose running_tasks insert
    -- waited for another session's probe sees, in this later statement, the
    -- completion that session parked. Apply it.
    PERFORM monitoring.apply_parked_completions(array_agg(e.task_id))
    FROM unnest(p_kinds, p_task_ids) AS e(kind, task_id)
    WHERE e.kind = 'start'
    HAVING count(*) > 0;

    -- Late completions may fall into rollup minutes already computed.
    PERFORM monitoring.note_ingest('processing_metrics', min(e.event_time), max(e.event_time))
    FROM unnest(p_kinds, p_event_times) AS e(kind, event_time)
    WHERE e.kind = 'complete'
    HAVING count(*) > 0;

    RETURN v_count;
END;
$$;
COMMENT ON FUNCTION monitoring.record_task_events(text[], text[], text[], text[], bigint[], jsonb[], text[], bigint[], jsonb[], timestamptz[]) IS
    'Buffered clients: applies a batch of task start and complete events (same result as one by one, in any order; completions before their start are parked). Returns the number of events. Errors: PV001, PV002, PV004, PV006, PV007, PV008, PV009, PV101, PV103.';
