CREATE OR REPLACE FUNCTION monitoring.flush_notification_groups()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Decides the notifications of every group whose timer is due, with
-- Alertmanager's semantics, and writes them to the outbox in the same
-- transaction (one row per integration of the receiver): the first after
-- group_wait; then, at group_interval ticks, one when alerts were added
-- (new_alerts), when alerts it reported firing resolved (some_resolved,
-- all_resolved; to integrations with send_resolved), or when
-- repeat_interval passed (repeat). A group whose alerts all resolved before
-- its first notification sends nothing. A group with nothing firing left
-- once that is said is removed. Groups are taken with SKIP LOCKED: two
-- workers never decide the same one. Returns the outbox rows written.
DECLARE
    v_group monitoring.notification_groups;
    v_receiver jsonb;
    v_firing bigint[];
    v_firing_fingerprints text[];
    v_resolved bigint[];
    v_resolved_reported bigint[];
    v_reason text;
    v_integration text;
    v_index integer;
    v_config jsonb;
    v_alerts bigint[];
    v_sends_resolved boolean;
    v_written integer := 0;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN 0;
    END IF;
    FOR v_group IN
        SELECT g.* FROM monitoring.notification_groups AS g
        WHERE g.next_flush_at <= now()
        ORDER BY g.next_flush_at
        FOR UPDATE SKIP LOCKED
    LOOP
        SELECT array_agg(a.alert_id ORDER BY a.alert_id) FILTER (WHERE a.resolved_at IS NULL),
               array_agg(a.fingerprint ORDER BY a.fingerprint) FILTER (WHERE a.resolved_at IS NULL),
               array_agg(a.alert_id) FILTER (WHERE a.resolved_at IS NOT NULL),
               array_agg(a.alert_id) FILTER (WHERE a.resolved_at IS NOT NULL AND a.fingerprint = ANY (v_group.notified_firing))
        INTO v_firing, v_firing_fingerprints, v_resolved, v_resolved_reported
        FROM monitoring.notification_group_alerts AS m
        JOIN monitoring.alerts AS a USING (alert_id)
        WHERE m.group_id = v_group.group_id;
        v_firing := coalesce(v_firing, '{}'); v_firing_fingerprints := coalesce(v_firing_fingerprints, '{}');
        v_resolved := coalesce(v_resolved, '{}'); v_resolved_reported := coalesce(v_resolved_reported, '{}');

        v_reason := CASE
            WHEN v_group.last_notified_at IS NULL THEN CASE WHEN v_firing <> '{}' THEN 'first' END
            WHEN NOT v_firing_fingerprints <@ v_group.notified_firing THEN 'new_alerts'
            WHEN v_resolved_reported <> '{}' THEN CASE WHEN v_firing = '{}' THEN 'all_resolved' ELSE 'some_resolved' END
            WHEN v_firing <> '{}' AND now() - v_group.last_notified_at >= make_interval(secs => v_group.repeat_interval_seconds)
                THEN 'repeat'
        END;

        IF v_reason IS NOT NULL THEN
            SELECT r INTO v_receiver
            FROM monitoring_internal.notification_config AS c, jsonb_array_elements(c.notifications -> 'receivers') AS r
            WHERE r ->> 'name' = v_group.receiver;
            FOR v_integration IN SELECT unnest(ARRAY['webhook_configs', 'slack_configs', 'msteamsv2_configs',
                                                     'email_configs', 'pagerduty_configs']) LOOP
                v_index := 0;
                FOR v_config IN SELECT x FROM jsonb_array_elements(coalesce(v_receiver -> v_integration, '[]')) AS x LOOP
                    -- Resolved alerts go to integrations that send them (Alertmanager's
                    -- defaults: webhook, Teams and PagerDuty do; Slack and email do not).
                    -- (Without send_resolved, a resolve alone is not notified,
                    -- as Alertmanager's dedup stage decides.)
                    v_sends_resolved := coalesce((v_config ->> 'send_resolved')::boolean,
                                                 v_integration IN ('webhook_configs', 'msteamsv2_configs', 'pagerduty_configs'));
                    v_alerts := v_firing || CASE WHEN v_sends_resolved THEN v_resolved_reported ELSE '{}' END;
                    IF v_alerts <> '{}' AND (v_sends_resolved OR v_reason NOT IN ('some_resolved', 'all_resolved')) THEN
                        INSERT INTO monitoring.notifications
                            (group_id, receiver, integration, integration_index, group_key, reason, idempotency_key, payload)
                        VALUES (v_group.group_id, v_group.receiver, v_integration, v_index, v_group.group_key, v_reason,
                                format('pgvigil-%s-%s-%s-%s', v_group.group_id, v_group.notifications_sent + 1, v_integration, v_index),
                                monitoring_internal.notification_payload(v_group, v_alerts));
                        v_written := v_written + 1;
                    END IF;
                    v_index := v_index + 1;
                END LOOP;
            END LOOP;
        END IF;

        -- Resolved alerts leave the group: reported now, or never reported firing.
        DELETE FROM monitoring.notification_group_alerts AS m
        WHERE m.group_id = v_group.group_id AND m.alert_id = ANY (v_resolved);
        IF v_firing = '{}' THEN
            DELETE FROM monitoring.notification_groups AS g WHERE g.group_id = v_group.group_id;
        ELSE
            UPDATE monitoring.notification_groups AS g
            SET next_flush_at = now() + make_interval(secs => g.group_interval_seconds),
                last_notified_at = CASE WHEN v_reason IS NOT NULL THEN now() ELSE g.last_notified_at END,
                notified_firing = CASE WHEN v_reason IS NOT NULL THEN v_firing_fingerprints ELSE g.notified_firing END,
                notifications_sent = g.notifications_sent + CASE WHEN v_reason IS NOT NULL THEN 1 ELSE 0 END
            WHERE g.group_id = v_group.group_id;
        END IF;
    END LOOP;
    RETURN v_written;
END;
$$;
COMMENT ON FUNCTION monitoring.flush_notification_groups() IS
    'Decides the notifications of the groups whose timers are due (first, new_alerts, some_resolved, all_resolved, repeat) and writes them to the outbox (monitoring.notifications); returns the rows written.';
