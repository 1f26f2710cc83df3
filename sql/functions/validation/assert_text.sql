CREATE OR REPLACE FUNCTION monitoring_internal.assert_text(p_argument text, p_value text, p_max_length integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
-- Internal: a required identifier-like argument (ids, types, names) must be
-- present, not blank, and at most p_max_length characters.
BEGIN
    IF p_value IS NULL OR btrim(p_value) = '' THEN
        RAISE EXCEPTION '% must not be NULL or empty', p_argument
            USING ERRCODE = 'PV001',
                  HINT = format('Pass a non-empty value for %s.', p_argument);
    END IF;
    IF length(p_value) > p_max_length THEN
        RAISE EXCEPTION '% is % characters long; the limit is %', p_argument, length(p_value), p_max_length
            USING ERRCODE = 'PV008',
                  HINT = format('Use a shorter %s; identifiers are names, not payloads.', p_argument);
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.assert_text(text, text, integer) IS
    'Internal: raises PV001 for a NULL or blank argument, PV008 when it is longer than the limit.';
