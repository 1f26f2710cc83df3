CREATE OR REPLACE FUNCTION monitoring_internal.time_range_value(p_field text, p_text text)
RETURNS integer
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: one bound of a time interval field as a number: a weekday
    -- (sunday 0 ... saturday 6, as Alertmanager numbers them), a day of the
    -- month (1 to 31, or -31 to -1 from the month's end), a month (1-12,
    -- or its English name), a year. NULL when it is not one.
    SELECT CASE p_field
        WHEN 'weekdays' THEN array_position(ARRAY['sunday', 'monday', 'tuesday', 'wednesday', 'thursday',
                                                  'friday', 'saturday'], lower(p_text)) - 1
        WHEN 'days_of_month' THEN CASE WHEN p_text ~ '^-?[0-9]{1,2}$' AND abs(p_text::integer) BETWEEN 1 AND 31
                                       THEN p_text::integer END
        WHEN 'months' THEN coalesce(array_position(ARRAY['january', 'february', 'march', 'april', 'may', 'june', 'july',
                                                         'august', 'september', 'october', 'november', 'december'],
                                                   lower(p_text)),
                                    CASE WHEN p_text ~ '^[0-9]{1,2}$' AND p_text::integer BETWEEN 1 AND 12
                                         THEN p_text::integer END)
        WHEN 'years' THEN CASE WHEN p_text ~ '^[0-9]{4}$' THEN p_text::integer END
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.time_range_value(text, text) IS
    'Internal: a weekday, day of month, month or year of a time interval as a number (NULL when malformed).';
