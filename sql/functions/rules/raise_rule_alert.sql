CREATE OR REPLACE FUNCTION monitoring_internal.raise_rule_alert(
    p_rule monitoring.alert_rules,
    p_group_labels jsonb,
    p_no_data boolean,
    p_severity text,
    p_value double precision,
    p_threshold double precision,
    p_breached_since timestamptz,
    p_source text,
    p_details jsonb DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: fires a rule's alert for a group, or updates the one firing
-- (the open alert of its alert_key): value, last seen, and severity raised or
-- lowered in place with an alert_events row. Labels: alertname (the rule;
-- DatasourceNoData with rulename for a group without data), the group's
-- labels, severity and the rule's labels, rendered, over the labels of the
-- component it is about (monitoring.components); annotations rendered
-- the same way. alert_key = rule:group values, the readable identity.
-- details: what the source knows of the group (p_details; kept from the
-- last evaluation that had data when this one has none) and the group.
-- An open alert of the same key that no rule owns (raised by a built-in
-- check before it became a rule) is taken over, not duplicated.
DECLARE
    v_alertname text := CASE WHEN p_no_data THEN 'DatasourceNoData' ELSE p_rule.rule_name END;
    v_subject text := coalesce(nullif(array_to_string(ARRAY(
                          SELECT p_group_labels ->> CASE WHEN g LIKE 'tags.%' THEN substr(g, 6) ELSE g END
                          FROM unnest(p_rule.group_by) WITH ORDINALITY AS x (g, n) ORDER BY n), '/'), ''), 'all');
    v_alert_key text := p_rule.rule_name || CASE WHEN p_no_data THEN ':nodata:' ELSE ':' END || v_subject;
    v_component text := coalesce(p_group_labels ->> 'component', p_group_labels ->> 'component_name');
    v_labels jsonb;
    v_annotations jsonb;
    v_title text;
    v_message text;
    v_previous text;
    v_labels_changed boolean;
    v_alert_id bigint;
BEGIN
    -- The component's registry labels first: the group's and the rule's win.
    v_labels := coalesce((SELECT c.labels FROM monitoring.components AS c WHERE c.component = v_component), '{}')
        || p_group_labels
        || (SELECT coalesce(jsonb_object_agg(l.key, monitoring_internal.render_template(
                       l.value #>> '{}', p_group_labels, p_value, p_severity, p_threshold, p_rule.rule_name,
                       p_details)), '{}')
            FROM jsonb_each(p_rule.labels) AS l)
        || jsonb_build_object('alertname', v_alertname, 'severity', p_severity)
        || CASE WHEN p_no_data THEN jsonb_build_object('rulename', p_rule.rule_name) ELSE '{}' END;
    v_annotations := (SELECT coalesce(jsonb_object_agg(a.key, monitoring_internal.render_template(
                                  a.value #>> '{}', v_labels, p_value, p_severity, p_threshold, p_rule.rule_name,
                                  p_details)), '{}')
                      FROM jsonb_each(p_rule.annotations) AS a);
    v_title := coalesce(v_annotations ->> 'summary',
                        CASE WHEN p_no_data THEN format('No data for %s (%s)', p_rule.rule_name, v_subject)
                             ELSE format('%s: %s', p_rule.rule_name, v_subject) END);
    v_message := coalesce(v_annotations ->> 'description',
                          CASE WHEN p_no_data THEN format('rule %s has no data for %s', p_rule.rule_name, v_subject)
                               ELSE format('%s is %s for %s (%s threshold %s %s)', p_rule.rule_name,
                                           coalesce(monitoring_internal.format_number(p_value), 'no data'), v_subject,
                                           p_severity, p_rule.comparison,
                                           coalesce(monitoring_internal.format_number(p_threshold), '-')) END);

    SELECT a.alert_id, a.severity, a.labels IS DISTINCT FROM v_labels INTO v_alert_id, v_previous, v_labels_changed
    FROM monitoring.alerts AS a
    WHERE a.alert_key = v_alert_key AND a.resolved_at IS NULL
    FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO monitoring.alerts
            (alert_key, alert_type, subject, severity, title, message, current_value, threshold_value,
             details, triggered_by, rule_name, labels, annotations, fingerprint, breached_at, component)
        VALUES (v_alert_key, p_rule.rule_name, v_subject, p_severity, v_title, v_message, p_value, p_threshold,
                coalesce(p_details, '{}') || jsonb_build_object('group', p_group_labels), p_source, p_rule.rule_name,
                v_labels, v_annotations,
                monitoring.alert_fingerprint(v_labels), coalesce(p_breached_since, now()), v_component)
        RETURNING alert_id INTO v_alert_id;
        INSERT INTO monitoring.alert_events (alert_id, event_type, severity, current_value, actor)
        VALUES (v_alert_id, 'triggered', p_severity, p_value, p_source);
        PERFORM monitoring_internal.group_alert(v_alert_id);  -- its notification groups
        RETURN v_alert_id;
    END IF;
    UPDATE monitoring.alerts AS a
    SET severity = p_severity,
        severity_changed_at = CASE WHEN a.severity <> p_severity THEN now() ELSE a.severity_changed_at END,
        title = v_title, message = v_message, current_value = p_value, threshold_value = p_threshold,
        last_seen_at = now(), occurrence_count = a.occurrence_count + 1,
        details = CASE WHEN p_details IS NULL THEN a.details
                       ELSE p_details || jsonb_build_object('group', p_group_labels) END,
        rule_name = p_rule.rule_name, labels = v_labels, annotations = v_annotations, component = v_component,
        fingerprint = CASE WHEN a.labels IS DISTINCT FROM v_labels THEN monitoring.alert_fingerprint(v_labels)
                           ELSE a.fingerprint END
    WHERE a.alert_id = v_alert_id;
    IF v_labels_changed THEN
        PERFORM monitoring_internal.group_alert(v_alert_id);  -- new labels may route elsewhere
    END IF;
    IF v_previous <> p_severity THEN
        INSERT INTO monitoring.alert_events (alert_id, event_type, previous_severity, severity, current_value, actor)
        VALUES (v_alert_id, 'severity_changed', v_previous, p_severity, p_value, p_source);
    END IF;
    RETURN v_alert_id;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.raise_rule_alert(monitoring.alert_rules, jsonb, boolean, text, double precision, double precision, timestamptz, text, jsonb) IS
    'Internal: fires or updates the alert of one group of a rule, with its labels, annotations and fingerprint; returns its id.';
