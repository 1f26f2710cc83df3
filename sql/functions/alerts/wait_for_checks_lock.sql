CREATE OR REPLACE FUNCTION monitoring_internal.wait_for_checks_lock(p_seconds integer)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: takes the checks' transaction-scoped advisory lock, waiting up
-- to p_seconds for a holder to finish; false if it did not. The other
-- evaluators (the worker, the watchdog) only try: they run again in
-- seconds, and must not stall pg_cron behind them.
DECLARE
    v_lock_timeout text := current_setting('lock_timeout');
BEGIN
    IF pg_try_advisory_xact_lock(hashtext('pgvigil.monitoring_checks')) THEN
        RETURN true;
    END IF;
    PERFORM set_config('lock_timeout', (p_seconds * 1000)::text, true);
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('pgvigil.monitoring_checks'));
    EXCEPTION WHEN lock_not_available THEN
        PERFORM set_config('lock_timeout', v_lock_timeout, true);
        RETURN false;
    END;
    PERFORM set_config('lock_timeout', v_lock_timeout, true);
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.wait_for_checks_lock(integer) IS
    'Internal: the checks'' advisory lock for the transaction, waiting up to p_seconds; false when another session kept it.';
