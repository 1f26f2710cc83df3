CREATE OR REPLACE FUNCTION monitoring.alert_response_report(
    p_since timestamptz,
    p_until timestamptz DEFAULT now()
)
RETURNS TABLE (
    rule_name text,
    alerts bigint,
    acknowledged bigint,
    resolved bigint,
    still_open bigint,
    mean_time_to_detect_seconds double precision,
    mean_time_to_acknowledge_seconds double precision,
    mean_time_to_resolve_seconds double precision,
    p95_time_to_resolve_seconds double precision,
    worst_severity text
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- How fast alerts were seen and handled, per rule (or check type), for the
-- alerts raised in [p_since, p_until): time to detect (the condition first
-- held, breached_at, to the alert raised), to acknowledge, and to resolve
-- (raised to resolved). Alerts still open count in alerts and still_open,
-- not in the times. A row "(all)" sums every rule. Errors: PV001, PV004.
BEGIN
    -- At most 366 days: the history kept.
    PERFORM monitoring_internal.assert_time_range(p_since, p_until, interval '366 days');
    RETURN QUERY
    WITH raised AS (
        SELECT coalesce(a.rule_name, a.alert_type) AS rule_name, a.severity,
               extract(epoch FROM a.triggered_at - a.breached_at)::double precision AS to_detect,
               extract(epoch FROM a.acknowledged_at - a.triggered_at)::double precision AS to_acknowledge,
               extract(epoch FROM a.resolved_at - a.triggered_at)::double precision AS to_resolve,
               a.acknowledged_at IS NOT NULL AS was_acknowledged,
               a.resolved_at IS NOT NULL AS was_resolved
        FROM monitoring.alerts AS a
        WHERE a.triggered_at >= p_since AND a.triggered_at < p_until
    )
    SELECT coalesce(r.rule_name, '(all)'),
           count(*),
           count(*) FILTER (WHERE r.was_acknowledged),
           count(*) FILTER (WHERE r.was_resolved),
           count(*) FILTER (WHERE NOT r.was_resolved),
           avg(greatest(r.to_detect, 0)),
           avg(r.to_acknowledge),
           avg(r.to_resolve),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY r.to_resolve),
           (array_agg(r.severity ORDER BY CASE r.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1
                                                          WHEN 'medium' THEN 2 ELSE 3 END))[1]
    FROM raised AS r
    GROUP BY ROLLUP (r.rule_name)
    ORDER BY r.rule_name IS NULL, count(*) DESC, r.rule_name;
END;
$$;
COMMENT ON FUNCTION monitoring.alert_response_report(timestamptz, timestamptz) IS
    'Per rule (or check type), for alerts raised in [since, until): alerts, acknowledged, resolved, still open, mean time to detect, acknowledge and resolve (seconds), p95 time to resolve, worst severity; a last row (all) over every rule. Errors: PV001, PV004.';
