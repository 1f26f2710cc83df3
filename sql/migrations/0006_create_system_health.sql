-- Current health per component, plus the history of status changes from
-- which uptime and time to recovery are computed.

CREATE TABLE monitoring.system_health (
    component_type text NOT NULL,
    component_name text NOT NULL,
    status text NOT NULL,
    response_time_ms numeric,
    failure_reason text,
    details jsonb,
    last_check_at timestamptz NOT NULL,
    status_since timestamptz NOT NULL,
    last_healthy_at timestamptz,
    outage_started_at timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0,
    check_count bigint NOT NULL DEFAULT 1,
    CONSTRAINT system_health_pkey PRIMARY KEY (component_type, component_name),
    CONSTRAINT system_health_status_check
        CHECK (status IN ('healthy', 'degraded', 'unhealthy')),
    CONSTRAINT system_health_response_time_ms_check CHECK (response_time_ms >= 0)
);
COMMENT ON TABLE monitoring.system_health IS
    'Latest reported health of each component (one row per component_type, component_name). response_time_ms is in milliseconds, as in the original design.';

CREATE TABLE monitoring.system_health_history (
    component_type text NOT NULL,
    component_name text NOT NULL,
    previous_status text,
    status text NOT NULL,
    previous_status_seconds double precision,
    recovery_seconds double precision,
    response_time_ms numeric,
    failure_reason text,
    changed_at timestamptz NOT NULL,
    CONSTRAINT system_health_history_status_check
        CHECK (status IN ('healthy', 'degraded', 'unhealthy'))
) PARTITION BY RANGE (changed_at);
CREATE TABLE monitoring.system_health_history_default
    PARTITION OF monitoring.system_health_history DEFAULT;
CREATE INDEX system_health_history_component_changed_at_idx
    ON monitoring.system_health_history (component_type, component_name, changed_at);
COMMENT ON TABLE monitoring.system_health_history IS
    'One row per status change of a component (and its first report): the basis for uptime and time to recovery. recovery_seconds is set on a return to healthy: the time since the component left healthy. Partitioned by day of changed_at.';

INSERT INTO monitoring.history_tables (table_name, time_column, retention_setting)
VALUES ('system_health_history', 'changed_at', 'system_health_history_days');
