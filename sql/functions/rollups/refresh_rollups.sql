CREATE OR REPLACE PROCEDURE monitoring.refresh_rollups()
LANGUAGE plpgsql
AS $$
-- The rollups job (pg_cron or `pgvigil scheduler`, every minute): advance
-- the watermark, COMMIT, then aggregate what is queued. The COMMIT between
-- the two is what makes late writes safe (see advance_rollup_watermark), so
-- this is a procedure; CALL it outside an explicit transaction block. Not
-- SECURITY DEFINER (a procedure with SET cannot COMMIT): it runs as its
-- caller, who needs EXECUTE on the two steps (pgvigil_admin). Cheap when
-- idle: one minute of each raw table; safe to run twice at once.
BEGIN
    IF pg_catalog.pg_is_in_recovery() THEN
        RETURN;
    END IF;
    PERFORM monitoring.advance_rollup_watermark();
    COMMIT;
    PERFORM monitoring.apply_rollup_pending();
END;
$$;
COMMENT ON PROCEDURE monitoring.refresh_rollups() IS
    'Refreshes the rollups: advance_rollup_watermark(), COMMIT, apply_rollup_pending(). CALL monitoring.refresh_rollups() outside a transaction block; scheduled as pgvigil-rollups.';
