CREATE OR REPLACE FUNCTION monitoring_internal.notification_key_problems(p_where text, p_context text, p_object jsonb)
RETURNS TABLE (code text, problem text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: the keys of one object of the notifications config against
-- notification_keys(): PV606 for a key pgvigil does not support (named, so
-- an Alertmanager user knows what to remove), PV607 for a secret written
-- as a value, PV608 for a KEY_file / KEY_env that is not a path or a
-- variable name, or a receiver config without where to send.
DECLARE
    v_catalog record;
    v_key text;
    v_secret text;
BEGIN
    IF jsonb_typeof(p_object) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV608', format('%s must be an object', p_where);
        RETURN;
    END IF;
    SELECT * INTO v_catalog FROM monitoring_internal.notification_keys() AS c WHERE c.context = p_context;
    FOR v_key IN SELECT k FROM jsonb_object_keys(p_object) AS k ORDER BY 1 LOOP
        CONTINUE WHEN v_key = ANY (v_catalog.keys);
        IF v_key = ANY (v_catalog.secrets) THEN
            RETURN QUERY SELECT 'PV607', format('%s.%s is a secret and cannot be written in the config: give %s_file (a file) or %s_env (an environment variable) instead',
                                                p_where, v_key, v_key, v_key);
        ELSIF v_key ~ '_file$' AND regexp_replace(v_key, '_file$', '') = ANY (v_catalog.secrets) THEN
            IF jsonb_typeof(p_object -> v_key) <> 'string' OR length(p_object ->> v_key) NOT BETWEEN 1 AND 4096 THEN
                RETURN QUERY SELECT 'PV608', format('%s.%s must be a file path', p_where, v_key);
            END IF;
        ELSIF v_key ~ '_env$' AND regexp_replace(v_key, '_env$', '') = ANY (v_catalog.secrets) THEN
            IF jsonb_typeof(p_object -> v_key) <> 'string' OR (p_object ->> v_key) !~ '^[A-Za-z_][A-Za-z0-9_]{0,199}$' THEN
                RETURN QUERY SELECT 'PV608', format('%s.%s must be an environment variable name', p_where, v_key);
            END IF;
        ELSIF p_context = 'receiver' AND v_key LIKE '%\_configs' THEN
            RETURN QUERY SELECT 'PV606', format('%s.%s is not supported: pgvigil delivers webhook_configs, slack_configs, msteamsv2_configs, email_configs and pagerduty_configs',
                                                p_where, v_key);
        ELSE
            RETURN QUERY SELECT 'PV606', format('%s.%s is not supported by pgvigil', p_where, v_key);
        END IF;
    END LOOP;
    -- Where to send: each channel's endpoint secret, from a file or the environment
    -- (Slack's may come from global: notification_problems checks it).
    FOREACH v_secret IN ARRAY CASE p_context WHEN 'webhook_configs' THEN ARRAY['url']
                                             WHEN 'msteamsv2_configs' THEN ARRAY['webhook_url']
                                             ELSE ARRAY[]::text[] END LOOP
        IF NOT p_object ?| ARRAY[v_secret, v_secret || '_file', v_secret || '_env'] THEN
            RETURN QUERY SELECT 'PV608', format('%s needs %s_file or %s_env: where to send', p_where, v_secret, v_secret);
        END IF;
    END LOOP;
    IF p_context = 'pagerduty_configs'
       AND NOT p_object ?| ARRAY['routing_key', 'routing_key_file', 'routing_key_env', 'service_key', 'service_key_file', 'service_key_env'] THEN
        RETURN QUERY SELECT 'PV608', format('%s needs routing_key_file or routing_key_env (Events API v2)', p_where);
    END IF;
    IF p_context = 'email_configs' AND jsonb_typeof(p_object -> 'to') IS DISTINCT FROM 'string' THEN
        RETURN QUERY SELECT 'PV608', format('%s needs to: the address(es) to send to', p_where);
    END IF;
    IF p_object ? 'timeout' AND 'timeout' = ANY (v_catalog.keys)
       AND coalesce(monitoring_internal.parse_duration(p_object -> 'timeout') <= 0, true) THEN
        RETURN QUERY SELECT 'PV608', format('%s.timeout must be a duration > 0 such as "10s"', p_where);
    END IF;
    FOREACH v_key IN ARRAY ARRAY['send_resolved', 'continue', 'require_tls', 'smtp_require_tls', 'insecure_skip_verify', 'enabled'] LOOP
        IF p_object ? v_key AND v_key = ANY (v_catalog.keys) AND jsonb_typeof(p_object -> v_key) <> 'boolean' THEN
            RETURN QUERY SELECT 'PV608', format('%s.%s must be true or false', p_where, v_key);
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.notification_key_problems(text, text, jsonb) IS
    'Internal: unsupported keys (PV606), secrets written as values (PV607) and malformed secret references (PV608) of one object of the notifications config.';
