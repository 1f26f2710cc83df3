CREATE OR REPLACE FUNCTION monitoring_internal.copy_notification_config(p_document jsonb)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the router's copy of a config's notifications section
    -- (notification_config: small, read for every alert that fires), kept
    -- by apply_config(). A config without the section has none. Also
    -- enables integrations the new config changed.
    DELETE FROM monitoring_internal.notification_config WHERE NOT p_document ? 'notifications';
    INSERT INTO monitoring_internal.notification_config AS n (config_id, notifications)
    SELECT true, p_document -> 'notifications' WHERE p_document ? 'notifications'
    ON CONFLICT ON CONSTRAINT notification_config_pkey DO UPDATE SET notifications = excluded.notifications
    WHERE n.notifications IS DISTINCT FROM excluded.notifications;
    -- An integration disabled after a 410 Gone is enabled again when the
    -- config changes it (a new URL) or no longer has it.
    DELETE FROM monitoring.disabled_integrations AS d
    WHERE d.config_digest IS DISTINCT FROM monitoring_internal.integration_config_digest(
              p_document -> 'notifications', d.receiver, d.integration, d.integration_index)
       OR monitoring_internal.integration_config(p_document -> 'notifications', d.receiver, d.integration,
                                                 d.integration_index) IS NULL;
$$;
COMMENT ON FUNCTION monitoring_internal.copy_notification_config(jsonb) IS
    'Internal: keeps monitoring_internal.notification_config the notifications section of the config just applied.';
