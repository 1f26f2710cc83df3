CREATE OR REPLACE FUNCTION monitoring.drop_detached_partition(
    p_partition_name text,
    p_lock_timeout_ms integer DEFAULT 50
)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Drops a partition that detach_expired_partition() detached. It is a
-- table of its own by now, so the DROP locks no history table: writers do
-- not wait for the file removal, which grows with the day's size. Returns
-- false, dropping nothing, when the table is busy or still attached.
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_class AS c
               WHERE c.relnamespace = 'monitoring'::regnamespace
                 AND c.relname = p_partition_name AND c.relispartition) THEN
        RETURN false;
    END IF;
    BEGIN
        PERFORM pg_catalog.set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
        EXECUTE format('DROP TABLE IF EXISTS monitoring.%I', p_partition_name);
        PERFORM pg_catalog.set_config('lock_timeout', '0', true);
    EXCEPTION WHEN lock_not_available THEN
        RAISE NOTICE 'pgvigil retention: monitoring.% is busy; dropped on the next run', p_partition_name;
        RETURN false;
    END;
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.drop_detached_partition(text, integer) IS
    'Drops a detached expired partition, waiting at most p_lock_timeout_ms for its lock; false when busy (retried on the next run).';
