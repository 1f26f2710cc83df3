CREATE OR REPLACE FUNCTION monitoring.claim_notifications(
    p_worker text,
    p_limit integer DEFAULT 20,
    p_lease_seconds double precision DEFAULT 60,
    p_integrations text[] DEFAULT NULL,
    p_notification_ids bigint[] DEFAULT NULL,
    p_skip_receivers text[] DEFAULT NULL
)
RETURNS TABLE (notification_id bigint, attempt integer, receiver text, integration text, integration_index integer,
               idempotency_key text, payload jsonb, config jsonb, timeout_seconds double precision,
               created_at timestamptz, reason text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Claims up to p_limit notifications due for delivery (pending, due, not
-- claimed by a live lease; of the integrations p_integrations names, all
-- when NULL: a worker claims only what it can deliver; only those of
-- p_notification_ids when given: pgvigil notify test; none for the
-- receivers of p_skip_receivers, whose sends fill the worker's threads for
-- them) for one worker, with SKIP LOCKED so that
-- workers never take the same row, and returns them with the integration's
-- config (with what it inherits from global: integration_config) and send timeout (its config's or global http_timeout, 10 s by default; its secrets are only KEY_file / KEY_env references: the worker
-- reads them). The caller commits the claim, then sends with no lock held,
-- then records each attempt (record_notification_attempt). A worker killed
-- while sending leaves its lease to expire: the notification is sent again
-- (at least once; receivers dedupe by idempotency_key, the webhook-id).
BEGIN
    PERFORM monitoring_internal.assert_text('worker', p_worker, 200);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 OR p_lease_seconds IS NULL OR p_lease_seconds NOT BETWEEN 1 AND 3600 THEN
        RAISE EXCEPTION 'limit must be 1 to 1000 and lease 1 to 3600 seconds'
            USING ERRCODE = 'PV004', HINT = 'claim_notifications(worker, 20, 60): 20 notifications, leased for a minute.';
    END IF;
    RETURN QUERY
    WITH due AS (
        SELECT n.notification_id FROM monitoring.notifications AS n
        WHERE n.status = 'pending' AND n.next_attempt_at <= now()
          AND (p_integrations IS NULL OR n.integration = ANY (p_integrations))
          AND (p_notification_ids IS NULL OR n.notification_id = ANY (p_notification_ids))
          AND (p_skip_receivers IS NULL OR NOT n.receiver = ANY (p_skip_receivers))
          AND (n.claimed_until IS NULL OR n.claimed_until < now())
        ORDER BY n.next_attempt_at, n.notification_id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE monitoring.notifications AS n
        SET claimed_until = now() + make_interval(secs => p_lease_seconds), attempts = n.attempts + 1
        FROM due WHERE n.notification_id = due.notification_id
        RETURNING n.*
    )
    SELECT c.notification_id, c.attempts, c.receiver, c.integration, c.integration_index, c.idempotency_key,
           c.payload, ic.config, coalesce(monitoring_internal.parse_duration(ic.config -> 'timeout'), 10), c.created_at,
           c.reason
    FROM claimed AS c
    LEFT JOIN LATERAL (SELECT monitoring_internal.integration_config(cf.notifications, c.receiver, c.integration,
                                                                     c.integration_index) AS config
                       FROM monitoring_internal.notification_config AS cf) AS ic ON true
    ORDER BY c.notification_id;
END;
$$;
COMMENT ON FUNCTION monitoring.claim_notifications(text, integer, double precision, text[], bigint[], text[]) IS
    'Claims due notifications for a worker (SKIP LOCKED, a lease of p_lease_seconds) and returns them with their integration config; commit, send, then record_notification_attempt(). Errors: PV001/PV008 (worker), PV004 (limit, lease).';
