CREATE OR REPLACE FUNCTION monitoring_internal.integration_config_digest(
    p_notifications jsonb,
    p_receiver text,
    p_integration text,
    p_index integer
)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: a digest of one integration's config as its sender uses it
    -- (its secrets are only references), to tell when the config changed it.
    SELECT md5(coalesce(monitoring_internal.integration_config(p_notifications, p_receiver, p_integration, p_index)::text, ''));
$$;
COMMENT ON FUNCTION monitoring_internal.integration_config_digest(jsonb, text, text, integer) IS
    'Internal: md5 of an integration''s effective config, to see when a config change touches it.';
