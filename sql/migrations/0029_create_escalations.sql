-- Escalation, which Alertmanager lacks: an incident (a firing alert routed
-- through a route with an escalation_policy) pages the policy's tiers in
-- order until someone acknowledges it or it resolves. The policy is taken
-- as a snapshot when the incident starts, so editing it does not change
-- incidents already in flight; a re-fire after a resolve is a new alert,
-- so a new incident.
CREATE TABLE monitoring.escalations (
    escalation_id bigint GENERATED ALWAYS AS IDENTITY,
    alert_id bigint NOT NULL,
    policy_name text NOT NULL,
    policy jsonb NOT NULL,
    status text NOT NULL DEFAULT 'active',
    started_at timestamptz NOT NULL DEFAULT now(),
    cycle integer NOT NULL DEFAULT 0,
    next_tier integer NOT NULL DEFAULT 0,
    next_at timestamptz,
    last_notified_tier integer,
    last_notified_at timestamptz,
    notifications_sent integer NOT NULL DEFAULT 0,
    acknowledged_at timestamptz,
    ended_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT escalations_pkey PRIMARY KEY (escalation_id),
    CONSTRAINT escalations_alert_id_policy_name_key UNIQUE (alert_id, policy_name),
    CONSTRAINT escalations_alert_id_fkey FOREIGN KEY (alert_id)
        REFERENCES monitoring.alerts (alert_id) ON DELETE CASCADE,
    CONSTRAINT escalations_status_check CHECK (status IN ('active', 'acknowledged', 'resolved', 'exhausted'))
);
CREATE INDEX escalations_next_at_idx ON monitoring.escalations (next_at) WHERE status IN ('active', 'acknowledged');
COMMENT ON TABLE monitoring.escalations IS
    'Escalations in flight and past: per incident (alert) and policy, the policy''s snapshot, its state (active, acknowledged, resolved, exhausted), the next tier and when, and what was sent.';

-- Escalation notifications are not a group's: they name their escalation.
ALTER TABLE monitoring.notifications ADD COLUMN escalation_id bigint;
ALTER TABLE monitoring.notifications DROP CONSTRAINT notifications_reason_check;
ALTER TABLE monitoring.notifications ADD CONSTRAINT notifications_reason_check
    CHECK (reason IN ('first', 'new_alerts', 'some_resolved', 'all_resolved', 'repeat', 'test', 'escalation')) NOT VALID;

-- An acknowledgement that timed out while the alert still fires: the
-- alert is active again and its escalation starts over.
ALTER TABLE monitoring.alert_events DROP CONSTRAINT alert_events_event_type_check;
ALTER TABLE monitoring.alert_events ADD CONSTRAINT alert_events_event_type_check
    CHECK (event_type IN ('triggered', 'severity_changed', 'acknowledged', 'resolved', 'acknowledgement_expired')) NOT VALID;
