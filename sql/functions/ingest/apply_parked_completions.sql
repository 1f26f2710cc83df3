CREATE OR REPLACE FUNCTION monitoring.apply_parked_completions(p_task_ids text[])
RETURNS integer
LANGUAGE plpgsql
AS $$
-- Internal: finishes tasks among p_task_ids that are running and have a
-- parked completion. Called by the start paths in a statement after their
-- running_tasks insert: if that insert waited for another session's probe
-- (see record_task_events), the completion that session parked is visible
-- now. Returns the number of tasks finished.
DECLARE
    v_finished integer;
    v_first timestamptz;
    v_last timestamptz;
BEGIN
    WITH parked AS (
        DELETE FROM monitoring.pending_task_completions AS p
        USING monitoring.running_tasks AS r
        WHERE p.task_id = r.task_id AND p.task_id = ANY (p_task_ids)
        RETURNING p.task_id, p.status, p.output_size, p.step_timings, p.end_time
    ), finished AS (
        DELETE FROM monitoring.running_tasks AS r
        USING parked AS p
        WHERE r.task_id = p.task_id
        RETURNING r.task_id, r.start_time
    ), updated AS (
        UPDATE monitoring.processing_metrics AS m
        SET status = p.status,
            output_size = p.output_size,
            step_timings = p.step_timings,
            end_time = p.end_time,
            duration_seconds = extract(epoch FROM p.end_time - f.start_time)::double precision
        FROM finished AS f
        JOIN parked AS p ON p.task_id = f.task_id
        WHERE m.task_id = f.task_id AND m.start_time = f.start_time
        RETURNING m.end_time
    )
    SELECT count(*), min(u.end_time), max(u.end_time) INTO v_finished, v_first, v_last FROM updated AS u;
    IF v_finished > 0 THEN
        PERFORM monitoring.note_ingest('processing_metrics', v_first, v_last);
    END IF;
    RETURN v_finished;
END;
$$;
COMMENT ON FUNCTION monitoring.apply_parked_completions(text[]) IS
    'Internal: finishes the running tasks among the given ids that have a parked completion (a completion recorded by another session while their start was uncommitted).';
