CREATE OR REPLACE FUNCTION monitoring_internal.regex_problem(p_regex text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: why a matcher's regular expression is invalid, or NULL. It is
-- anchored as Alertmanager anchors it (^(?:re)$) and compiled once here.
BEGIN
    PERFORM '' ~ ('^(?:' || p_regex || ')$');
    RETURN NULL;
EXCEPTION WHEN invalid_regular_expression THEN
    RETURN SQLERRM;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.regex_problem(text) IS
    'Internal: the error of an invalid matcher regular expression (anchored as Alertmanager does), or NULL.';
