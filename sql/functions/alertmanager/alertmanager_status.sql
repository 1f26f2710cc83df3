CREATE OR REPLACE FUNCTION monitoring.alertmanager_status()
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- What the Alertmanager API v2's GET /api/v2/status and GET
    -- /api/v2/receivers need from the database: the active notifications
    -- section as its config (JSON is YAML; it holds no secret, only where
    -- each is read from: PV607 refuses inline ones) and the receivers'
    -- names. No cluster: pgvigil's state is the database's.
    SELECT jsonb_build_object(
        'config', jsonb_build_object('original', jsonb_pretty(c.notifications)),
        'cluster', jsonb_build_object('status', 'disabled', 'peers', '[]'::jsonb),
        'receivers', coalesce((SELECT jsonb_agg(jsonb_build_object('name', r ->> 'name') ORDER BY n)
                               FROM jsonb_array_elements(coalesce(c.notifications -> 'receivers', '[]'))
                                    WITH ORDINALITY AS x (r, n)), '[]'))
    FROM monitoring_internal.notification_config AS c;
$$;
COMMENT ON FUNCTION monitoring.alertmanager_status() IS
    'The notifications config (as YAML-compatible JSON text), cluster status (disabled) and receiver names, for the Alertmanager API v2 status and receivers endpoints.';
