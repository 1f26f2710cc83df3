CREATE OR REPLACE FUNCTION monitoring_internal.write_notifications(
    p_receiver text,
    p_group_id bigint,
    p_escalation_id bigint,
    p_group_key text,
    p_reason text,
    p_key_prefix text,
    p_payload_with_resolved jsonb,
    p_payload_firing jsonb,
    p_integrations text[] DEFAULT NULL
)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: writes one notification to the outbox per integration of a
-- receiver: p_payload_with_resolved to those that send resolved alerts
-- (send_resolved; by default webhook, Teams and PagerDuty do, Slack and
-- email do not, as in Alertmanager), p_payload_firing to the others; NULL
-- sends nothing to them; only the integrations of p_integrations when
-- given. The idempotency key (the webhook-id) is
-- p_key_prefix-integration-index. Beyond the receiver's flood_control
-- cap (per integration and minute) a row is written held, not to be sent;
-- write_flood_summaries() says how many. Returns the rows written.
DECLARE
    v_receiver jsonb;
    v_integration text;
    v_index integer;
    v_config jsonb;
    v_payload jsonb;
    v_written integer := 0;
    v_cap integer;
BEGIN
    SELECT r INTO v_receiver
    FROM monitoring_internal.notification_config AS c, jsonb_array_elements(c.notifications -> 'receivers') AS r
    WHERE r ->> 'name' = p_receiver;
    v_cap := (v_receiver #>> '{flood_control,max_per_minute}')::integer;
    FOR v_integration IN SELECT i FROM unnest(ARRAY['webhook_configs', 'slack_configs', 'msteamsv2_configs',
                                                    'email_configs', 'pagerduty_configs']) AS i
                         WHERE p_integrations IS NULL OR i = ANY (p_integrations) LOOP
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
                -- Beyond the receiver's flood_control cap: written held, summarised later.
                SELECT p_group_id, p_escalation_id, p_receiver, v_integration, v_index, p_group_key, p_reason,
                       format('%s-%s-%s', p_key_prefix, v_integration, v_index), v_payload,
                       CASE WHEN d.receiver IS NOT NULL THEN 'failed' WHEN f.flooded THEN 'held' ELSE 'pending' END,
                       CASE WHEN d.receiver IS NOT NULL
                            THEN format('not sent: %s %s[%s] is disabled since it answered 410 Gone at %s',
                                        p_receiver, v_integration, v_index, d.disabled_at)
                            WHEN f.flooded
                            THEN format('held back by flood control: more than %s a minute to %s %s[%s]',
                                        v_cap, p_receiver, v_integration, v_index) END
                FROM (SELECT v_cap IS NOT NULL AND (
                          SELECT count(*) FROM monitoring.notifications AS n
                          WHERE n.receiver = p_receiver AND n.integration = v_integration AND n.integration_index = v_index
                            AND n.created_at > now() - interval '1 minute' AND n.status <> 'held'
                            AND n.reason <> 'flood_summary') >= v_cap AS flooded) AS f
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
COMMENT ON FUNCTION monitoring_internal.write_notifications(text, bigint, bigint, text, text, text, jsonb, jsonb, text[]) IS
    'Internal: one outbox row per integration of a receiver, with or without the resolved alerts as each integration''s send_resolved says; returns the rows written.';
