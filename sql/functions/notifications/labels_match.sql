CREATE OR REPLACE FUNCTION monitoring.labels_match(p_matchers text[], p_labels jsonb)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
-- Whether a label set meets every matcher, written as amtool writes them
-- (alertname="DiskFull", service=~"api|web"), with Alertmanager's
-- semantics: a missing label is the empty string, regexes match the whole
-- value. For filtering alerts as amtool alert query does:
-- SELECT * FROM monitoring.v_active_alerts
-- WHERE monitoring.labels_match(ARRAY['severity=critical'], labels).
-- No matchers match everything. Errors: PV602 a malformed matcher or regex.
DECLARE
    v_problem text;
BEGIN
    SELECT p.problem INTO v_problem
    FROM monitoring_internal.silence_problems(p_matchers, NULL, NULL, 'x', 'x') AS p
    WHERE p.code = 'PV602'
    LIMIT 1;
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid matcher: %', v_problem
            USING ERRCODE = 'PV602', HINT = monitoring_internal.silence_error_hint('PV602');
    END IF;
    RETURN monitoring_internal.matchers_match(
        (SELECT jsonb_agg(monitoring_internal.parse_matcher(m)) FROM unnest(p_matchers) AS m),
        coalesce(p_labels, '{}'));
END;
$$;
COMMENT ON FUNCTION monitoring.labels_match(text[], jsonb) IS
    'True when labels meet every amtool-style matcher (Alertmanager semantics); for filtering alerts. Errors: PV602.';
