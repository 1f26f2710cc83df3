CREATE OR REPLACE FUNCTION monitoring_internal.step_escalations()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: moves every escalation that is due, with its policy snapshot,
-- and writes what it pages to the outbox (reason escalation), in the same
-- transaction. Taken with SKIP LOCKED: two workers never page twice.
-- - active and due: page the next tier's receiver, then wait the tier's
--   delay for an acknowledgement before the next tier; after the last,
--   start over from the first, repeat times, then stop (exhausted);
-- - acknowledged, with an ack_timeout that passed while the alert still
--   fires: the acknowledgement expires, the alert is active again and the
--   escalation starts over (an acknowledgement stops it otherwise);
-- - the alert resolved: the escalation ends, and every receiver it paged
--   is told (to integrations that send resolved alerts);
-- - the alert silenced or inhibited: nothing is paged while it is, and
--   the escalation goes on from where it was once it is not.
-- Returns the outbox rows written.
DECLARE
    v_esc monitoring.escalations;
    v_alert monitoring.alerts;
    v_tiers jsonb;
    v_tier jsonb;
    v_group monitoring.notification_groups;
    v_receiver text;
    v_written integer := 0;
BEGIN
    FOR v_esc IN
        SELECT e.* FROM monitoring.escalations AS e
        WHERE e.status IN ('active', 'acknowledged', 'exhausted')
          AND (e.next_at <= now()
               OR EXISTS (SELECT FROM monitoring.alerts AS a WHERE a.alert_id = e.alert_id AND a.resolved_at IS NOT NULL))
        ORDER BY e.next_at NULLS FIRST
        FOR UPDATE SKIP LOCKED
    LOOP
        SELECT * INTO v_alert FROM monitoring.alerts AS a WHERE a.alert_id = v_esc.alert_id;
        v_tiers := v_esc.policy -> 'tiers';
        v_group.group_key := format('{}/escalation:%s:%s', v_esc.policy_name, v_esc.alert_id);
        v_group.group_labels := coalesce(v_alert.labels, '{}');

        IF v_alert.resolved_at IS NOT NULL THEN
            -- Everyone it paged hears that it is over.
            FOR v_receiver IN
                SELECT x.t ->> 'receiver'
                FROM jsonb_array_elements(v_tiers) WITH ORDINALITY AS x (t, n)
                WHERE v_esc.last_notified_tier IS NOT NULL
                  AND (v_esc.cycle > 0 OR x.n - 1 <= v_esc.last_notified_tier)
                GROUP BY 1 ORDER BY min(x.n)
            LOOP
                v_group.receiver := v_receiver;
                v_written := v_written + monitoring_internal.write_notifications(
                    v_receiver, NULL, v_esc.escalation_id, v_group.group_key, 'escalation',
                    format('pgvigil-escalation-%s-resolved-%s', v_esc.escalation_id, v_receiver),
                    monitoring_internal.notification_payload(v_group, ARRAY[v_alert.alert_id]), NULL);
            END LOOP;
            UPDATE monitoring.escalations AS e
            SET status = 'resolved', next_at = NULL, ended_at = now(), updated_at = now()
            WHERE e.escalation_id = v_esc.escalation_id;
            CONTINUE;
        END IF;

        IF v_esc.status = 'exhausted' THEN
            CONTINUE;
        END IF;
        -- Silenced or inhibited: no page now; looked at again in 30 s, at the same tier.
        IF EXISTS (SELECT FROM monitoring_internal.alert_suppressions(
                       v_alert.alert_id, v_alert.labels, v_alert.component,
                       (SELECT c.notifications -> 'inhibit_rules' FROM monitoring_internal.notification_config AS c))) THEN
            UPDATE monitoring.escalations AS e SET next_at = now() + interval '30 seconds', updated_at = now()
            WHERE e.escalation_id = v_esc.escalation_id;
            CONTINUE;
        END IF;
        IF v_esc.status = 'acknowledged' THEN
            -- next_at is when the acknowledgement times out.
            UPDATE monitoring.alerts AS a
            SET status = 'active', acknowledged_at = NULL, acknowledged_by = NULL
            WHERE a.alert_id = v_alert.alert_id AND a.status = 'acknowledged';
            INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor, note)
            VALUES (v_alert.alert_id, 'acknowledgement_expired', v_alert.severity, 'pgvigil',
                    format('acknowledged at %s, still firing after the ack_timeout of %s', v_esc.acknowledged_at,
                           v_esc.policy ->> 'ack_timeout'));
            v_esc.cycle := 0;
            v_esc.next_tier := 0;
        END IF;

        v_tier := v_tiers -> v_esc.next_tier;
        v_group.receiver := v_tier ->> 'receiver';
        v_written := v_written + monitoring_internal.write_notifications(
            v_tier ->> 'receiver', NULL, v_esc.escalation_id, v_group.group_key, 'escalation',
            format('pgvigil-escalation-%s-%s', v_esc.escalation_id, v_esc.notifications_sent + 1),
            monitoring_internal.notification_payload(v_group, ARRAY[v_alert.alert_id]),
            monitoring_internal.notification_payload(v_group, ARRAY[v_alert.alert_id]));
        UPDATE monitoring.escalations AS e
        SET status = CASE WHEN v_esc.next_tier + 1 >= jsonb_array_length(v_tiers)
                               AND v_esc.cycle >= coalesce((e.policy ->> 'repeat')::integer, 0)
                          THEN 'exhausted' ELSE 'active' END,
            cycle = CASE WHEN v_esc.next_tier + 1 >= jsonb_array_length(v_tiers) THEN v_esc.cycle + 1 ELSE v_esc.cycle END,
            next_tier = (v_esc.next_tier + 1) % jsonb_array_length(v_tiers),
            next_at = CASE WHEN v_esc.next_tier + 1 >= jsonb_array_length(v_tiers)
                                AND v_esc.cycle >= coalesce((e.policy ->> 'repeat')::integer, 0) THEN NULL
                           ELSE now() + make_interval(secs => coalesce(monitoring_internal.parse_duration(v_tier -> 'delay'), 300)) END,
            last_notified_tier = v_esc.next_tier,
            last_notified_at = now(),
            notifications_sent = e.notifications_sent + 1,
            acknowledged_at = NULL,
            updated_at = now()
        WHERE e.escalation_id = v_esc.escalation_id;
    END LOOP;
    RETURN v_written;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.step_escalations() IS
    'Internal: pages the next tier of every due escalation, expires timed-out acknowledgements, ends escalations whose alert resolved (telling whom they paged); returns the outbox rows written.';
