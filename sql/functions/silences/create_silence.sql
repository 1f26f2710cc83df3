CREATE OR REPLACE FUNCTION monitoring.create_silence(
    p_matchers text[],
    p_comment text,
    p_ends_at timestamptz DEFAULT NULL,
    p_duration text DEFAULT NULL,
    p_starts_at timestamptz DEFAULT NULL,
    p_created_by text DEFAULT NULL
)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Creates an Alertmanager silence and returns its id: matchers written as
-- amtool writes them (alertname="DiskFull", service=~"api|web"), an end
-- (p_ends_at, or p_duration such as '2h' from the start), a start (now by
-- default: a later one makes it pending), the creator (the session user by
-- default) and a comment. While active, the alerts it matches are not
-- notified; each notification it holds back is logged with its id
-- (monitoring.notification_suppressions). Validated whole (PV602, PV604);
-- a failed call writes nothing. Audited as create_silence.
DECLARE
    v_starts_at timestamptz := coalesce(p_starts_at, now());
    v_ends_at timestamptz := p_ends_at;
    v_created_by text := coalesce(nullif(btrim(p_created_by), ''), session_user::text);
    v_matchers jsonb;
    v_id uuid;
BEGIN
    IF p_ends_at IS NOT NULL AND p_duration IS NOT NULL THEN
        RAISE EXCEPTION 'invalid silence: give an end or a duration, not both'
            USING ERRCODE = 'PV604', HINT = monitoring_internal.silence_error_hint('PV604');
    END IF;
    IF p_duration IS NOT NULL THEN
        v_ends_at := v_starts_at + monitoring_internal.silence_duration(p_duration);
    END IF;
    v_matchers := monitoring_internal.raise_silence_problems(coalesce(p_matchers, '{}'::text[]), v_starts_at, v_ends_at, v_created_by, p_comment);
    INSERT INTO monitoring.silences (matchers, starts_at, ends_at, created_by, comment)
    VALUES (v_matchers, v_starts_at, v_ends_at, v_created_by, p_comment)
    RETURNING silence_id INTO v_id;
    PERFORM monitoring_internal.write_audit_log('create_silence', v_id::text, jsonb_build_object(
        'silence_id', v_id, 'matchers', v_matchers, 'starts_at', v_starts_at, 'ends_at', v_ends_at,
        'created_by', v_created_by, 'comment', p_comment));
    RETURN v_id;
END;
$$;
COMMENT ON FUNCTION monitoring.create_silence(text[], text, timestamptz, text, timestamptz, text) IS
    'Creates a silence (matchers as amtool writes them, an end or a duration, an optional later start) and returns its id. Audited. Errors: PV602 (matchers), PV604 (the rest).';
