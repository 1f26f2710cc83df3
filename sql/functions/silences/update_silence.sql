CREATE OR REPLACE FUNCTION monitoring.update_silence(
    p_silence_id uuid,
    p_ends_at timestamptz DEFAULT NULL,
    p_comment text DEFAULT NULL,
    p_matchers text[] DEFAULT NULL,
    p_starts_at timestamptz DEFAULT NULL
)
RETURNS monitoring.silences
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Changes a silence; what is not given stays. A pending silence may change
-- anything. An active one may only move its end (and change its comment):
-- to change what it matches or when it started, expire it and create
-- another, as Alertmanager does. An expired one cannot change. Validated
-- whole (PV602, PV604, PV609 an unknown id). Audited as change_silence.
DECLARE
    v_old monitoring.silences;
    v_new monitoring.silences;
    v_matchers jsonb;
BEGIN
    IF p_silence_id IS NULL THEN
        RAISE EXCEPTION 'silence_id must not be NULL'
            USING ERRCODE = 'PV609', HINT = monitoring_internal.silence_error_hint('PV609');
    END IF;
    SELECT * INTO v_old FROM monitoring.silences AS s WHERE s.silence_id = p_silence_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown silence: %', p_silence_id
            USING ERRCODE = 'PV609', HINT = monitoring_internal.silence_error_hint('PV609');
    END IF;
    IF v_old.ends_at <= now() THEN
        RAISE EXCEPTION 'silence % has expired and cannot change', p_silence_id
            USING ERRCODE = 'PV604', HINT = 'Create a new silence: monitoring.create_silence(...).';
    END IF;
    v_matchers := monitoring_internal.raise_silence_problems(p_matchers, coalesce(p_starts_at, v_old.starts_at),
                                                             coalesce(p_ends_at, v_old.ends_at), v_old.created_by,
                                                             coalesce(p_comment, v_old.comment));
    IF v_old.starts_at <= now()
       AND ((v_matchers IS NOT NULL AND v_matchers <> v_old.matchers)
            OR (p_starts_at IS NOT NULL AND p_starts_at <> v_old.starts_at)) THEN
        RAISE EXCEPTION 'silence % is active: only its end and comment may change', p_silence_id
            USING ERRCODE = 'PV604',
                  HINT = 'Expire it (monitoring.expire_silence) and create another with the new matchers or start.';
    END IF;
    v_new := v_old;
    v_new.matchers := coalesce(v_matchers, v_old.matchers);
    v_new.starts_at := coalesce(p_starts_at, v_old.starts_at);
    v_new.ends_at := coalesce(p_ends_at, v_old.ends_at);
    v_new.comment := coalesce(p_comment, v_old.comment);
    UPDATE monitoring.silences AS s
    SET matchers = v_new.matchers, starts_at = v_new.starts_at, ends_at = v_new.ends_at, comment = v_new.comment,
        updated_at = now()
    WHERE s.silence_id = p_silence_id
    RETURNING s.* INTO v_new;
    PERFORM monitoring_internal.write_audit_log('change_silence', p_silence_id::text, jsonb_build_object(
        'silence_id', p_silence_id,
        'before', jsonb_build_object('matchers', v_old.matchers, 'starts_at', v_old.starts_at, 'ends_at', v_old.ends_at,
                                     'comment', v_old.comment),
        'after', jsonb_build_object('matchers', v_new.matchers, 'starts_at', v_new.starts_at, 'ends_at', v_new.ends_at,
                                    'comment', v_new.comment)));
    RETURN v_new;
END;
$$;
COMMENT ON FUNCTION monitoring.update_silence(uuid, timestamptz, text, text[], timestamptz) IS
    'Changes a silence: pending ones anything, active ones only their end and comment, expired ones nothing. Audited. Errors: PV602, PV604, PV609.';
