CREATE OR REPLACE FUNCTION monitoring_internal.write_notifications(
    p_receiver text,
    p_group_id bigint,
    p_escalation_id bigint,
    p_group_key text,
    p_reason text,
    p_key_prefix text,
    p_payload_with_resolved jsonb,
    p_payload_firing jsonb
)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: writes one notification to the outbox per integration of a
-- receiver: p_payload_with_resolved to those that send resolved alerts
-- (send_resolved; by default webhook, Teams and PagerDuty do, Slack and
-- email do not, as in Alertmanager), p_payload_firing to the others; NULL
-- sends nothing to them. The idempotency key (the webhook-id) is
-- p_key_prefix-integration-index. Returns the rows written.
DECLARE
    v_receiver jsonb;
    v_integration text;
    v_index integer;
    v_config jsonb;
    v_payload jsonb;
    v_written integer := 0;
BEGIN
    SELECT r INTO v_receiver
    FROM monitoring_internal.notification_config AS c, jsonb_array_elements(c.notifications -> 'receivers') AS r
    WHERE r ->> 'name' = p_receiver;
    FOR v_integration IN SELECT unnest(ARRAY['webhook_configs', 'slack_configs', 'msteamsv2_configs',
                                             'email_configs', 'pagerduty_configs']) LOOP
        v_index := 0;
        FOR v_config IN SELECT x FROM jsonb_array_elements(coalesce(v_receiver -> v_integration, '[]')) AS x LOOP
            v_payload := CASE WHEN coalesce((v_config ->> 'send_resolved')::boolean,
                                            v_integration IN ('webhook_configs', 'msteamsv2_configs', 'pagerduty_configs'))
                              THEN p_payload_with_resolved ELSE p_payload_firing END;
            IF v_payload IS NOT NULL THEN
                -- To an integration disabled after a 410 Gone: written, failed, saying why.
                INSERT INTO monitoring.notifications
                    (group_id, escalation_id, receiver, integration, integration_index, group_key, reason,
                     idempotency_key, payload, status, last_error)
                SELECT p_group_id, p_escalation_id, p_receiver, v_integration, v_index, p_group_key, p_reason,
                       format('%s-%s-%s', p_key_prefix, v_integration, v_index), v_payload,
                       CASE WHEN d.receiver IS NULL THEN 'pending' ELSE 'failed' END,
                       CASE WHEN d.receiver IS NOT NULL
                            THEN format('not sent: %s %s[%s] is disabled since it answered 410 Gone at %s',
                                        p_receiver, v_integration, v_index, d.disabled_at) END
                FROM (SELECT 1) AS one
                LEFT JOIN monitoring.disabled_integrations AS d
                  ON d.receiver = p_receiver AND d.integration = v_integration AND d.integration_index = v_index;
                v_written := v_written + 1;
            END IF;
            v_index := v_index + 1;
        END LOOP;
    END LOOP;
    RETURN v_written;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.write_notifications(text, bigint, bigint, text, text, text, jsonb, jsonb) IS
    'Internal: one outbox row per integration of a receiver, with or without the resolved alerts as each integration''s send_resolved says; returns the rows written.';
