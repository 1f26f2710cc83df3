-- Alerts, identified by a stable key (alert type + subject): a check that
-- finds the same condition again updates the open alert. Every state change
-- is kept in alert_events.

CREATE TABLE monitoring.alerts (
    alert_id bigint GENERATED ALWAYS AS IDENTITY,
    alert_key text NOT NULL,
    alert_type text NOT NULL,
    subject text NOT NULL,
    severity text NOT NULL,
    status text NOT NULL DEFAULT 'active',
    title text NOT NULL,
    message text NOT NULL,
    current_value double precision,
    threshold_value double precision,
    details jsonb,
    occurrence_count integer NOT NULL DEFAULT 1,
    triggered_at timestamptz NOT NULL DEFAULT now(),
    triggered_by text NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    severity_changed_at timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by text,
    acknowledgement_note text,
    resolved_at timestamptz,
    resolved_by text,
    resolution_note text,
    CONSTRAINT alerts_pkey PRIMARY KEY (alert_id),
    CONSTRAINT alerts_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT alerts_status_check CHECK (status IN ('active', 'acknowledged', 'resolved')),
    CONSTRAINT alerts_resolved_at_check CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
-- At most one open alert per key: the dedup guarantee, even under concurrent checks.
CREATE UNIQUE INDEX alerts_alert_key_open_key
    ON monitoring.alerts (alert_key) WHERE resolved_at IS NULL;
CREATE INDEX alerts_resolved_at_idx ON monitoring.alerts (resolved_at);
COMMENT ON TABLE monitoring.alerts IS
    'Alerts raised by the checks. alert_key = alert_type:subject identifies the condition; one open (unresolved) alert per key.';

CREATE TABLE monitoring.alert_events (
    event_id bigint GENERATED ALWAYS AS IDENTITY,
    alert_id bigint NOT NULL,
    event_type text NOT NULL,
    previous_severity text,
    severity text NOT NULL,
    current_value double precision,
    actor text NOT NULL,
    note text,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_events_pkey PRIMARY KEY (event_id),
    CONSTRAINT alert_events_alert_id_fkey FOREIGN KEY (alert_id)
        REFERENCES monitoring.alerts (alert_id) ON DELETE CASCADE,
    CONSTRAINT alert_events_event_type_check
        CHECK (event_type IN ('triggered', 'severity_changed', 'acknowledged', 'resolved'))
);
CREATE INDEX alert_events_alert_id_idx ON monitoring.alert_events (alert_id);
CREATE INDEX alert_events_occurred_at_idx ON monitoring.alert_events (occurred_at);
COMMENT ON TABLE monitoring.alert_events IS
    'The history of every alert: triggered, severity_changed (raised or lowered), acknowledged, resolved; who did it and when.';
