CREATE OR REPLACE FUNCTION monitoring_internal.integration_config(
    p_notifications jsonb,
    p_receiver text,
    p_integration text,
    p_index integer
)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: one integration's config as its sender uses it, with what
    -- it inherits from global, as in Alertmanager: an email config its
    -- smtp_* settings, a Slack config slack_api_url, a PagerDuty config
    -- pagerduty_url, any HTTP one http_timeout. Its own keys win. Secrets
    -- stay references (KEY_file, KEY_env) for the worker to read.
    SELECT jsonb_strip_nulls(CASE p_integration
               WHEN 'email_configs' THEN jsonb_build_object(
                   'from', g -> 'smtp_from', 'smarthost', g -> 'smtp_smarthost', 'hello', g -> 'smtp_hello',
                   'auth_username', g -> 'smtp_auth_username', 'require_tls', g -> 'smtp_require_tls',
                   'auth_password_file', g -> 'smtp_auth_password_file', 'auth_password_env', g -> 'smtp_auth_password_env')
               WHEN 'slack_configs' THEN jsonb_build_object(
                   'api_url_file', g -> 'slack_api_url_file', 'api_url_env', g -> 'slack_api_url_env',
                   'timeout', g -> 'http_timeout')
               WHEN 'pagerduty_configs' THEN jsonb_build_object('url', g -> 'pagerduty_url', 'timeout', g -> 'http_timeout')
               ELSE jsonb_build_object('timeout', g -> 'http_timeout') END)
           -- A config's own secret reference replaces global's, whichever form each uses.
           - CASE WHEN c ?| ARRAY['api_url_file', 'api_url_env'] THEN ARRAY['api_url_file', 'api_url_env']
                  WHEN c ?| ARRAY['auth_password_file', 'auth_password_env'] THEN ARRAY['auth_password_file', 'auth_password_env']
                  ELSE '{}'::text[] END
           || c
    FROM (SELECT coalesce(p_notifications -> 'global', '{}') AS g,
                 (SELECT r -> p_integration -> p_index FROM jsonb_array_elements(p_notifications -> 'receivers') AS r
                  WHERE r ->> 'name' = p_receiver) AS c) AS x
    WHERE x.c IS NOT NULL;
$$;
COMMENT ON FUNCTION monitoring_internal.integration_config(jsonb, text, text, integer) IS
    'Internal: a receiver integration''s config with what it inherits from global (smtp_*, slack_api_url, pagerduty_url, http_timeout); secrets stay references.';
