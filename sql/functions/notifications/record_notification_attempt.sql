CREATE OR REPLACE FUNCTION monitoring.record_notification_attempt(
    p_notification_id bigint,
    p_attempt integer,
    p_outcome text,
    p_status_code integer DEFAULT NULL,
    p_latency_ms double precision DEFAULT NULL,
    p_error text DEFAULT NULL,
    p_retry_after_seconds double precision DEFAULT NULL,
    p_worker text DEFAULT NULL
)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Records one delivery attempt and decides what follows, here rather than
-- in each worker: delivered; failed for good (p_outcome failed: a 4xx the
-- receiver will refuse again, 410 Gone, or a notification a day old); or
-- retried with exponential backoff and jitter (1 s doubling, at most 5 min),
-- or after the receiver's Retry-After (at most an hour). A 410 Gone also
-- disables the integration (monitoring.disabled_integrations). Returns the
-- notification's status. An attempt recorded twice (a worker retrying the
-- call) is recorded once.
DECLARE
    v_row monitoring.notifications;
    v_status text;
BEGIN
    IF p_outcome IS NULL OR p_outcome NOT IN ('delivered', 'retry', 'failed') THEN
        RAISE EXCEPTION 'outcome must be delivered, retry or failed, got %', coalesce(p_outcome, 'NULL')
            USING ERRCODE = 'PV002', HINT = 'delivered: the receiver took it; retry: try again later; failed: never again.';
    END IF;
    SELECT * INTO v_row FROM monitoring.notifications AS n WHERE n.notification_id = p_notification_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown notification: %', p_notification_id
            USING ERRCODE = 'PV004', HINT = 'Record attempts of notifications claim_notifications() returned.';
    END IF;
    INSERT INTO monitoring.notification_attempts
        (notification_id, attempt, outcome, status_code, latency_ms, error, worker)
    VALUES (p_notification_id, p_attempt, p_outcome, p_status_code, p_latency_ms, left(p_error, 2000), p_worker)
    ON CONFLICT ON CONSTRAINT notification_attempts_pkey DO NOTHING;
    IF v_row.status <> 'pending' THEN
        RETURN v_row.status;  -- delivered by another attempt already
    END IF;
    v_status := CASE WHEN p_outcome = 'delivered' THEN 'delivered'
                     WHEN p_outcome = 'failed' OR v_row.created_at < now() - interval '1 day' THEN 'failed'
                     ELSE 'pending' END;
    UPDATE monitoring.notifications AS n
    SET status = v_status,
        delivered_at = CASE WHEN v_status = 'delivered' THEN now() END,
        claimed_until = NULL,
        last_error = CASE WHEN v_status = 'delivered' THEN NULL ELSE left(p_error, 2000) END,
        next_attempt_at = CASE WHEN v_status <> 'pending' THEN n.next_attempt_at
                               WHEN p_retry_after_seconds IS NOT NULL
                                   THEN now() + make_interval(secs => least(greatest(p_retry_after_seconds, 0), 3600))
                               ELSE now() + make_interval(secs => least(300, power(2, least(n.attempts, 20) - 1))
                                                                  * (0.5 + random())) END
    WHERE n.notification_id = p_notification_id;
    -- 410 Gone: the endpoint says it is gone for good. The integration is
    -- disabled (PgvigilIntegrationDisabled fires), and what waits for it fails now.
    IF p_outcome = 'failed' AND p_status_code = 410 THEN
        INSERT INTO monitoring.disabled_integrations
            (receiver, integration, integration_index, status_code, error, notification_id, config_digest)
        SELECT v_row.receiver, v_row.integration, v_row.integration_index, p_status_code, left(p_error, 2000),
               p_notification_id,
               monitoring_internal.integration_config_digest(c.notifications, v_row.receiver, v_row.integration,
                                                             v_row.integration_index)
        FROM monitoring_internal.notification_config AS c
        ON CONFLICT ON CONSTRAINT disabled_integrations_pkey DO NOTHING;
        UPDATE monitoring.notifications AS n
        SET status = 'failed', claimed_until = NULL,
            last_error = format('not sent: %s %s[%s] is disabled since it answered 410 Gone', n.receiver, n.integration,
                                n.integration_index)
        WHERE n.status = 'pending' AND n.receiver = v_row.receiver AND n.integration = v_row.integration
          AND n.integration_index = v_row.integration_index AND n.notification_id <> p_notification_id;
    END IF;
    RETURN v_status;
END;
$$;
COMMENT ON FUNCTION monitoring.record_notification_attempt(bigint, integer, text, integer, double precision, text, double precision, text) IS
    'Records a delivery attempt (delivered, retry, failed) and sets the notification delivered, failed, or due again after backoff or Retry-After; returns its status. Errors: PV002 (outcome), PV004 (unknown notification).';
