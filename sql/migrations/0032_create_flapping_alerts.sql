-- Flap damping: an alert (by fingerprint) that changed state more than
-- flap_detection.changes times within flap_detection.window is flapping
-- until it has been stable for flap_detection.stable_for; while it
-- flaps, it is notified at most once per window.
CREATE TABLE monitoring.flapping_alerts (
    fingerprint text NOT NULL,
    labels jsonb,
    flapping_since timestamptz NOT NULL DEFAULT now(),
    changes integer NOT NULL,
    last_change_at timestamptz,
    last_notified_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT flapping_alerts_pkey PRIMARY KEY (fingerprint)
);
COMMENT ON TABLE monitoring.flapping_alerts IS
    'Alerts (by fingerprint) flapping now: since when, their state changes in the window, the last change, and when a notification last included them.';

ALTER TABLE monitoring.notification_suppressions DROP CONSTRAINT notification_suppressions_reason_check;
ALTER TABLE monitoring.notification_suppressions ADD CONSTRAINT notification_suppressions_reason_check
    CHECK (reason IN ('silenced', 'inhibited', 'muted', 'flapping')) NOT VALID;
