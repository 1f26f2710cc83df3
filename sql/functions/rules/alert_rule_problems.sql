CREATE OR REPLACE FUNCTION monitoring_internal.alert_rule_problems(p_document jsonb)
RETURNS TABLE (code text, problem text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: every problem of a config's alert_rules (a list of rules with
    -- unique names; no alert_rules at all is an empty list).
    SELECT 'PV509', 'alert_rules must be a list of rules'
    WHERE p_document ? 'alert_rules' AND jsonb_typeof(p_document -> 'alert_rules') <> 'array'
    UNION ALL
    SELECT 'PV507', format('alert_rules: %s is defined %s times', r ->> 'name', count(*))
    FROM jsonb_array_elements(CASE jsonb_typeof(p_document -> 'alert_rules') WHEN 'array' THEN p_document -> 'alert_rules' END) AS r
    WHERE r ->> 'name' IS NOT NULL
    GROUP BY r ->> 'name' HAVING count(*) > 1
    UNION ALL
    SELECT p.code, p.problem
    FROM jsonb_array_elements(CASE jsonb_typeof(p_document -> 'alert_rules') WHEN 'array' THEN p_document -> 'alert_rules' END) AS r,
         LATERAL monitoring_internal.rule_problems(r, p_document) AS p;
$$;
COMMENT ON FUNCTION monitoring_internal.alert_rule_problems(jsonb) IS
    'Internal: every problem of the alert_rules of a config document, with its code (PV501-PV509).';
