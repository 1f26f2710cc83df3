CREATE OR REPLACE FUNCTION monitoring_internal.time_interval_active(p_ranges jsonb, p_at timestamptz)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: whether p_at falls in a time interval (its list of ranges:
    -- in any one of them), as Alertmanager decides it: each range is read
    -- in its own location's wall-clock time (UTC when it has none), so a
    -- Tue 02:00-04:00 Europe/Paris window is 00:00-02:00 UTC in summer and
    -- 01:00-03:00 UTC in winter; a field a range omits matches always; a
    -- negative day of the month counts from its end (-1 the last day).
    SELECT coalesce(bool_or(
        (NOT r ? 'times' OR EXISTS (
             SELECT FROM jsonb_array_elements(r -> 'times') AS t
             WHERE to_char(l.local, 'HH24:MI') >= t ->> 'start_time' AND to_char(l.local, 'HH24:MI') < t ->> 'end_time'))
        AND (NOT r ? 'weekdays' OR EXISTS (
             SELECT FROM jsonb_array_elements_text(r -> 'weekdays') AS w,
                  LATERAL (SELECT string_to_array(w, ':') AS p) AS x
             WHERE extract(dow FROM l.local) BETWEEN monitoring_internal.time_range_value('weekdays', x.p[1])
                                                 AND monitoring_internal.time_range_value('weekdays', x.p[cardinality(x.p)])))
        AND (NOT r ? 'days_of_month' OR EXISTS (
             SELECT FROM jsonb_array_elements_text(r -> 'days_of_month') AS d,
                  LATERAL (SELECT string_to_array(d, ':') AS p) AS x,
                  LATERAL (SELECT extract(day FROM date_trunc('month', l.local) + interval '1 month' - interval '1 day')::integer AS last) AS m
             WHERE extract(day FROM l.local)
                   BETWEEN CASE WHEN x.p[1]::integer < 0 THEN m.last + 1 + x.p[1]::integer ELSE x.p[1]::integer END
                       AND CASE WHEN x.p[cardinality(x.p)]::integer < 0 THEN m.last + 1 + x.p[cardinality(x.p)]::integer
                                ELSE x.p[cardinality(x.p)]::integer END))
        AND (NOT r ? 'months' OR EXISTS (
             SELECT FROM jsonb_array_elements_text(r -> 'months') AS mo,
                  LATERAL (SELECT string_to_array(mo, ':') AS p) AS x
             WHERE extract(month FROM l.local) BETWEEN monitoring_internal.time_range_value('months', x.p[1])
                                                   AND monitoring_internal.time_range_value('months', x.p[cardinality(x.p)])))
        AND (NOT r ? 'years' OR EXISTS (
             SELECT FROM jsonb_array_elements_text(r -> 'years') AS y,
                  LATERAL (SELECT string_to_array(y, ':') AS p) AS x
             WHERE extract(year FROM l.local) BETWEEN x.p[1]::integer AND x.p[cardinality(x.p)]::integer))
    ), false)
    FROM jsonb_array_elements(coalesce(p_ranges, '[]')) AS r,
         LATERAL (SELECT p_at AT TIME ZONE coalesce(r ->> 'location', 'UTC') AS local) AS l;
$$;
COMMENT ON FUNCTION monitoring_internal.time_interval_active(jsonb, timestamptz) IS
    'Internal: true when a moment falls in one of a time interval''s ranges, each read in its own location (Alertmanager semantics).';
