-- A receiver's integration that answered 410 Gone is disabled: its endpoint
-- says it is gone for good, so nothing more is sent to it (its later
-- notifications are written failed, with why), and the shipped rule
-- PgvigilIntegrationDisabled raises a meta-alert. It is enabled again when
-- the config changes that integration (a new URL), or by
-- monitoring.enable_integration().
CREATE TABLE monitoring.disabled_integrations (
    receiver text NOT NULL,
    integration text NOT NULL,
    integration_index integer NOT NULL,
    disabled_at timestamptz NOT NULL DEFAULT now(),
    status_code integer,
    error text,
    notification_id bigint,
    config_digest text NOT NULL,
    CONSTRAINT disabled_integrations_pkey PRIMARY KEY (receiver, integration, integration_index)
);
COMMENT ON TABLE monitoring.disabled_integrations IS
    'Receiver integrations disabled after a 410 Gone: when, the answer, the notification that got it, and a digest of the integration''s config (a changed config enables it again).';
