CREATE OR REPLACE FUNCTION monitoring_internal.write_flood_summaries()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: for each receiver integration whose flood control held
-- notifications back, once the minute of the first is over, writes one
-- flood_summary notification saying how many were held back and until
-- when (a firing PgvigilNotificationsHeldBack, in the webhook v4 shape),
-- and marks them summarised by it. The summary is not capped. Returns the
-- rows written.
DECLARE
    r record;
    v_id bigint;
    v_labels jsonb;
    v_summary text;
    v_written integer := 0;
BEGIN
    FOR r IN
        SELECT n.receiver, n.integration, n.integration_index, count(*) AS held, min(n.created_at) AS since,
               max(n.created_at) AS until, array_agg(n.notification_id) AS ids
        FROM monitoring.notifications AS n
        WHERE n.status = 'held' AND n.summary_id IS NULL
        GROUP BY 1, 2, 3
        HAVING min(n.created_at) <= now() - interval '1 minute'
    LOOP
        v_labels := jsonb_build_object('alertname', 'PgvigilNotificationsHeldBack', 'receiver', r.receiver,
                                       'severity', 'medium');
        v_summary := format('%s notifications to %s (%s) were held back by flood control between %s and %s',
                            r.held, r.receiver, r.integration, r.since, r.until);
        INSERT INTO monitoring.notifications
            (group_id, receiver, integration, integration_index, group_key, reason, idempotency_key, payload)
        VALUES (NULL, r.receiver, r.integration, r.integration_index, '{}:{alertname="PgvigilNotificationsHeldBack"}',
                'flood_summary', format('pgvigil-flood-%s-%s-%s-%s', r.receiver, r.integration, r.integration_index,
                                        r.ids[1]),
                monitoring_internal.synthetic_payload(
                    r.receiver, v_labels,
                    jsonb_build_object('summary', v_summary,
                                       'description', 'They are in monitoring.v_notification_log (status held).'),
                    r.since))
        RETURNING notification_id INTO v_id;
        UPDATE monitoring.notifications AS n SET summary_id = v_id WHERE n.notification_id = ANY (r.ids);
        v_written := v_written + 1;
    END LOOP;
    RETURN v_written;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.write_flood_summaries() IS
    'Internal: one flood_summary notification per receiver integration whose flood control held notifications back in a minute now over; returns the rows written.';
