CREATE OR REPLACE FUNCTION monitoring.component_uptime_report(
    p_since timestamptz,
    p_until timestamptz DEFAULT now()
)
RETURNS TABLE (
    component_type text,
    component_name text,
    observed_seconds double precision,
    healthy_seconds double precision,
    degraded_seconds double precision,
    unhealthy_seconds double precision,
    uptime_ratio numeric,
    incidents bigint,
    mean_time_to_recovery_seconds double precision
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Each component's health over [p_since, p_until), from its status changes
-- (system_health_history): the seconds it was observed in each status, its
-- uptime (the share of observed time healthy, 0 to 1, as in
-- v_system_health_summary), its incidents (changes away from healthy) and
-- the mean of their recoveries that ended in the range. A component is
-- observed from its first report on. Errors: PV001, PV004.
BEGIN
    -- At most 366 days: the history kept.
    PERFORM monitoring_internal.assert_time_range(p_since, p_until, interval '366 days');
    RETURN QUERY
    WITH status_changes AS (
        SELECT hh.component_type, hh.component_name, hh.status, hh.changed_at, hh.previous_status,
               hh.recovery_seconds
        FROM monitoring.system_health_history AS hh
        WHERE hh.changed_at >= p_since AND hh.changed_at < p_until
        UNION ALL
        -- Each component's status when the range opened: its last change before.
        SELECT h.component_type, h.component_name, opening.status, opening.changed_at, NULL, NULL
        FROM monitoring.system_health AS h
        CROSS JOIN LATERAL (
            SELECT hh.status, hh.changed_at
            FROM monitoring.system_health_history AS hh
            WHERE hh.component_type = h.component_type
              AND hh.component_name = h.component_name
              AND hh.changed_at < p_since
            ORDER BY hh.changed_at DESC
            LIMIT 1
        ) AS opening
    ), periods AS (
        SELECT c.component_type, c.component_name, c.status, c.changed_at, c.previous_status,
               c.recovery_seconds,
               extract(epoch FROM
                   least(coalesce(lead(c.changed_at) OVER w, p_until), p_until, now())
                   - greatest(c.changed_at, p_since))::double precision AS seconds
        FROM status_changes AS c
        WINDOW w AS (PARTITION BY c.component_type, c.component_name ORDER BY c.changed_at)
    )
    SELECT p.component_type, p.component_name,
           sum(greatest(p.seconds, 0)),
           coalesce(sum(greatest(p.seconds, 0)) FILTER (WHERE p.status = 'healthy'), 0),
           coalesce(sum(greatest(p.seconds, 0)) FILTER (WHERE p.status = 'degraded'), 0),
           coalesce(sum(greatest(p.seconds, 0)) FILTER (WHERE p.status = 'unhealthy'), 0),
           round((coalesce(sum(greatest(p.seconds, 0)) FILTER (WHERE p.status = 'healthy'), 0)
                  / nullif(sum(greatest(p.seconds, 0)), 0))::numeric, 4),
           count(*) FILTER (WHERE p.changed_at >= p_since AND p.previous_status = 'healthy'
                                  AND p.status <> 'healthy'),
           avg(p.recovery_seconds) FILTER (WHERE p.changed_at >= p_since)
    FROM periods AS p
    GROUP BY p.component_type, p.component_name
    ORDER BY 7 NULLS LAST, p.component_type, p.component_name;
END;
$$;
COMMENT ON FUNCTION monitoring.component_uptime_report(timestamptz, timestamptz) IS
    'Per component, over [since, until): seconds observed, healthy, degraded and unhealthy; uptime ratio (healthy share of observed time, 0 to 1); incidents (changes away from healthy); mean time to recovery of the recoveries in the range (seconds). Errors: PV001, PV004.';
