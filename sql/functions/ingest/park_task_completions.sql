CREATE OR REPLACE FUNCTION monitoring_internal.park_task_completions(
    p_task_ids text[],
    p_statuses text[],
    p_output_sizes bigint[],
    p_step_timings jsonb[],
    p_end_times timestamptz[]
)
RETURNS integer
LANGUAGE plpgsql
AS $$
-- Internal: the concurrent-start probe of record_task_events, for
-- completions whose task is not running here. Another session may be
-- recording the start, invisible until it commits. Both meet on
-- running_tasks' key: a probe row per completion waits for such a start to
-- commit and then conflicts (the task is running: finish it now); an
-- inserted probe means no start anywhere (remove it; the completion stays
-- parked in pending_task_completions until its start arrives). A start
-- that waited on a probe sees the parked completion afterwards (see
-- record_task_starts). Returns the number of completions still parked.
DECLARE
    v_unknown text[];
BEGIN
    WITH probe AS (
        INSERT INTO monitoring_internal.running_tasks (task_id, task_type, start_time)
        SELECT u.task_id, '', '-infinity'
        FROM unnest(p_task_ids) AS u(task_id)
        ON CONFLICT (task_id) DO NOTHING
        RETURNING task_id
    )
    SELECT coalesce(array_agg(probe.task_id), '{}') INTO v_unknown FROM probe;
    DELETE FROM monitoring_internal.running_tasks AS r
    WHERE r.task_id = ANY (v_unknown) AND r.start_time = '-infinity';

    -- Park them all; those whose start has committed meanwhile (the probe
    -- conflicted) are finished at once.
    INSERT INTO monitoring_internal.pending_task_completions (task_id, status, output_size, step_timings, end_time)
    SELECT * FROM unnest(p_task_ids, p_statuses, p_output_sizes, p_step_timings, p_end_times)
    ON CONFLICT (task_id) DO NOTHING;
    RETURN cardinality(p_task_ids) - monitoring_internal.apply_parked_completions(p_task_ids);
END;
$$;
COMMENT ON FUNCTION monitoring_internal.park_task_completions(text[], text[], bigint[], jsonb[], timestamptz[]) IS
    'Internal: parks completions whose task is not running here, after probing running_tasks for a start another session has not committed yet (finished at once if so). Returns how many stay parked.';
