-- Audit log: who changed the config, acknowledged or resolved alerts, and
-- scheduled or unscheduled the jobs. Written only by the SECURITY DEFINER
-- functions that make those changes (through monitoring.write_audit_log()),
-- in the same transaction, so a failed call leaves no row. Readable by
-- pgvigil_admin (grants.sql); nobody but the owner can write or change it.
--
-- Kept forever: a row per administrative action is a few rows a day, and an
-- audit trail that expires by a setting the audited role can change would
-- not be one. Delete old rows by hand (as the owner) if ever needed.

CREATE TABLE monitoring.audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL DEFAULT session_user,
    acting_role text NOT NULL DEFAULT coalesce(nullif(current_setting('role'), 'none'), session_user),
    action text NOT NULL,
    subject text,
    details jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT audit_log_pkey PRIMARY KEY (id),
    CONSTRAINT audit_log_action_check
        CHECK (action IN ('apply_config', 'acknowledge_alert', 'resolve_alert',
                          'schedule_jobs', 'unschedule_jobs'))
);
CREATE INDEX audit_log_at_idx ON monitoring.audit_log (at);
COMMENT ON TABLE monitoring.audit_log IS
    'Administrative changes, one row each: when (at), who (actor = the session user, the login role that called; acting_role = the role set by SET ROLE in that session, else the session user), what (action: apply_config, acknowledge_alert, resolve_alert, schedule_jobs, unschedule_jobs), on what (subject: alert id, config, pg_cron) and details (config hashes and changed keys; alert note and the name given; job names and schedules). Written by those functions only; kept forever.';
