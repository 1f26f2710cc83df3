CREATE OR REPLACE FUNCTION monitoring.test_route(p_labels jsonb)
RETURNS TABLE (receiver text, route_key text, group_key text, group_labels jsonb,
               group_wait_seconds double precision, group_interval_seconds double precision,
               repeat_interval_seconds double precision, mute_time_intervals text[],
               active_time_intervals text[], escalation_policy text)
LANGUAGE plpgsql
STABLE
ROWS 2
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Where an alert with these labels would be notified, through the active
-- config's notifications.route, as amtool config routes test shows it:
-- each receiver, its route's key, the group key (route key : the group's
-- labels, as in Alertmanager's webhook groupKey), the group's labels, the
-- timers and time intervals, and the escalation policy. No rows without notifications.route.
-- Changes nothing.
BEGIN
    IF p_labels IS NULL OR jsonb_typeof(p_labels) <> 'object'
       OR EXISTS (SELECT FROM jsonb_each(p_labels) AS e WHERE jsonb_typeof(e.value) <> 'string') THEN
        RAISE EXCEPTION 'labels must be a JSON object of strings'
            USING ERRCODE = 'PV007', HINT = 'For example {"alertname": "cpu_usage_high", "severity": "critical"}.';
    END IF;
    RETURN QUERY
    SELECT r.receiver, r.route_key,
           r.route_key || ':' || monitoring_internal.group_labels_text(g.labels),
           g.labels, r.group_wait_seconds, r.group_interval_seconds, r.repeat_interval_seconds,
           r.mute_time_intervals, r.active_time_intervals, r.escalation_policy
    -- One call of the router on the route tree, none without one (the
    -- one-row config table: the plan stays small, never JIT-compiled).
    FROM (SELECT c.notifications -> 'route' AS route FROM monitoring_internal.notification_config AS c
          WHERE c.notifications ? 'route') AS c,
         LATERAL monitoring_internal.route_alert(c.route, p_labels) AS r,
         LATERAL (SELECT CASE WHEN r.group_by_all THEN p_labels
                              ELSE coalesce((SELECT jsonb_object_agg(k, p_labels ->> k) FROM unnest(r.group_by) AS k
                                             WHERE p_labels ? k), '{}') END AS labels) AS g;
END;
$$;
COMMENT ON FUNCTION monitoring.test_route(jsonb) IS
    'Where an alert with these labels would be notified (receiver, route key, group key and labels, timers, time intervals), as amtool config routes test shows it; changes nothing. Errors: PV007 (labels).';
