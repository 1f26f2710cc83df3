-- Notifications, decided in the database and delivered from an outbox.
--
-- notification_groups is Alertmanager's aggregation group, durable: one per
-- receiver and group key (route key + the group's labels), with its timers
-- and what its last notification said, so that a restart of the worker or
-- the database forgets nothing (Alertmanager keeps this in memory, which is
-- how resolve notifications get lost). notification_group_alerts is which
-- alerts are in it. notifications is the outbox: one row per notification
-- and integration (one of the receiver's configs), written in the same
-- transaction as the decision to send it; the worker delivers it and
-- records every attempt in notification_attempts.
CREATE TABLE monitoring.notification_groups (
    group_id bigint GENERATED ALWAYS AS IDENTITY,
    receiver text NOT NULL,
    group_key text NOT NULL,
    route_key text NOT NULL,
    group_labels jsonb NOT NULL,
    group_wait_seconds double precision NOT NULL,
    group_interval_seconds double precision NOT NULL,
    repeat_interval_seconds double precision NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    next_flush_at timestamptz NOT NULL,
    last_notified_at timestamptz,
    notified_firing text[] NOT NULL DEFAULT '{}',
    notifications_sent integer NOT NULL DEFAULT 0,
    CONSTRAINT notification_groups_pkey PRIMARY KEY (group_id),
    CONSTRAINT notification_groups_receiver_group_key_key UNIQUE (receiver, group_key)
);
CREATE INDEX notification_groups_next_flush_at_idx ON monitoring.notification_groups (next_flush_at);
COMMENT ON TABLE monitoring.notification_groups IS
    'Alertmanager''s aggregation groups, durable: per receiver and group key, the timers, when it next flushes, and the fingerprints its last notification reported firing.';

CREATE TABLE monitoring.notification_group_alerts (
    group_id bigint NOT NULL,
    alert_id bigint NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_group_alerts_pkey PRIMARY KEY (group_id, alert_id),
    CONSTRAINT notification_group_alerts_group_id_fkey FOREIGN KEY (group_id)
        REFERENCES monitoring.notification_groups (group_id) ON DELETE CASCADE,
    CONSTRAINT notification_group_alerts_alert_id_fkey FOREIGN KEY (alert_id)
        REFERENCES monitoring.alerts (alert_id) ON DELETE CASCADE
);
CREATE INDEX notification_group_alerts_alert_id_idx ON monitoring.notification_group_alerts (alert_id);
COMMENT ON TABLE monitoring.notification_group_alerts IS
    'The alerts of each notification group: firing ones, and resolved ones until a notification has said so.';

CREATE TABLE monitoring.notifications (
    notification_id bigint GENERATED ALWAYS AS IDENTITY,
    group_id bigint,
    receiver text NOT NULL,
    integration text NOT NULL,
    integration_index integer NOT NULL,
    group_key text NOT NULL,
    reason text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    idempotency_key text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    delivered_at timestamptz,
    last_error text,
    CONSTRAINT notifications_pkey PRIMARY KEY (notification_id),
    CONSTRAINT notifications_idempotency_key_key UNIQUE (idempotency_key),
    CONSTRAINT notifications_reason_check
        CHECK (reason IN ('first', 'new_alerts', 'some_resolved', 'all_resolved', 'repeat', 'test')),
    CONSTRAINT notifications_status_check CHECK (status IN ('pending', 'delivered', 'failed')),
    CONSTRAINT notifications_integration_check
        CHECK (integration IN ('webhook_configs', 'slack_configs', 'msteamsv2_configs', 'email_configs', 'pagerduty_configs'))
);
CREATE INDEX notifications_pending_idx ON monitoring.notifications (next_attempt_at) WHERE status = 'pending';
COMMENT ON TABLE monitoring.notifications IS
    'The outbox: each notification per receiver integration, with why it was sent (first, new_alerts, some_resolved, all_resolved, repeat), its Alertmanager webhook v4 payload, its idempotency key (webhook-id), and its delivery state.';

CREATE TABLE monitoring.notification_attempts (
    notification_id bigint NOT NULL,
    attempt integer NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    outcome text NOT NULL,
    status_code integer,
    latency_ms double precision,
    error text,
    worker text,
    CONSTRAINT notification_attempts_pkey PRIMARY KEY (notification_id, attempt),
    CONSTRAINT notification_attempts_notification_id_fkey FOREIGN KEY (notification_id)
        REFERENCES monitoring.notifications (notification_id) ON DELETE CASCADE,
    CONSTRAINT notification_attempts_outcome_check CHECK (outcome IN ('delivered', 'retry', 'failed'))
);
COMMENT ON TABLE monitoring.notification_attempts IS
    'Every delivery attempt of every notification: outcome, HTTP status or SMTP reply, latency, error, and the worker that made it.';

-- The active config's notifications section, copied by apply_config(): the
-- router reads it for every alert that fires, and the config document (with
-- every rule in it) is far bigger than the route tree.
CREATE TABLE monitoring_internal.notification_config (
    config_id boolean NOT NULL DEFAULT true,
    notifications jsonb NOT NULL,
    CONSTRAINT notification_config_pkey PRIMARY KEY (config_id),
    CONSTRAINT notification_config_config_id_check CHECK (config_id)
);
COMMENT ON TABLE monitoring_internal.notification_config IS
    'The notifications section of the active config (route, receivers, inhibit_rules, time_intervals), kept by apply_config() for the router.';
INSERT INTO monitoring_internal.notification_config (notifications)
SELECT c.document -> 'notifications' FROM monitoring.config AS c WHERE c.document ? 'notifications';
