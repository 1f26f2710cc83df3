CREATE OR REPLACE FUNCTION monitoring_internal.compile_alert_rules(p_document jsonb)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: makes monitoring.alert_rules the compiled form of a validated
-- config's alert_rules, in apply_config()'s transaction. A rule whose
-- definition did not change keeps its row (and updated_at). A rule removed
-- or disabled ends its alerts: they resolve, noted as such, and the
-- evaluator forgets its groups. Returns the number of rules changed.
DECLARE
    v_changed integer;
    v_gone text[];
BEGIN
    SELECT array_agg(a.rule_name) INTO v_gone
    FROM monitoring.alert_rules AS a
    WHERE a.enabled AND NOT EXISTS (SELECT FROM monitoring_internal.compiled_rules(p_document) AS c
                                    WHERE c.rule_name = a.rule_name AND c.enabled);
    IF v_gone IS NOT NULL THEN
        PERFORM monitoring_internal.end_rule_alerts(v_gone);
    END IF;
    DELETE FROM monitoring.alert_rules AS a
    WHERE NOT EXISTS (SELECT FROM monitoring_internal.compiled_rules(p_document) AS c
                      WHERE c.rule_name = a.rule_name);
    INSERT INTO monitoring.alert_rules AS a
    SELECT * FROM monitoring_internal.compiled_rules(p_document) AS c
    -- Unchanged: the same definition and the same settings it names.
    WHERE NOT EXISTS (SELECT FROM monitoring.alert_rules AS o
                      WHERE o.rule_name = c.rule_name AND o.definition = c.definition
                        AND o.thresholds = c.thresholds AND o.source_filter = c.source_filter
                        AND o.window_seconds IS NOT DISTINCT FROM c.window_seconds
                        AND o.for_seconds = c.for_seconds
                        AND o.keep_firing_for_seconds = c.keep_firing_for_seconds
                        AND o.min_samples = c.min_samples AND o.severity_caps = c.severity_caps)
    ON CONFLICT ON CONSTRAINT alert_rules_pkey DO UPDATE
    SET (description, source_kind, source_filter, aggregate, window_seconds, group_by, comparison,
         thresholds, composite_match, conditions, for_seconds, keep_firing_for_seconds, min_samples, no_data,
         labels, annotations, enabled, definition, updated_at, severity_caps)
      = (excluded.description, excluded.source_kind, excluded.source_filter, excluded.aggregate,
         excluded.window_seconds, excluded.group_by, excluded.comparison, excluded.thresholds,
         excluded.composite_match, excluded.conditions, excluded.for_seconds,
         excluded.keep_firing_for_seconds, excluded.min_samples, excluded.no_data, excluded.labels, excluded.annotations,
         excluded.enabled, excluded.definition, excluded.updated_at, excluded.severity_caps);
    GET DIAGNOSTICS v_changed = ROW_COUNT;
    RETURN v_changed + coalesce(cardinality(v_gone), 0);
END;
$$;
COMMENT ON FUNCTION monitoring_internal.compile_alert_rules(jsonb) IS
    'Internal: syncs monitoring.alert_rules with a validated config''s alert_rules; ends the alerts of rules removed or disabled.';
