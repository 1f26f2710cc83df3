CREATE OR REPLACE FUNCTION monitoring.detach_expired_partition(
    p_table_name text,
    p_partition_name text,
    p_lock_timeout_ms integer DEFAULT 50
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Detaches one expired partition from its history table, waiting at most
-- p_lock_timeout_ms for the lock. DETACH needs ACCESS EXCLUSIVE on the
-- parent, and every writer queues behind a waiting DETACH: a reader with a
-- long transaction open on the table would otherwise stall all ingest for
-- as long as it stays open. Returns the partition's row estimate from the
-- statistics (counting would read the whole day), or NULL when the lock
-- could not be had in time: the caller retries later. A table already
-- detached returns its estimate too. Not CONCURRENTLY: that form cannot run
-- inside a function or procedure; the caller commits right after instead.
DECLARE
    v_rows bigint;
    v_attached boolean;
BEGIN
    SELECT greatest(c.reltuples, 0)::bigint, c.relispartition INTO v_rows, v_attached
    FROM pg_catalog.pg_class AS c
    WHERE c.relnamespace = 'monitoring'::regnamespace AND c.relname = p_partition_name;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    IF v_attached THEN
        BEGIN
            PERFORM pg_catalog.set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
            EXECUTE format('ALTER TABLE monitoring.%I DETACH PARTITION monitoring.%I',
                           p_table_name, p_partition_name);
            PERFORM pg_catalog.set_config('lock_timeout', '0', true);
        EXCEPTION WHEN lock_not_available THEN
            RAISE NOTICE 'pgvigil retention: monitoring.% is busy (no lock within % ms); retried on the next run',
                p_table_name, p_lock_timeout_ms;
            RETURN NULL;
        END;
    END IF;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION monitoring.detach_expired_partition(text, text, integer) IS
    'Detaches an expired partition, waiting at most p_lock_timeout_ms for the lock; returns its estimated rows, or NULL when the table was busy (retry later). Called by run_retention() and cleanup_old_monitoring_data().';
