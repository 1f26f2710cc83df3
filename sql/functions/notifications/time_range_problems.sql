CREATE OR REPLACE FUNCTION monitoring_internal.time_range_problems(p_range jsonb)
RETURNS TABLE (problem text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: what is wrong with one range of a time interval, as
-- Alertmanager defines them: times (HH:MM, start before end, 00:00-24:00),
-- weekdays (monday or monday:friday), days_of_month (1 to 31 or -31 to -1,
-- ranges a:b), months (1-12 or names), years, location (a time zone known
-- to the database, e.g. Europe/Paris). Messages start with the field.
DECLARE
    v_item jsonb;
    v_part text[];
    v_text text;
BEGIN
    IF jsonb_typeof(p_range) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT ' must be an object of times, weekdays, days_of_month, months, years, location'::text;
        RETURN;
    END IF;
    FOR v_item IN SELECT t FROM jsonb_array_elements(CASE jsonb_typeof(p_range -> 'times') WHEN 'array' THEN p_range -> 'times' ELSE '[]' END) AS t LOOP
        IF coalesce(v_item ->> 'start_time', '') !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
           OR coalesce(v_item ->> 'end_time', '') !~ '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' THEN
            RETURN QUERY SELECT format('.times: %s needs start_time and end_time as HH:MM (00:00 to 24:00)', v_item);
        ELSIF (v_item ->> 'start_time') >= (v_item ->> 'end_time') THEN
            RETURN QUERY SELECT format('.times: %s ends before it starts (a range past midnight is two ranges)', v_item);
        END IF;
    END LOOP;
    FOREACH v_text IN ARRAY ARRAY['weekdays', 'days_of_month', 'months', 'years'] LOOP
        IF p_range ? v_text AND jsonb_typeof(p_range -> v_text) <> 'array' THEN
            RETURN QUERY SELECT format('.%s must be a list', v_text);
            CONTINUE;
        END IF;
        FOR v_item IN SELECT x FROM jsonb_array_elements(coalesce(p_range -> v_text, '[]')) AS x LOOP
            v_part := string_to_array(lower(v_item #>> '{}'), ':');
            IF jsonb_typeof(v_item) <> 'string' OR cardinality(v_part) NOT IN (1, 2)
               OR EXISTS (SELECT FROM unnest(v_part) AS p
                          WHERE monitoring_internal.time_range_value(v_text, p) IS NULL)
               OR monitoring_internal.time_range_value(v_text, v_part[1])
                  > monitoring_internal.time_range_value(v_text, v_part[cardinality(v_part)]) THEN
                RETURN QUERY SELECT format('.%s: %s is not a %s or a range of them (%s)', v_text, v_item,
                    CASE v_text WHEN 'weekdays' THEN 'weekday' WHEN 'days_of_month' THEN 'day of the month'
                                WHEN 'months' THEN 'month' ELSE 'year' END,
                    CASE v_text WHEN 'weekdays' THEN 'monday:friday' WHEN 'days_of_month' THEN '1:7, -1'
                                WHEN 'months' THEN 'january:march, 12' ELSE '2026:2027' END);
            END IF;
        END LOOP;
    END LOOP;
    IF p_range ? 'location' AND (jsonb_typeof(p_range -> 'location') <> 'string'
                                 OR NOT EXISTS (SELECT FROM pg_timezone_names AS z WHERE z.name = p_range ->> 'location')) THEN
        RETURN QUERY SELECT format('.location %s is not a time zone (a name such as Europe/Paris or UTC)', p_range -> 'location');
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.time_range_problems(jsonb) IS
    'Internal: the problems of one range of an Alertmanager time interval (times, weekdays, days_of_month, months, years, location).';
