CREATE OR REPLACE FUNCTION monitoring.validate_config(p_document jsonb)
RETURNS SETOF text
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- Returns every problem of a config document at once (no rows = valid):
    -- its settings' (settings_problems), or, when they are valid, its
    -- alert rules' (alert_rule_problems); and its notifications'. The built-in rules name settings,
    -- so a bad setting would show again as problems of the rules using it.
    WITH settings AS (SELECT s.problem FROM monitoring_internal.settings_problems(p_document) AS s (problem))
    SELECT s.problem FROM settings AS s
    UNION ALL
    SELECT r.problem FROM monitoring_internal.alert_rule_problems(p_document) AS r
    WHERE NOT EXISTS (SELECT FROM settings)
    UNION ALL
    SELECT n.problem FROM monitoring_internal.notification_problems(p_document) AS n;
$$;
COMMENT ON FUNCTION monitoring.validate_config(jsonb) IS
    'Returns every problem of a config document (no rows when it is valid).';
