CREATE OR REPLACE PROCEDURE monitoring.run_retention(
    INOUT partitions_dropped integer DEFAULT NULL,
    INOUT partitions_busy integer DEFAULT NULL,
    INOUT rows_removed bigint DEFAULT NULL,
    p_lock_timeout_ms integer DEFAULT 50,
    p_attempts integer DEFAULT 3
)
LANGUAGE plpgsql
AS $$
-- The retention job (pg_cron or `pgvigil scheduler`, daily), as
-- pg_partman's run_maintenance_proc does it: one expired partition at a
-- time, DETACH then COMMIT (the history table's lock is held for
-- milliseconds), DROP of the now separate table then COMMIT, then the
-- row deletes (expire_old_rows). A partition whose lock is not had within
-- p_lock_timeout_ms (a reader keeps a transaction open on the table) is
-- tried again after the others, up to p_attempts rounds a second apart,
-- then left for the next run: no writer waits more than about
-- p_lock_timeout_ms because of retention. CALL it outside a transaction
-- block. Not SECURITY DEFINER (a procedure with SET cannot COMMIT): it runs
-- as its caller, who needs EXECUTE on the steps (pgvigil_admin). It holds
-- the cleanup advisory lock for the session (a transaction lock would end
-- at the first COMMIT), so run it on a connection of its own, as pg_cron
-- and `pgvigil scheduler` do: a run that fails keeps the lock until its
-- session ends.
-- Returns partitions dropped, partitions still busy, and rows removed.
DECLARE
    v_pending text[][];
    v_busy text[][];
    v_rows bigint;
    v_round integer := 0;
BEGIN
    partitions_dropped := 0;
    partitions_busy := 0;
    rows_removed := 0;
    IF pg_catalog.pg_is_in_recovery()
       OR NOT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('pgvigil.cleanup')) THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(ARRAY[e.table_name, e.partition_name]), '{}') INTO v_pending
    FROM monitoring.expired_partitions() AS e;
    COMMIT;
    WHILE cardinality(v_pending) > 0 AND v_round < p_attempts LOOP
        IF v_round > 0 THEN
            PERFORM pg_catalog.pg_sleep(1);
        END IF;
        v_round := v_round + 1;
        v_busy := '{}';
        FOR i IN 1 .. pg_catalog.array_length(v_pending, 1) LOOP
            v_rows := monitoring.detach_expired_partition(v_pending[i][1], v_pending[i][2], p_lock_timeout_ms);
            COMMIT;
            IF v_rows IS NOT NULL AND monitoring.drop_detached_partition(v_pending[i][2], p_lock_timeout_ms) THEN
                partitions_dropped := partitions_dropped + 1;
                rows_removed := rows_removed + v_rows;
            ELSE
                v_busy := v_busy || v_pending[i:i][1:2];
            END IF;
            COMMIT;
        END LOOP;
        v_pending := v_busy;
    END LOOP;
    partitions_busy := coalesce(pg_catalog.array_length(v_pending, 1), 0);
    rows_removed := rows_removed + (SELECT coalesce(sum(e.rows_removed), 0) FROM monitoring.expire_old_rows() AS e);
    COMMIT;
    PERFORM pg_catalog.pg_advisory_unlock(pg_catalog.hashtext('pgvigil.cleanup'));
END;
$$;
COMMENT ON PROCEDURE monitoring.run_retention(integer, integer, bigint, integer, integer) IS
    'The retention job (scheduled as pgvigil-cleanup): drops expired daily partitions one per transaction (DETACH, COMMIT, DROP, COMMIT) with a short lock_timeout so writers never queue behind it, retries busy ones, then deletes expired rows. CALL monitoring.run_retention() outside a transaction block; returns partitions_dropped, partitions_busy, rows_removed.';
