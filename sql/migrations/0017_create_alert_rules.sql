-- User-defined alert rules, and alerts with labels and a lifecycle.
--
-- The config document stays the one source of the rules (its alert_rules
-- list, applied whole or not at all by apply_config). alert_rules is that
-- list compiled: one row per rule with its durations in seconds, its
-- thresholds resolved and its defaults filled in, so the evaluator reads
-- typed columns instead of parsing jsonb on every cycle.
CREATE TABLE monitoring.alert_rules (
    rule_name text NOT NULL,
    description text,
    source_kind text,
    source_filter jsonb NOT NULL DEFAULT '{}',
    aggregate text,
    window_seconds double precision,
    group_by text[] NOT NULL DEFAULT '{}',
    comparison text NOT NULL DEFAULT '>=',
    thresholds jsonb NOT NULL DEFAULT '{}',
    composite_match text,
    conditions jsonb,
    for_seconds double precision NOT NULL DEFAULT 0,
    keep_firing_for_seconds double precision NOT NULL DEFAULT 0,
    min_samples integer NOT NULL DEFAULT 1,
    no_data text NOT NULL DEFAULT 'ok',
    labels jsonb NOT NULL DEFAULT '{}',
    annotations jsonb NOT NULL DEFAULT '{}',
    enabled boolean NOT NULL DEFAULT true,
    definition jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_rules_pkey PRIMARY KEY (rule_name),
    CONSTRAINT alert_rules_source_kind_check
        CHECK (source_kind IN ('metric', 'task', 'error', 'queue', 'health')),
    CONSTRAINT alert_rules_comparison_check CHECK (comparison IN ('>', '>=', '<', '<=')),
    CONSTRAINT alert_rules_no_data_check CHECK (no_data IN ('ok', 'alerting', 'keep_last', 'nodata')),
    CONSTRAINT alert_rules_composite_match_check CHECK (composite_match IN ('all', 'any')),
    CONSTRAINT alert_rules_shape_check
        CHECK ((composite_match IS NULL) = (source_kind IS NOT NULL AND aggregate IS NOT NULL
                                            AND window_seconds IS NOT NULL))
);
COMMENT ON TABLE monitoring.alert_rules IS
    'The alert rules of the active config (alert_rules), compiled by apply_config(): durations in seconds, thresholds resolved, defaults filled in; definition is the rule as written. Change them through the config or the rule functions, never here.';

-- The evaluator's memory of every group of every rule: what it saw last,
-- since when the condition has held (the for clock, which survives a
-- restart of the evaluator or the database), and the alert it fired.
CREATE TABLE monitoring_internal.rule_groups (
    rule_name text NOT NULL,
    group_key text NOT NULL,
    group_labels jsonb NOT NULL,
    state text NOT NULL,
    severity text,
    value double precision,
    threshold double precision,
    breached_since timestamptz,
    last_breach_at timestamptz,
    last_data_at timestamptz,
    evaluated_at timestamptz NOT NULL,
    alert_id bigint,
    CONSTRAINT rule_groups_pkey PRIMARY KEY (rule_name, group_key),
    CONSTRAINT rule_groups_state_check CHECK (state IN ('inactive', 'pending', 'firing'))
);
COMMENT ON TABLE monitoring_internal.rule_groups IS
    'Evaluator state per rule and group (group_key = the group''s label values): inactive, pending since breached_since, or firing as alert_id; the last value, severity and data time (for no_data = keep_last).';

-- The rules the shipped config defines, written by every migrate: they
-- cannot be removed (every upgrade would add them back), only disabled.
CREATE TABLE monitoring_internal.shipped_alert_rules (
    rule_name text NOT NULL,
    CONSTRAINT shipped_alert_rules_pkey PRIMARY KEY (rule_name)
);
COMMENT ON TABLE monitoring_internal.shipped_alert_rules IS
    'Names of the alert rules of the shipped config (config/monitoring_config.json), refreshed by pgvigil migrate.';

-- Alerts raised by rules carry their label set, Alertmanager's fingerprint
-- of it, and when the condition first held (breached_at: MTTD = triggered_at
-- - breached_at). ADD COLUMN without a default is a catalog change only.
ALTER TABLE monitoring.alerts
    ADD COLUMN rule_name text,
    ADD COLUMN labels jsonb,
    ADD COLUMN annotations jsonb,
    ADD COLUMN fingerprint text,
    ADD COLUMN breached_at timestamptz;
COMMENT ON COLUMN monitoring.alerts.labels IS
    'The alert''s label set: alertname (the rule), the group''s labels, severity and the rule''s labels.';
COMMENT ON COLUMN monitoring.alerts.fingerprint IS
    'Alertmanager''s fingerprint of labels: FNV-1a 64 over the labels sorted by name, name and value each followed by 0xff, as 16 hex digits (monitoring.alert_fingerprint). It follows the labels, so a severity change gives a new one.';
COMMENT ON COLUMN monitoring.alerts.breached_at IS
    'When the rule''s condition began to hold (the start of pending); triggered_at - breached_at is the time to detect, at least the rule''s for.';

ALTER TABLE monitoring.audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE monitoring.audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('apply_config', 'acknowledge_alert', 'resolve_alert',
                      'schedule_jobs', 'unschedule_jobs', 'change_alert_rule')) NOT VALID;
