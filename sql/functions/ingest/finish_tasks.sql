CREATE OR REPLACE FUNCTION monitoring_internal.finish_tasks(
    p_task_ids text[],
    p_statuses text[],
    p_output_sizes bigint[],
    p_step_timings jsonb[],
    p_end_times timestamptz[]
)
RETURNS TABLE (task_id text, duration_seconds double precision)
LANGUAGE plpgsql
AS $$
-- Internal: the one home of "a running task ends", for every path that
-- finishes one (complete_task_tracking, record_task_events,
-- apply_parked_completions). Element i ends p_task_ids[i] at
-- p_end_times[i]. Tasks that are not running are skipped: the caller tells
-- "never started" from "finished already". The start time comes from
-- running_tasks by primary key, so each history row is updated in exactly
-- one partition, without a search. Raises PV006 for an end before its
-- start (the caller's statement is rolled back: nothing is written).
-- Returns the tasks finished and their durations in seconds.
DECLARE
    v_ids text[];
    v_durations double precision[];
    v_first timestamptz;
    v_last timestamptz;
    v_early_id text;
    v_early_start timestamptz;
    v_early_end timestamptz;
    v_start timestamptz;
BEGIN
    IF cardinality(p_task_ids) = 1 THEN
        -- One task (complete_task_tracking): with the start time in a
        -- variable, the UPDATE is planned against the one partition that
        -- holds it. The set-based statement below joins start times from a
        -- CTE, which no plan can prune by: it probes every partition.
        DELETE FROM monitoring_internal.running_tasks AS r
        WHERE r.task_id = p_task_ids[1]
        RETURNING r.start_time INTO v_start;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        IF p_end_times[1] < v_start THEN
            RAISE EXCEPTION 'task % cannot end at %, before it started at %', p_task_ids[1], p_end_times[1], v_start
                USING ERRCODE = 'PV006',
                      HINT = 'Pass the completion time as event_time, from the same clock as the start.';
        END IF;
        task_id := p_task_ids[1];
        duration_seconds := extract(epoch FROM p_end_times[1] - v_start)::double precision;
        UPDATE monitoring.processing_metrics AS m
        SET status = p_statuses[1],
            output_size = p_output_sizes[1],
            step_timings = p_step_timings[1],
            end_time = p_end_times[1],
            duration_seconds = finish_tasks.duration_seconds
        WHERE m.task_id = p_task_ids[1] AND m.start_time = v_start;
        PERFORM monitoring_internal.note_ingest('processing_metrics', p_end_times[1], p_end_times[1]);
        RETURN NEXT;
        RETURN;
    END IF;
    WITH c AS (
        SELECT * FROM unnest(p_task_ids, p_statuses, p_output_sizes, p_step_timings, p_end_times)
                      AS c(task_id, status, output_size, step_timings, end_time)
    ), finished AS (
        DELETE FROM monitoring_internal.running_tasks AS r
        USING c
        WHERE r.task_id = c.task_id
        RETURNING r.task_id, r.start_time
    ), updated AS (
        UPDATE monitoring.processing_metrics AS m
        SET status = c.status,
            output_size = c.output_size,
            step_timings = c.step_timings,
            end_time = c.end_time,
            duration_seconds = extract(epoch FROM c.end_time - f.start_time)::double precision
        FROM finished AS f
        JOIN c ON c.task_id = f.task_id
        WHERE m.task_id = f.task_id AND m.start_time = f.start_time
          AND c.end_time >= f.start_time  -- an early end is raised below, not written
        RETURNING m.task_id, m.end_time, m.duration_seconds
    ), early AS (
        SELECT f.task_id, f.start_time, c.end_time
        FROM finished AS f
        JOIN c ON c.task_id = f.task_id
        WHERE c.end_time < f.start_time
        LIMIT 1
    )
    SELECT coalesce(array_agg(u.task_id), '{}'), coalesce(array_agg(u.duration_seconds), '{}'),
           min(u.end_time), max(u.end_time),
           (SELECT e.task_id FROM early AS e), (SELECT e.start_time FROM early AS e),
           (SELECT e.end_time FROM early AS e)
    INTO v_ids, v_durations, v_first, v_last, v_early_id, v_early_start, v_early_end
    FROM updated AS u;
    IF v_early_id IS NOT NULL THEN
        RAISE EXCEPTION 'task % cannot end at %, before it started at %', v_early_id, v_early_end, v_early_start
            USING ERRCODE = 'PV006',
                  HINT = 'Pass the completion time as event_time, from the same clock as the start.';
    END IF;
    IF v_first IS NOT NULL THEN
        -- Task rollups are by end time: a late completion changes a rolled-up minute.
        PERFORM monitoring_internal.note_ingest('processing_metrics', v_first, v_last);
    END IF;
    RETURN QUERY SELECT * FROM unnest(v_ids, v_durations);
END;
$$;
COMMENT ON FUNCTION monitoring_internal.finish_tasks(text[], text[], bigint[], jsonb[], timestamptz[]) IS
    'Internal: ends the running tasks among p_task_ids (status, output size, step timings, end time per element) and returns those finished with their durations; skips tasks not running; PV006 for an end before its start.';
