CREATE OR REPLACE FUNCTION monitoring.send_test_notification(p_receiver text)
RETURNS SETOF bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Writes a test notification to the outbox for every integration of a
-- receiver (reason test: one firing alert PgvigilTestNotification, in the
-- webhook v4 shape), and returns their ids for the caller to deliver or
-- watch (pgvigil notify test RECEIVER); written as any notification is
-- (write_notifications: to a disabled integration, failed and saying why).
-- Errors: PV601 an unknown receiver,
-- PV608 a receiver with no integrations.
DECLARE
    v_receiver jsonb;
    v_payload jsonb;
    v_key text := 'pgvigil-test-' || gen_random_uuid();
    v_id bigint;
BEGIN
    PERFORM monitoring_internal.assert_text('receiver', p_receiver, 200);
    SELECT r INTO v_receiver
    FROM monitoring_internal.notification_config AS c, jsonb_array_elements(c.notifications -> 'receivers') AS r
    WHERE r ->> 'name' = p_receiver;
    IF v_receiver IS NULL THEN
        RAISE EXCEPTION 'unknown receiver: %', p_receiver
            USING ERRCODE = 'PV601', HINT = 'Receivers are notifications.receivers of the config: pgvigil config show.';
    END IF;
    v_payload := monitoring_internal.synthetic_payload(
        p_receiver, jsonb_build_object('alertname', 'PgvigilTestNotification', 'severity', 'low'),
        jsonb_build_object('summary', 'A test notification from pgvigil'), now());
    PERFORM monitoring_internal.write_notifications(
        p_receiver, NULL, NULL, v_payload ->> 'groupKey', 'test', v_key, v_payload, v_payload);
    FOR v_id IN
        SELECT n.notification_id FROM monitoring.notifications AS n
        WHERE n.receiver = p_receiver AND n.created_at = now() AND n.idempotency_key LIKE v_key || '-%'
        ORDER BY n.notification_id
    LOOP
        RETURN NEXT v_id;
    END LOOP;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'receiver % has no integrations to send to', p_receiver
            USING ERRCODE = 'PV608', HINT = 'Give it webhook_configs, slack_configs, msteamsv2_configs, email_configs or pagerduty_configs.';
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring.send_test_notification(text) IS
    'Writes a test notification (one firing alert PgvigilTestNotification) to the outbox for each integration of a receiver; returns their ids. Errors: PV601, PV608.';
