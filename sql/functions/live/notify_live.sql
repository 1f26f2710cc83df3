CREATE OR REPLACE FUNCTION monitoring_internal.notify_live()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: NOTIFY pgvigil_live, payload the kind of change (the trigger's
-- argument: alert, health; create_api_key() and revoke_api_key() send
-- keys themselves), once per statement; a transaction's
-- duplicates are folded by PostgreSQL, and the notification is delivered
-- at commit. pgvigil serve LISTENs and pushes the change to its live
-- clients (server-sent events); what changed is read from the tables, so
-- a lost notification loses nothing (alert events carry their ids).
BEGIN
    PERFORM pg_notify('pgvigil_live', TG_ARGV[0]);
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.notify_live() IS
    'Internal: statement trigger: NOTIFY pgvigil_live with the kind of change (alert, health) for pgvigil serve''s live updates.';

-- Its triggers, here with it: they cannot exist without it, and a
-- migration runs before the functions exist.
DROP TRIGGER IF EXISTS alert_events_notify_live ON monitoring.alert_events;
CREATE TRIGGER alert_events_notify_live AFTER INSERT ON monitoring.alert_events
    FOR EACH STATEMENT EXECUTE FUNCTION monitoring_internal.notify_live('alert');
DROP TRIGGER IF EXISTS system_health_history_notify_live ON monitoring.system_health_history;
CREATE TRIGGER system_health_history_notify_live AFTER INSERT ON monitoring.system_health_history
    FOR EACH STATEMENT EXECUTE FUNCTION monitoring_internal.notify_live('health');
