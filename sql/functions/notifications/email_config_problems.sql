CREATE OR REPLACE FUNCTION monitoring_internal.email_config_problems(p_where text, p_config jsonb, p_global jsonb)
RETURNS TABLE (code text, problem text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: what an email config needs beyond its keys (PV608): a
    -- smarthost as host:port and a from address, its own or global's
    -- smtp_smarthost / smtp_from; headers as literal strings (pgvigil does
    -- not run Alertmanager's Go templates, and says so rather than mail
    -- "{{ .Status }}" to people); a tls_config of known keys.
    SELECT 'PV608', format('%s needs smarthost (host:port), here or as global.smtp_smarthost', p_where)
    WHERE coalesce(p_config ->> 'smarthost', p_global ->> 'smtp_smarthost') IS NULL
    UNION ALL
    SELECT 'PV608', format('%s.smarthost must be host:port, such as "smtp.example.com:587"', p_where)
    WHERE coalesce(p_config ->> 'smarthost', p_global ->> 'smtp_smarthost') !~ '^\S+:[0-9]{1,5}$'
    UNION ALL
    SELECT 'PV608', format('%s needs from (the sender), here or as global.smtp_from', p_where)
    WHERE coalesce(p_config ->> 'from', p_global ->> 'smtp_from') IS NULL
    UNION ALL
    SELECT 'PV608', format('%s.headers must be an object of header names and values', p_where)
    WHERE p_config ? 'headers' AND (jsonb_typeof(p_config -> 'headers') <> 'object'
          OR EXISTS (SELECT FROM jsonb_each(p_config -> 'headers') AS h
                     WHERE jsonb_typeof(h.value) <> 'string' OR h.key !~ '^[!-9;-~]+$'))
    UNION ALL
    SELECT 'PV606', format('%s.headers.%s: templates are not supported by pgvigil; write the value itself', p_where, h.key)
    FROM jsonb_each(CASE jsonb_typeof(p_config -> 'headers') WHEN 'object' THEN p_config -> 'headers' ELSE '{}' END) AS h
    WHERE h.value #>> '{}' LIKE '%{{%'
    UNION ALL
    SELECT k.code, k.problem
    FROM monitoring_internal.notification_key_problems(p_where || '.tls_config', 'tls_config', p_config -> 'tls_config') AS k
    WHERE p_config ? 'tls_config';
$$;
COMMENT ON FUNCTION monitoring_internal.email_config_problems(text, jsonb, jsonb) IS
    'Internal: an email config''s smarthost, sender, headers and tls_config problems (PV606, PV608), with the global SMTP defaults.';
