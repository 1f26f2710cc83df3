CREATE OR REPLACE FUNCTION monitoring_internal.silence_duration(p_duration text)
RETURNS interval
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: a silence's duration as amtool writes it ("30s", "2h",
-- "1h30m", "1d"), or PV604.
DECLARE
    v_seconds double precision := monitoring_internal.parse_duration(to_jsonb(p_duration));
BEGIN
    IF v_seconds IS NULL OR v_seconds <= 0 OR jsonb_typeof(to_jsonb(p_duration)) <> 'string' THEN
        RAISE EXCEPTION 'invalid silence: % is not a duration such as 30s, 2h or 1d', coalesce(to_jsonb(p_duration)::text, 'null')
            USING ERRCODE = 'PV604', HINT = monitoring_internal.silence_error_hint('PV604');
    END IF;
    RETURN make_interval(secs => v_seconds);
END;
$$;
COMMENT ON FUNCTION monitoring_internal.silence_duration(text) IS
    'Internal: an amtool duration ("2h", "1h30m") as an interval; PV604 when malformed.';
