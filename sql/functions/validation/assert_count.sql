CREATE OR REPLACE FUNCTION monitoring_internal.assert_count(p_argument text, p_value double precision)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
-- Internal: sizes, counts, ages and response times are finite and >= 0.
-- NULL passes: these arguments are optional.
BEGIN
    IF p_value IS NULL THEN
        RETURN;
    END IF;
    IF p_value = 'NaN'::double precision OR p_value IN ('Infinity', '-Infinity') THEN
        RAISE EXCEPTION '% must be a finite number, got %', p_argument, p_value
            USING ERRCODE = 'PV005',
                  HINT = format('Pass a finite value (or NULL) for %s.', p_argument);
    END IF;
    IF p_value < 0 THEN
        RAISE EXCEPTION '% must not be negative, got %', p_argument, p_value
            USING ERRCODE = 'PV004',
                  HINT = format('%s is a size, count or duration: pass 0 or more, or NULL when unknown.', p_argument);
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.assert_count(text, double precision) IS
    'Internal: raises PV005 for NaN or infinity, PV004 for a negative value; NULL passes.';
