-- Silences, maintenance windows and inhibition, applied when a group's
-- notification is decided (flush_notification_groups).
--
-- A silence is Alertmanager's: matchers, a start, an end, who made it and
-- why; pending before it starts, active until it ends, expired after. Its
-- id is a UUID, as Alertmanager's API gives it.
CREATE TABLE monitoring.silences (
    silence_id uuid NOT NULL DEFAULT gen_random_uuid(),
    matchers jsonb NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    created_by text NOT NULL,
    comment text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT silences_pkey PRIMARY KEY (silence_id),
    CONSTRAINT silences_matchers_check CHECK (jsonb_typeof(matchers) = 'array' AND jsonb_array_length(matchers) > 0),
    CONSTRAINT silences_ends_at_check CHECK (ends_at >= starts_at)
);
CREATE INDEX silences_ends_at_idx ON monitoring.silences (ends_at);
COMMENT ON TABLE monitoring.silences IS
    'Alertmanager silences: matchers ({"name", "op", "value"}), starts_at, ends_at, created_by, comment. State: pending before starts_at, active until ends_at, expired after (monitoring.v_silences).';

-- What a flush held back, and why: one row per receiver, group, alert,
-- reason and cause, counting the notifications it held back, so a silence
-- over a week is one row, not two thousand.
CREATE TABLE monitoring.notification_suppressions (
    suppression_id bigint GENERATED ALWAYS AS IDENTITY,
    receiver text NOT NULL,
    group_key text NOT NULL,
    alert_id bigint NOT NULL,
    fingerprint text,
    reason text NOT NULL,
    suppressed_by text NOT NULL,
    silence_id uuid,
    detail text,
    first_suppressed_at timestamptz NOT NULL DEFAULT now(),
    last_suppressed_at timestamptz NOT NULL DEFAULT now(),
    notifications integer NOT NULL DEFAULT 1,
    CONSTRAINT notification_suppressions_pkey PRIMARY KEY (suppression_id),
    CONSTRAINT notification_suppressions_key UNIQUE (receiver, group_key, alert_id, reason, suppressed_by),
    CONSTRAINT notification_suppressions_reason_check CHECK (reason IN ('silenced', 'inhibited', 'muted'))
);
CREATE INDEX notification_suppressions_silence_id_idx ON monitoring.notification_suppressions (silence_id)
    WHERE silence_id IS NOT NULL;
CREATE INDEX notification_suppressions_alert_id_idx ON monitoring.notification_suppressions (alert_id);
COMMENT ON TABLE monitoring.notification_suppressions IS
    'Notifications held back, per receiver, group, alert and cause: silenced (silence_id), inhibited (by an alert or a component''s dependency), muted (a time interval); with when first and last, and how many.';

-- A group's route's time intervals, from the router.
ALTER TABLE monitoring.notification_groups
    ADD COLUMN mute_time_intervals text[] NOT NULL DEFAULT '{}',
    ADD COLUMN active_time_intervals text[] NOT NULL DEFAULT '{}';

-- The silence that held an alert back at its group's last flush: when it
-- ends, the group flushes at once rather than at its next tick (indexed
-- by 0028).
ALTER TABLE monitoring.notification_group_alerts ADD COLUMN silenced_by uuid;

ALTER TABLE monitoring.audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE monitoring.audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('apply_config', 'acknowledge_alert', 'resolve_alert', 'schedule_jobs', 'unschedule_jobs',
                      'change_alert_rule', 'change_component', 'create_silence', 'change_silence',
                      'expire_silence')) NOT VALID;
