CREATE OR REPLACE FUNCTION monitoring.expire_silence(p_silence_id uuid)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Ends a silence now (a pending one never starts); returns false when it
-- had already expired. The groups whose alerts it held back flush at once,
-- so what it silenced is notified without waiting for their next tick.
-- Audited as expire_silence. Errors: PV609 an unknown id.
DECLARE
    v_old monitoring.silences;
BEGIN
    SELECT * INTO v_old FROM monitoring.silences AS s WHERE s.silence_id = p_silence_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown silence: %', coalesce(p_silence_id::text, 'NULL')
            USING ERRCODE = 'PV609', HINT = monitoring_internal.silence_error_hint('PV609');
    END IF;
    IF v_old.ends_at <= now() THEN
        RETURN false;
    END IF;
    UPDATE monitoring.silences AS s
    SET starts_at = least(s.starts_at, now()), ends_at = now(), updated_at = now()
    WHERE s.silence_id = p_silence_id;
    PERFORM monitoring_internal.write_audit_log('expire_silence', p_silence_id::text, jsonb_build_object(
        'silence_id', p_silence_id, 'ends_at_was', v_old.ends_at));
    RETURN true;
END;
$$;
COMMENT ON FUNCTION monitoring.expire_silence(uuid) IS
    'Ends a silence now; false when it had already expired. Audited. Errors: PV609.';
