CREATE OR REPLACE FUNCTION monitoring_internal.parse_duration(p_value jsonb)
RETURNS double precision
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a rule duration in seconds, as Prometheus writes them: a
    -- string of one or more <number><unit> parts, units ms, s, m, h, d, w
    -- ("90s", "5m", "1h30m"), or a plain number of seconds. NULL for
    -- anything else (the caller reports it).
    SELECT CASE
        WHEN jsonb_typeof(p_value) = 'number' THEN (p_value #>> '{}')::double precision
        WHEN jsonb_typeof(p_value) = 'string'
             AND (p_value #>> '{}') ~ '^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$' THEN
            (SELECT sum(m[1]::double precision * CASE m[2] WHEN 'ms' THEN 0.001 WHEN 's' THEN 1 WHEN 'm' THEN 60
                                                     WHEN 'h' THEN 3600 WHEN 'd' THEN 86400 ELSE 604800 END)
             FROM regexp_matches(p_value #>> '{}', '([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)', 'g') AS m)
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.parse_duration(jsonb) IS
    'Internal: "90s", "5m", "1h30m", "2d", "1w" (or a number of seconds) in seconds; NULL when malformed.';
