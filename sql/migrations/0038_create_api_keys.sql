-- pgvigil serve: API keys, the operator role, and who an audited change was
-- made on behalf of.
--
-- The three roles of the HTTP API map onto database roles, so the
-- database's privileges stay the one source of truth: viewer is
-- pgvigil_reader, operator is pgvigil_operator (new: the reader plus
-- acknowledging, silencing and managing rules), admin is pgvigil_admin
-- (which now holds the operator role too). The server sets the role per
-- request.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pgvigil_operator') THEN
        CREATE ROLE pgvigil_operator NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA monitoring TO pgvigil_operator;
GRANT pgvigil_reader TO pgvigil_operator;
GRANT pgvigil_operator TO pgvigil_admin;

-- Only a key's SHA-256 is stored: the key is made and checked by the
-- process that holds it (pgvigil keys create, pgvigil serve), so it never
-- reaches the database or its logs. A key is high-entropy random, so a
-- fast hash is enough; passwords (users, later) get argon2.
CREATE TABLE monitoring_internal.api_keys (
    key_id bigint GENERATED ALWAYS AS IDENTITY,
    name text NOT NULL,
    role text NOT NULL,
    key_hash bytea NOT NULL,
    key_prefix text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    revoked_by text,
    last_used_at timestamptz,
    CONSTRAINT api_keys_pkey PRIMARY KEY (key_id),
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_role_check CHECK (role IN ('viewer', 'operator', 'admin')),
    CONSTRAINT api_keys_key_hash_check CHECK (octet_length(key_hash) = 32)
);
COMMENT ON TABLE monitoring_internal.api_keys IS
    'API keys of pgvigil serve: name, role (viewer, operator, admin), the SHA-256 of the key and its first characters (to recognise it), expiry and revocation. Read through monitoring.v_api_keys (no hashes).';

-- Who an audited change was made for: the API key or user on whose behalf
-- pgvigil serve called (its session setting pgvigil.on_behalf_of); actor
-- stays the database login that made the call.
ALTER TABLE monitoring.audit_log ADD COLUMN on_behalf_of text;

ALTER TABLE monitoring.audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE monitoring.audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('apply_config', 'acknowledge_alert', 'resolve_alert', 'schedule_jobs', 'unschedule_jobs',
                      'change_alert_rule', 'change_component', 'create_silence', 'change_silence',
                      'expire_silence', 'create_api_key', 'revoke_api_key')) NOT VALID;
