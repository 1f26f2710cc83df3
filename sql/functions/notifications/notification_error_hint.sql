CREATE OR REPLACE FUNCTION monitoring_internal.notification_error_hint(p_code text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the HINT of each notification config error code (docs/error-codes.md).
    SELECT CASE p_code
        WHEN 'PV601' THEN 'Every route names a receiver of notifications.receivers (the root route must name one); each receiver name is used once.'
        WHEN 'PV602' THEN 'Matchers are written as Alertmanager and amtool write them: severity="critical", team!=ops, service=~"api|web", env!~"dev.*"; regular expressions match the whole value.'
        WHEN 'PV603' THEN 'A time interval has a name and time_intervals: [{times: [{start_time: "02:00", end_time: "04:00"}], weekdays: ["tuesday"], location: "Europe/Paris"}]; routes name it in mute_time_intervals or active_time_intervals.'
        WHEN 'PV605' THEN 'An escalation policy has a name and tiers: [{receiver: oncall, delay: "0s"}, {receiver: lead, delay: "15m"}], optionally repeat: 2 and ack_timeout: "1h"; delays are 0 or more; a route names it in escalation_policy.'
        WHEN 'PV606' THEN 'Remove the key: pgvigil supports the Alertmanager keys listed in docs/notifications.md, and says which it does not rather than ignore them.'
        WHEN 'PV607' THEN 'Secrets never sit in the database: write KEY_file: /path/to/file (Alertmanager''s convention) or KEY_env: VARIABLE; the process that delivers reads it.'
        WHEN 'PV608' THEN 'Check the named field against docs/notifications.md (durations such as "30s" or "4h", lists, true/false).'
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.notification_error_hint(text) IS
    'Internal: the HINT that goes with a notification config error code PV601-PV608.';
