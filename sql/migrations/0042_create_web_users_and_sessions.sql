-- pgvigil serve: web users (a name, a role and an argon2id password hash)
-- and the login sessions of the web dashboard, whether opened with a user's
-- password or with an API key.
--
-- A password is hashed by the process that receives it (pgvigil users
-- create, pgvigil serve), with argon2id: only the PHC string
-- ($argon2id$v=19$m=...,t=...,p=...$salt$hash) reaches the database, and
-- the CHECK refuses anything else, so a plaintext password cannot be stored
-- by mistake. A name is never reused, so the audit log's user:NAME keeps
-- meaning one user.
CREATE TABLE monitoring_internal.web_users (
    user_id bigint GENERATED ALWAYS AS IDENTITY,
    name text NOT NULL,
    role text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    disabled_at timestamptz,
    disabled_by text,
    last_login_at timestamptz,
    CONSTRAINT web_users_pkey PRIMARY KEY (user_id),
    CONSTRAINT web_users_name_key UNIQUE (name),
    CONSTRAINT web_users_name_check CHECK (length(name) BETWEEN 1 AND 200 AND name = btrim(name)),
    CONSTRAINT web_users_role_check CHECK (role IN ('viewer', 'operator', 'admin')),
    CONSTRAINT web_users_password_hash_check
        CHECK (password_hash ~ '^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$')
);
COMMENT ON TABLE monitoring_internal.web_users IS
    'Web users of pgvigil serve: name (never reused), role (viewer, operator, admin), the argon2id hash of the password (a PHC string; nothing else is accepted), creation, disabling and last login. Read through monitoring.v_web_users (no hashes).';

-- A session is known by the SHA-256 of its cookie's token (256 random bits,
-- made by pgvigil serve; the token itself never reaches the database), and
-- belongs to exactly one API key or one web user: it lives while they do,
-- until it expires or is ended (logout, the user disabled). Keys and users
-- are never deleted by pgvigil (revoked, disabled); one deleted by hand
-- takes its sessions with it.
CREATE TABLE monitoring_internal.web_sessions (
    session_id bigint GENERATED ALWAYS AS IDENTITY,
    token_hash bytea NOT NULL,
    key_id bigint,
    user_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT web_sessions_pkey PRIMARY KEY (session_id),
    CONSTRAINT web_sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT web_sessions_key_id_fkey FOREIGN KEY (key_id) REFERENCES monitoring_internal.api_keys (key_id) ON DELETE CASCADE,
    CONSTRAINT web_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES monitoring_internal.web_users (user_id) ON DELETE CASCADE,
    CONSTRAINT web_sessions_token_hash_check CHECK (octet_length(token_hash) = 32),
    CONSTRAINT web_sessions_principal_check CHECK (num_nonnulls(key_id, user_id) = 1),
    CONSTRAINT web_sessions_expires_at_check CHECK (expires_at > created_at)
);
-- Disabling a user ends its sessions; a login deletes the sessions that
-- expired over a day ago.
CREATE INDEX web_sessions_user_id_idx ON monitoring_internal.web_sessions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX web_sessions_key_id_idx ON monitoring_internal.web_sessions (key_id) WHERE key_id IS NOT NULL;
CREATE INDEX web_sessions_expires_at_idx ON monitoring_internal.web_sessions (expires_at);
COMMENT ON TABLE monitoring_internal.web_sessions IS
    'Login sessions of pgvigil serve''s web dashboard: the SHA-256 of the cookie''s token, the API key or web user it belongs to (exactly one), created, expiry and when it was ended. No role may read it.';

ALTER TABLE monitoring.audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE monitoring.audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('apply_config', 'acknowledge_alert', 'resolve_alert', 'schedule_jobs', 'unschedule_jobs',
                      'change_alert_rule', 'change_component', 'create_silence', 'change_silence',
                      'expire_silence', 'create_api_key', 'revoke_api_key',
                      'create_web_user', 'disable_web_user', 'create_web_session', 'end_web_session')) NOT VALID;
