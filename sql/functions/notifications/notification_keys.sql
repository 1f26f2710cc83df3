CREATE OR REPLACE FUNCTION monitoring_internal.notification_keys()
RETURNS TABLE (context text, keys text[], secrets text[])
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the keys of Alertmanager's config that pgvigil supports,
    -- per place, and which hold secrets. A secret is never written in the
    -- config (it would sit in the database): KEY_file names a file and
    -- KEY_env an environment variable, read by the process that delivers.
    -- Any other key is refused by name (PV606): nothing is silently ignored.
    VALUES
        ('notifications', ARRAY['global', 'route', 'receivers', 'inhibit_rules', 'time_intervals', 'mute_time_intervals',
                                'escalation_policies', 'flap_detection'], ARRAY[]::text[]),
        ('global', ARRAY['resolve_timeout', 'smtp_from', 'smtp_smarthost', 'smtp_hello', 'smtp_auth_username',
                         'smtp_require_tls', 'pagerduty_url', 'http_timeout'],
                   ARRAY['smtp_auth_password', 'slack_api_url']),
        ('route', ARRAY['receiver', 'group_by', 'group_wait', 'group_interval', 'repeat_interval', 'match', 'match_re',
                        'matchers', 'routes', 'continue', 'mute_time_intervals', 'active_time_intervals',
                        'escalation_policy'], ARRAY[]::text[]),
        ('receiver', ARRAY['name', 'webhook_configs', 'slack_configs', 'msteamsv2_configs', 'email_configs',
                           'pagerduty_configs', 'flood_control'], ARRAY[]::text[]),
        ('flood_control', ARRAY['max_per_minute'], ARRAY[]::text[]),
        ('webhook_configs', ARRAY['send_resolved', 'max_alerts', 'timeout'], ARRAY['url', 'signing_secret']),
        ('slack_configs', ARRAY['send_resolved', 'channel', 'username', 'icon_emoji', 'icon_url'], ARRAY['api_url']),
        ('msteamsv2_configs', ARRAY['send_resolved'], ARRAY['webhook_url']),
        ('email_configs', ARRAY['send_resolved', 'to', 'from', 'smarthost', 'hello', 'auth_username', 'require_tls',
                                'headers', 'tls_config', 'timeout'],
                          ARRAY['auth_password']),
        ('tls_config', ARRAY['ca_file', 'insecure_skip_verify'], ARRAY[]::text[]),
        ('pagerduty_configs', ARRAY['send_resolved', 'url', 'client', 'client_url', 'severity', 'class', 'component',
                                    'group', 'source'], ARRAY['routing_key', 'service_key']),
        ('inhibit_rule', ARRAY['source_matchers', 'target_matchers', 'source_match', 'source_match_re', 'target_match',
                               'target_match_re', 'equal'], ARRAY[]::text[]),
        ('time_interval', ARRAY['name', 'time_intervals'], ARRAY[]::text[]),
        -- pgvigil's own: escalation policies, which Alertmanager lacks.
        ('escalation_policy', ARRAY['name', 'tiers', 'repeat', 'ack_timeout'], ARRAY[]::text[]),
        ('escalation_tier', ARRAY['receiver', 'delay'], ARRAY[]::text[]),
        ('flap_detection', ARRAY['enabled', 'changes', 'window', 'stable_for'], ARRAY[]::text[]),
        ('time_range', ARRAY['times', 'weekdays', 'days_of_month', 'months', 'years', 'location'], ARRAY[]::text[]);
$$;
COMMENT ON FUNCTION monitoring_internal.notification_keys() IS
    'Internal: the supported keys of each part of the notifications config, and the secret ones (given as KEY_file or KEY_env).';
