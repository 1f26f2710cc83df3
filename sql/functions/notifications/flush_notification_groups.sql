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
-- Silenced and inhibited alerts are left out, and a notification in a mute
-- time interval (or outside the active ones) waits; what each held back is
-- logged in notification_suppressions with its cause (a silence's id).
DECLARE
    v_group monitoring.notification_groups;
    v_notifications jsonb;
    v_firing bigint[];
    v_firing_fingerprints text[];
    v_still_reported text[];
    v_any_firing bigint[];
    v_unacknowledged boolean;
    v_resolved bigint[];
    v_resolved_reported bigint[];
    v_resolved_reported_fingerprints text[];
    v_suppressed jsonb;
    v_held bigint[];
    v_flap_enabled boolean;
    v_flap_changes integer;
    v_flap_window double precision;
    v_flap_stable double precision;
    v_reason text;
    v_repeat_due boolean;
    v_muted_by text;
    v_muted_detail text;
    v_written integer := 0;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN 0;
    END IF;
    SELECT c.notifications INTO v_notifications FROM monitoring_internal.notification_config AS c;
    SELECT f.enabled, f.changes, f.window_seconds, f.stable_seconds
    INTO v_flap_enabled, v_flap_changes, v_flap_window, v_flap_stable
    FROM monitoring_internal.flap_detection_settings(v_notifications) AS f;
    -- Posted alerts that were not posted again before their end resolve
    -- now, so this flush tells their receivers.
    PERFORM monitoring_internal.expire_posted_alerts();
    -- Escalations first: pages are the most urgent thing decided here.
    v_written := monitoring_internal.step_escalations();
    FOR v_group IN
        SELECT g.* FROM monitoring.notification_groups AS g
        WHERE g.next_flush_at <= now()
           -- A silence that held one of its alerts back has ended: at once.
           OR g.group_id IN (SELECT m.group_id FROM monitoring.notification_group_alerts AS m
                             JOIN monitoring.silences AS s ON s.silence_id = m.silenced_by
                             WHERE m.silenced_by IS NOT NULL AND s.ends_at <= now())
        ORDER BY g.next_flush_at
        FOR UPDATE SKIP LOCKED
    LOOP
        -- Flap damping: the group's alerts that changed state more than
        -- flap_detection.changes times in the window flap, until stable.
        IF v_flap_enabled THEN
            -- Stable for stable_for since the last change seen: flapping no more.
            DELETE FROM monitoring.flapping_alerts AS fa
            USING monitoring.notification_group_alerts AS m
            JOIN monitoring.alerts AS a USING (alert_id)
            WHERE m.group_id = v_group.group_id AND fa.fingerprint = a.fingerprint
              AND (fa.last_change_at IS NULL OR now() - fa.last_change_at >= make_interval(secs => v_flap_stable));
            -- More than `changes` changes in the window: flapping (or still: the last change noted).
            INSERT INTO monitoring.flapping_alerts AS fa (fingerprint, labels, changes, last_change_at)
            SELECT f.fingerprint, f.labels, t.changes, t.last_change_at
            FROM (SELECT DISTINCT ON (a.fingerprint) a.fingerprint, a.labels
                  FROM monitoring.notification_group_alerts AS m JOIN monitoring.alerts AS a USING (alert_id)
                  WHERE m.group_id = v_group.group_id AND a.fingerprint IS NOT NULL
                  ORDER BY a.fingerprint, a.alert_id DESC) AS f,
                 LATERAL monitoring_internal.flap_changes(f.fingerprint, v_flap_window) AS t
            WHERE t.changes > v_flap_changes
               OR EXISTS (SELECT FROM monitoring.flapping_alerts AS x WHERE x.fingerprint = f.fingerprint)
            ON CONFLICT ON CONSTRAINT flapping_alerts_pkey
            DO UPDATE SET changes = excluded.changes, last_change_at = excluded.last_change_at, updated_at = now();
        END IF;

        -- The group's alerts, each firing one with what holds it back (silences,
        -- inhibition, flapping: at most one notification per window). Held-back alerts are left out of the notification; one the
        -- receiver was told fires stays reported, so that its resolve is still sent.
        SELECT array_agg(x.alert_id ORDER BY x.alert_id) FILTER (WHERE x.firing AND x.suppressions IS NULL),
               array_agg(x.fingerprint ORDER BY x.fingerprint) FILTER (WHERE x.firing AND x.suppressions IS NULL),
               array_agg(x.fingerprint) FILTER (WHERE x.fingerprint = ANY (v_group.notified_firing)
                                                 AND ((x.firing AND x.suppressions IS NOT NULL) OR x.held)),
               array_agg(x.alert_id) FILTER (WHERE x.firing),
               coalesce(bool_or(x.firing AND x.suppressions IS NULL AND x.status <> 'acknowledged'), false),
               array_agg(x.alert_id) FILTER (WHERE NOT x.firing AND NOT x.held),
               array_agg(x.alert_id) FILTER (WHERE NOT x.firing AND NOT x.held AND NOT x.superseded
                                              AND x.fingerprint = ANY (v_group.notified_firing)),
               array_agg(x.fingerprint) FILTER (WHERE NOT x.firing AND NOT x.held AND NOT x.superseded
                                                 AND x.fingerprint = ANY (v_group.notified_firing)),
               jsonb_agg(x.suppressions) FILTER (WHERE x.suppressions IS NOT NULL),
               coalesce(array_agg(x.alert_id) FILTER (WHERE x.held), '{}')
        INTO v_firing, v_firing_fingerprints, v_still_reported, v_any_firing, v_unacknowledged, v_resolved, v_resolved_reported,
             v_resolved_reported_fingerprints, v_suppressed, v_held
        FROM (SELECT a.alert_id, a.fingerprint, a.status, a.resolved_at IS NULL AS firing, s.suppressions,
                     -- A flapping alert's resolve waits too (its fire and resolve
                     -- within a window are one notification at most), and one that
                     -- fired again meanwhile is no news to the receiver.
                     coalesce(a.resolved_at IS NOT NULL AND fl.held_back, false) AS held,
                     coalesce(a.resolved_at IS NOT NULL AND fl.fingerprint IS NOT NULL
                              AND EXISTS (SELECT FROM monitoring.notification_group_alerts AS m2
                                          JOIN monitoring.alerts AS a2 USING (alert_id)
                                          WHERE m2.group_id = v_group.group_id AND a2.fingerprint = a.fingerprint
                                            AND a2.resolved_at IS NULL), false) AS superseded
              FROM monitoring.notification_group_alerts AS m
              JOIN monitoring.alerts AS a USING (alert_id)
              LEFT JOIN LATERAL (
                  SELECT fa.fingerprint, fa.changes,
                         fa.last_notified_at IS NOT NULL
                         AND now() - fa.last_notified_at < make_interval(secs => v_flap_window) AS held_back
                  FROM monitoring.flapping_alerts AS fa
                  WHERE v_flap_enabled AND fa.fingerprint = a.fingerprint
              ) AS fl ON true
              LEFT JOIN LATERAL (
                  SELECT jsonb_agg(jsonb_build_object('alert_id', a.alert_id, 'fingerprint', a.fingerprint,
                                                      'reason', p.reason, 'suppressed_by', p.suppressed_by,
                                                      'silence_id', p.silence_id, 'detail', p.detail)) AS suppressions
                  FROM (SELECT q.reason, q.suppressed_by, q.silence_id, q.detail
                        FROM monitoring_internal.alert_suppressions(a.alert_id, a.labels, a.component,
                                                                    v_notifications -> 'inhibit_rules') AS q
                        UNION ALL
                        SELECT 'flapping', 'flapping', NULL::uuid,
                               format('flapping: %s state changes in %s s; notified at most once per %s s until stable for %s s',
                                      fl.changes, v_flap_window, v_flap_window, v_flap_stable)
                        WHERE fl.held_back) AS p
                  WHERE a.resolved_at IS NULL
              ) AS s ON true
              WHERE m.group_id = v_group.group_id) AS x;
        v_firing := coalesce(v_firing, '{}'); v_firing_fingerprints := coalesce(v_firing_fingerprints, '{}');
        v_any_firing := coalesce(v_any_firing, '{}');
        v_resolved := coalesce(v_resolved, '{}'); v_resolved_reported := coalesce(v_resolved_reported, '{}');
        -- A fingerprint resolved now and firing again under a silence is a new
        -- alert to the receiver: notified when the silence ends.
        v_still_reported := ARRAY(SELECT unnest(coalesce(v_still_reported, '{}'::text[]))
                                  EXCEPT SELECT unnest(coalesce(v_resolved_reported_fingerprints, '{}'::text[])));
        v_repeat_due := v_group.last_notified_at IS NOT NULL
            AND now() - v_group.last_notified_at >= make_interval(secs => v_group.repeat_interval_seconds);

        v_reason := CASE
            WHEN v_group.last_notified_at IS NULL THEN CASE WHEN v_firing <> '{}' THEN 'first' END
            WHEN NOT v_firing_fingerprints <@ v_group.notified_firing THEN 'new_alerts'
            WHEN v_resolved_reported <> '{}' THEN CASE WHEN v_firing = '{}' THEN 'all_resolved' ELSE 'some_resolved' END
            -- Reminders stop for acknowledged alerts: someone is on them.
            WHEN v_unacknowledged AND v_repeat_due THEN 'repeat'
        END;

        -- The route's time intervals: muted, or outside its active ones, the
        -- notification waits (nothing is recorded as sent) for a tick outside.
        v_muted_by := NULL;
        IF v_reason IS NOT NULL AND (v_group.mute_time_intervals <> '{}' OR v_group.active_time_intervals <> '{}') THEN
            SELECT n, format('muted by the time interval %s', n) INTO v_muted_by, v_muted_detail
            FROM unnest(v_group.mute_time_intervals) AS n
            WHERE monitoring_internal.time_interval_active(monitoring_internal.time_interval_ranges(v_notifications, n), now())
            LIMIT 1;
            IF v_muted_by IS NULL AND v_group.active_time_intervals <> '{}'
               AND NOT EXISTS (SELECT FROM unnest(v_group.active_time_intervals) AS n
                               WHERE monitoring_internal.time_interval_active(
                                         monitoring_internal.time_interval_ranges(v_notifications, n), now())) THEN
                v_muted_by := 'outside ' || array_to_string(v_group.active_time_intervals, ', ');
                v_muted_detail := format('outside the active time intervals %s', array_to_string(v_group.active_time_intervals, ', '));
            END IF;
        END IF;

        -- What is held back is logged, with its cause, when it would have been
        -- notified: new to the receiver, or in a notification sent or muted now.
        INSERT INTO monitoring.notification_suppressions AS s
            (receiver, group_key, alert_id, fingerprint, reason, suppressed_by, silence_id, detail)
        SELECT DISTINCT ON (x.alert_id, x.reason, x.suppressed_by)
               v_group.receiver, v_group.group_key, x.alert_id, x.fingerprint, x.reason, x.suppressed_by, x.silence_id, x.detail
        FROM (SELECT (e ->> 'alert_id')::bigint AS alert_id, e ->> 'fingerprint' AS fingerprint, e ->> 'reason' AS reason,
                     e ->> 'suppressed_by' AS suppressed_by, (e ->> 'silence_id')::uuid AS silence_id, e ->> 'detail' AS detail
              FROM jsonb_array_elements(coalesce(v_suppressed, '[]')) AS l, jsonb_array_elements(l) AS e
              WHERE v_reason IS NOT NULL OR v_repeat_due OR e ->> 'reason' = 'flapping'
                 OR NOT (e ->> 'fingerprint') = ANY (v_group.notified_firing)
              UNION ALL
              SELECT a.alert_id, a.fingerprint, 'flapping', 'flapping', NULL::uuid,
                     format('flapping: its resolve waits, at most one notification per %s s', v_flap_window)
              FROM monitoring.alerts AS a
              WHERE a.alert_id = ANY (v_held)
              UNION ALL
              SELECT a.alert_id, a.fingerprint, 'muted', v_muted_by, NULL::uuid, v_muted_detail
              FROM monitoring.alerts AS a
              WHERE v_muted_by IS NOT NULL AND a.alert_id = ANY (v_firing || v_resolved_reported)) AS x
        ORDER BY x.alert_id, x.reason, x.suppressed_by
        ON CONFLICT ON CONSTRAINT notification_suppressions_key
        DO UPDATE SET last_suppressed_at = now(), notifications = s.notifications + 1, detail = excluded.detail;
        UPDATE monitoring.notification_group_alerts AS m
        SET silenced_by = (SELECT (e ->> 'silence_id')::uuid
                           FROM jsonb_array_elements(coalesce(v_suppressed, '[]')) AS l, jsonb_array_elements(l) AS e
                           WHERE (e ->> 'alert_id')::bigint = m.alert_id AND e ->> 'silence_id' IS NOT NULL
                           LIMIT 1)
        WHERE m.group_id = v_group.group_id;

        IF v_muted_by IS NOT NULL THEN
            UPDATE monitoring.notification_groups AS g
            SET next_flush_at = now() + make_interval(secs => g.group_interval_seconds)
            WHERE g.group_id = v_group.group_id;
            CONTINUE;
        END IF;

        IF v_reason IS NOT NULL THEN
            v_written := v_written + monitoring_internal.write_notifications(
                v_group.receiver, v_group.group_id, NULL, v_group.group_key, v_reason,
                format('pgvigil-%s-%s', v_group.group_id, v_group.notifications_sent + 1),
                CASE WHEN v_firing || v_resolved_reported <> '{}'
                     THEN monitoring_internal.notification_payload(v_group, v_firing || v_resolved_reported) END,
                -- Without send_resolved, a resolve alone is not notified, as
                -- Alertmanager's dedup stage decides.
                CASE WHEN v_firing <> '{}' AND v_reason NOT IN ('some_resolved', 'all_resolved')
                     THEN monitoring_internal.notification_payload(v_group, v_firing) END);
            UPDATE monitoring.flapping_alerts AS fa SET last_notified_at = now()
            WHERE fa.fingerprint = ANY (v_firing_fingerprints || coalesce(v_resolved_reported_fingerprints, '{}'::text[]));
        END IF;

        -- Resolved alerts leave the group: reported now, or never reported firing.
        DELETE FROM monitoring.notification_group_alerts AS m
        WHERE m.group_id = v_group.group_id AND m.alert_id = ANY (v_resolved);
        IF v_any_firing = '{}' AND v_held = '{}' THEN
            DELETE FROM monitoring.notification_groups AS g WHERE g.group_id = v_group.group_id;
        ELSE
            UPDATE monitoring.notification_groups AS g
            SET next_flush_at = now() + make_interval(secs => g.group_interval_seconds),
                last_notified_at = CASE WHEN v_reason IS NOT NULL THEN now() ELSE g.last_notified_at END,
                notified_firing = CASE WHEN v_reason IS NOT NULL THEN v_firing_fingerprints || v_still_reported
                                       ELSE g.notified_firing END,
                notifications_sent = g.notifications_sent + CASE WHEN v_reason IS NOT NULL THEN 1 ELSE 0 END
            WHERE g.group_id = v_group.group_id;
        END IF;
    END LOOP;
    -- What flood control held back in a minute now over, said once.
    v_written := v_written + monitoring_internal.write_flood_summaries();
    RETURN v_written;
END;
$$;
COMMENT ON FUNCTION monitoring.flush_notification_groups() IS
    'Decides the notifications of the groups whose timers are due (first, new_alerts, some_resolved, all_resolved, repeat) and writes them to the outbox (monitoring.notifications); returns the rows written.';
