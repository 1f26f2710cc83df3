CREATE OR REPLACE FUNCTION monitoring.advance_rollup_watermark()
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
-- First step of refresh_rollups(): moves the rollup watermark from W1 to
-- W2 = the start of the UTC minute rollups.lag_seconds before now, and
-- queues [W1, W2) of both raw tables in rollup_pending; its caller commits
-- before apply_rollup_pending() aggregates them.
--
-- Why two transactions: writers hold the same advisory lock shared until
-- they commit (note_ingest), so taking it exclusively here waits for every
-- write that read the old watermark. Once this commits, their rows are
-- committed and visible to the aggregation transaction; a write that starts
-- later sees W2 and queues its own late minutes. The wait is bounded by
-- lock_timeout (writers queue behind it meanwhile): on timeout the watermark
-- stays and the next run tries again; the views read raw rows past it, so
-- nothing is missing meanwhile.
-- First run (no rollup_state row; delete it to rebuild from the raw rows):
-- W1 = the start of the oldest UTC day with raw rows, found partition by
-- partition from the oldest (an empty one costs nothing to check), so an
-- empty install starts at W2; apply_rollup_pending() works through a long
-- history a bounded chunk per run. Returns the watermark (NULL when
-- skipped: standby, lock timeout).
DECLARE
    v_from timestamptz;
    v_to timestamptz;
    v_oldest timestamptz;
    v_found boolean;
    v_first_run boolean;
    v_table text;
    p record;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN NULL;
    END IF;
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('pgvigil.rollup_watermark'));
    EXCEPTION WHEN lock_not_available THEN
        RAISE NOTICE 'pgvigil: rollup watermark not advanced: writers held the lock for %',
            current_setting('lock_timeout');
        RETURN NULL;
    END;

    v_to := date_bin('1 minute', now() - make_interval(secs => monitoring_internal.config_number('{rollups,lag_seconds}')),
                     TIMESTAMPTZ '2000-01-01 00:00:00+00');
    SELECT s.watermark INTO v_from FROM monitoring_internal.rollup_state AS s;
    v_first_run := v_from IS NULL;
    IF v_first_run THEN
        v_from := v_to;
        FOREACH v_table IN ARRAY ARRAY['performance_monitoring', 'processing_metrics'] LOOP
            -- processing_metrics is by start_time: a task ends on or after its start day.
            EXECUTE format('SELECT min(%I) FROM monitoring.%I',
                           CASE v_table WHEN 'performance_monitoring' THEN 'recorded_at' ELSE 'start_time' END,
                           v_table || '_default')
                INTO v_oldest;
            v_from := least(v_from, date_bin('1 minute', v_oldest, TIMESTAMPTZ '2000-01-01 00:00:00+00'));
            FOR p IN
                SELECT c.relname,
                       to_date(right(c.relname, 8), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC' AS day_start
                FROM pg_catalog.pg_inherits AS i
                JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
                WHERE i.inhparent = format('monitoring.%I', v_table)::regclass
                  AND c.relname ~ ('^' || v_table || '_p[0-9]{8}$')
                ORDER BY c.relname
            LOOP
                EXIT WHEN p.day_start >= v_from;
                EXECUTE format('SELECT EXISTS (SELECT FROM monitoring.%I)', p.relname) INTO v_found;
                IF v_found THEN
                    v_from := p.day_start;
                    EXIT;
                END IF;
            END LOOP;
        END LOOP;
    END IF;
    IF v_to <= v_from AND NOT v_first_run THEN
        RETURN v_from;  -- same minute (pg_cron catching up), or the lag was raised
    END IF;
    IF v_to > v_from THEN
        INSERT INTO monitoring_internal.rollup_pending (source, range_start, range_end)
        VALUES ('performance_monitoring', v_from, v_to), ('processing_metrics', v_from, v_to);
    END IF;
    INSERT INTO monitoring_internal.rollup_state AS s (state_id, watermark, advanced_at)
    VALUES (true, v_to, now())
    ON CONFLICT ON CONSTRAINT rollup_state_pkey DO UPDATE
    SET watermark = excluded.watermark, advanced_at = excluded.advanced_at;
    RETURN v_to;
END;
$$;
COMMENT ON FUNCTION monitoring.advance_rollup_watermark() IS
    'First step of refresh_rollups(): waits for in-flight writers, moves the rollup watermark to the minute rollups.lag_seconds before now and queues the new minutes in rollup_pending. Commit before apply_rollup_pending(). Returns the watermark; NULL when skipped (standby, writers held the lock longer than 5 s).';
