CREATE OR REPLACE FUNCTION monitoring_internal.parse_matcher(p_text text)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: one matcher as Alertmanager and amtool write it:
    -- name, an operator (=, !=, =~, !~), and a value, bare or double-quoted
    -- with \" \\ \n escapes: 'severity="critical"', 'service=~api|web',
    -- 'team != ops'. {"name", "op", "value"}; NULL when malformed (the
    -- caller says so). A regex's validity is checked by regex_problem().
    SELECT CASE WHEN m IS NULL THEN NULL
                WHEN m[3] ~ '^".*"$' AND m[3] !~ '^"(?:[^"\\]|\\.)*"$' THEN NULL
                ELSE jsonb_build_object(
                    'name', m[1], 'op', m[2],
                    'value', CASE WHEN m[3] ~ '^".*"$'
                                  THEN replace(replace(replace(regexp_replace(substr(m[3], 2, length(m[3]) - 2),
                                                                              '\\\\', E'\x01', 'g'),
                                                               '\"', '"'), '\n', E'\n'), E'\x01', '\')
                                  ELSE m[3] END)
           END
    FROM (SELECT regexp_match(p_text, '^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$') AS m) AS x;
$$;
COMMENT ON FUNCTION monitoring_internal.parse_matcher(text) IS
    'Internal: an Alertmanager matcher string (name, =, !=, =~ or !~, value, quoted or not) as {"name", "op", "value"}; NULL when malformed.';
