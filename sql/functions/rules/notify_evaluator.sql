CREATE OR REPLACE FUNCTION monitoring_internal.notify_evaluator(p_reason text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: wakes `pgvigil worker` for an event that matters at once (a
    -- health status change, a critical error), instead of waiting for its
    -- next cycle. Delivered at commit, and only then; the same reason twice
    -- in one transaction is one notification.
    SELECT pg_notify('pgvigil_evaluate', p_reason);
$$;
COMMENT ON FUNCTION monitoring_internal.notify_evaluator(text) IS
    'Internal: NOTIFY pgvigil_evaluate (payload: why), which pgvigil worker LISTENs to.';
