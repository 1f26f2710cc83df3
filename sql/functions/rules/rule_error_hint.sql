CREATE OR REPLACE FUNCTION monitoring_internal.rule_error_hint(p_code text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the HINT of each rule error code (docs/error-codes.md).
    SELECT CASE p_code
        WHEN 'PV501' THEN 'A source is an object with "kind" (metric, task, error, queue, health) and that kind''s filters; see docs/rules.md#sources.'
        WHEN 'PV502' THEN 'Use one of the aggregates the source lists in docs/rules.md#sources, e.g. "avg" for a metric, "failure_ratio" for tasks; "duration_percentile" goes with a "quantile" in (0, 1].'
        WHEN 'PV503' THEN 'Write durations as Prometheus does: "30s", "5m", "1h30m", "7d" (or a number of seconds, or a setting "alert_settings.NAME_minutes"); window > 0, for and keep_firing_for >= 0.'
        WHEN 'PV504' THEN 'thresholds maps low, medium, high and critical (any of them, at least one) to numbers ordered the way the comparison goes; a composite rule names one "severity"; severity_caps is a list of {"when": {DETAIL: VALUE}, "max": SEVERITY}.'
        WHEN 'PV505' THEN 'Templates may use {{ $value }}, {{ $threshold }}, {{ $severity }}, {{ $rule }}, {{ $labels.NAME }} and {{ $details.NAME }}; close every {{ with }}.'
        WHEN 'PV506' THEN 'Thresholds are finite numbers such as 80 or 0.05 (no strings, no Infinity, within the double precision range).'
        WHEN 'PV507' THEN 'Give each rule its own name; a file that changes a rule lists it once.'
        WHEN 'PV508' THEN 'all_of / any_of lists conditions: {"rule": NAME} of a rule that exists and is not itself composite, grouped by at least the composite''s group_by, or an inline {source, aggregate, window, comparison, threshold}.'
        WHEN 'PV509' THEN 'Check the named field against docs/rules.md: names are letters, digits and _, group_by names labels of the source, comparison is >, >=, < or <=, no_data is ok, alerting, keep_last or nodata.'
        WHEN 'PV510' THEN 'List the rules with pgvigil rules list, or SELECT rule_name FROM monitoring.v_alert_rules.'
        WHEN 'PV511' THEN 'Shipped rules come back with every upgrade: disable it instead (monitoring.set_alert_rule_enabled(name, false), or "enabled": false in the config).'
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.rule_error_hint(text) IS
    'Internal: the HINT that goes with a rule error code PV501-PV511.';
