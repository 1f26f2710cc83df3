-- Alerts posted from outside (Alertmanager's API: POST /api/v2/alerts, as a
-- Prometheus sends them): they enter pgvigil's routing, silences,
-- inhibition and escalation beside its own. Such an alert holds until
-- ends_at, which each post moves on; one that stops being posted resolves
-- by itself then (expire_posted_alerts()). NULL for pgvigil's own alerts.
ALTER TABLE monitoring.alerts
    ADD COLUMN ends_at timestamptz,
    ADD COLUMN generator_url text;
COMMENT ON COLUMN monitoring.alerts.ends_at IS
    'For an alert posted through the Alertmanager API: when it resolves unless posted again (its endsAt, or now + resolve_timeout). NULL for pgvigil''s own.';
COMMENT ON COLUMN monitoring.alerts.generator_url IS
    'For an alert posted through the Alertmanager API: its generatorURL (the Prometheus expression that raised it).';
