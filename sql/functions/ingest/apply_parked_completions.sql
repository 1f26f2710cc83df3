CREATE OR REPLACE FUNCTION monitoring_internal.apply_parked_completions(p_task_ids text[])
RETURNS integer
LANGUAGE plpgsql
AS $$
-- Internal: finishes tasks among p_task_ids that are running and have a
-- parked completion. Called by record_task_starts in a statement after its
-- running_tasks insert (if that insert waited for another session's probe,
-- the completion that session parked is visible now) and by
-- park_task_completions (a start committed while the completion probed).
-- Returns the number of tasks finished.
DECLARE
    v_ids text[];
    v_statuses text[];
    v_output_sizes bigint[];
    v_step_timings jsonb[];
    v_end_times timestamptz[];
BEGIN
    WITH parked AS (
        DELETE FROM monitoring_internal.pending_task_completions AS p
        USING monitoring_internal.running_tasks AS r
        WHERE p.task_id = r.task_id AND p.task_id = ANY (p_task_ids)
        RETURNING p.task_id, p.status, p.output_size, p.step_timings, p.end_time
    )
    SELECT array_agg(p.task_id), array_agg(p.status), array_agg(p.output_size),
           array_agg(p.step_timings), array_agg(p.end_time)
    INTO v_ids, v_statuses, v_output_sizes, v_step_timings, v_end_times
    FROM parked AS p;
    IF v_ids IS NULL THEN
        RETURN 0;
    END IF;
    RETURN (SELECT count(*) FROM monitoring_internal.finish_tasks(v_ids, v_statuses, v_output_sizes,
                                                        v_step_timings, v_end_times));
END;
$$;
COMMENT ON FUNCTION monitoring_internal.apply_parked_completions(text[]) IS
    'Internal: finishes the running tasks among the given ids that have a parked completion (a completion recorded by another session while their start was uncommitted).';
