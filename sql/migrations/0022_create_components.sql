-- The registry of monitored components (services, agents, databases): what
-- health reports, errors and metrics name, registered on first sight by
-- register_components(), and what admins add to them: labels that every
-- alert about the component carries (team, environment, service: what
-- routing needs), a criticality, and the components it depends on (for
-- inhibition: an alert on a component whose dependency is down).
CREATE TABLE monitoring.components (
    component text NOT NULL,
    component_type text,
    labels jsonb NOT NULL DEFAULT '{}',
    criticality text,
    depends_on text[] NOT NULL DEFAULT '{}',
    description text,
    seen_in text[] NOT NULL DEFAULT '{}',
    first_seen_at timestamptz,
    last_seen_at timestamptz,
    registered_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT components_pkey PRIMARY KEY (component),
    CONSTRAINT components_criticality_check CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT components_labels_check CHECK (jsonb_typeof(labels) = 'object'),
    CONSTRAINT components_component_check CHECK (length(component) BETWEEN 1 AND 200)
);
COMMENT ON TABLE monitoring.components IS
    'Monitored components: registered on first sight in health reports (component_name), errors and metrics (component); labels, criticality, depends_on and description are set by admins (monitoring.put_component). Alerts about a component carry its labels.';
COMMENT ON COLUMN monitoring.components.seen_in IS
    'Where the component was seen: health, errors, metrics.';

ALTER TABLE monitoring.audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE monitoring.audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('apply_config', 'acknowledge_alert', 'resolve_alert',
                      'schedule_jobs', 'unschedule_jobs', 'change_alert_rule', 'change_component')) NOT VALID;

-- The component an alert is about (its group's component or component_name
-- label), for the registry's open alerts and the next issue's inhibition.
ALTER TABLE monitoring.alerts ADD COLUMN component text;
COMMENT ON COLUMN monitoring.alerts.component IS
    'The component the alert is about (its component or component_name label); its registry labels are in labels.';
