CREATE OR REPLACE FUNCTION monitoring_internal.step_rule_group(
    p_rule monitoring.alert_rules,
    p_at timestamptz,
    p_source text,
    p_group_key text,
    p_group_labels jsonb,
    p_has_data boolean,
    p_is_nodata boolean,
    p_value double precision,
    p_severity text,
    p_threshold double precision,
    p_details jsonb,
    p_known boolean,
    p_state text,
    p_last_severity text,
    p_last_value double precision,
    p_last_threshold double precision,
    p_breached_since timestamptz,
    p_last_breach_at timestamptz,
    p_alert_id bigint,
    p_resolve boolean,
    OUT state text,
    OUT transitioned boolean
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: one group of one rule, one evaluation step, with Prometheus's
-- semantics. What the rule measures now (p_value, p_severity: NULL when
-- the condition does not hold; p_has_data) meets what the group was
-- (p_state ... p_alert_id, from rule_groups; p_known: it has a row there);
-- p_details, what the source knows of the group, go to its alert.
-- A group whose condition holds goes pending, and fires once it has held
-- for the rule's for (at once when for is 0); a pending group that clears
-- is dropped silently; a firing one resolves when it clears, or after
-- keep_firing_for without a breach. Without data: no_data ok (clears),
-- alerting (holds at the rule's top severity), keep_last (holds as it last
-- did), nodata (clears; p_is_nodata rows are the DatasourceNoData groups
-- that hold instead). A firing group that clears resolves its alert, or,
-- when not p_resolve (a check_*() function: the original design resolves
-- in resolve_resolved_alerts()), leaves it open for that function to
-- resolve. Returns the group's state and whether it changed.
DECLARE
    v_holds boolean;
    v_severity text := p_severity;
    v_value double precision := p_value;
    v_threshold double precision := p_threshold;
    v_breached_since timestamptz := p_breached_since;
    v_alert_id bigint;
BEGIN
    IF NOT p_has_data AND NOT p_is_nodata THEN
        CASE p_rule.no_data
            WHEN 'alerting' THEN
                v_holds := true;
                v_severity := monitoring_internal.top_severity(p_rule.thresholds);
            WHEN 'keep_last' THEN
                v_holds := p_state IN ('pending', 'firing');
                v_severity := p_last_severity; v_value := p_last_value; v_threshold := p_last_threshold;
            ELSE v_holds := false;
        END CASE;
    ELSE
        v_holds := p_severity IS NOT NULL;
    END IF;

    IF v_holds THEN
        IF coalesce(p_state, 'inactive') = 'inactive' THEN
            state := CASE WHEN p_rule.for_seconds <= 0 THEN 'firing' ELSE 'pending' END;
            v_breached_since := p_at;
        ELSIF p_state = 'pending' THEN
            state := CASE WHEN p_at - p_breached_since >= make_interval(secs => p_rule.for_seconds)
                          THEN 'firing' ELSE 'pending' END;
        ELSE
            state := 'firing';
        END IF;
        transitioned := coalesce(p_state, 'inactive') IS DISTINCT FROM state;
        IF state = 'pending' AND NOT transitioned AND p_last_severity IS NOT DISTINCT FROM v_severity THEN
            RETURN;  -- still pending as it was: nothing to write
        END IF;
        IF state = 'firing' THEN
            v_alert_id := monitoring_internal.raise_rule_alert(
                p_rule, p_group_labels, p_is_nodata, v_severity, v_value, v_threshold, v_breached_since, p_source,
                p_details);
        END IF;
        INSERT INTO monitoring_internal.rule_groups AS g
            (rule_name, group_key, group_labels, state, severity, value, threshold, breached_since,
             last_breach_at, last_data_at, evaluated_at, alert_id)
        VALUES (p_rule.rule_name, p_group_key, p_group_labels, state, v_severity, v_value, v_threshold,
                v_breached_since, p_at, CASE WHEN p_has_data THEN p_at END, p_at, v_alert_id)
        ON CONFLICT ON CONSTRAINT rule_groups_pkey DO UPDATE
        SET state = excluded.state, severity = excluded.severity, value = excluded.value,
            threshold = excluded.threshold, breached_since = excluded.breached_since,
            last_breach_at = excluded.last_breach_at,
            last_data_at = coalesce(excluded.last_data_at, g.last_data_at),
            evaluated_at = excluded.evaluated_at, alert_id = excluded.alert_id;
        RETURN;
    END IF;

    -- The condition does not hold.
    IF p_state = 'firing' AND p_rule.keep_firing_for_seconds > 0
       AND p_at - p_last_breach_at < make_interval(secs => p_rule.keep_firing_for_seconds) THEN
        state := 'firing';  -- held through a short clear
        transitioned := false;
        RETURN;
    END IF;
    IF p_state = 'firing' AND p_resolve THEN
        PERFORM monitoring_internal.resolve_rule_alert(p_alert_id, coalesce(v_value, p_last_value), p_source);
    END IF;
    state := 'inactive';
    transitioned := p_state IN ('pending', 'firing');
    IF p_is_nodata OR p_rule.no_data = 'ok' OR (NOT p_has_data AND p_rule.no_data <> 'nodata') THEN
        -- Nothing to remember: a cleared DatasourceNoData group, a quiet
        -- group of a rule that ignores missing data, or one whose data is
        -- gone and whose policy needs nothing more.
        IF p_known THEN
            DELETE FROM monitoring_internal.rule_groups AS g
            WHERE g.rule_name = p_rule.rule_name AND g.group_key = p_group_key;
        END IF;
    ELSIF NOT p_known OR p_state <> 'inactive' THEN
        -- Remember the group (first sight, or back from pending/firing):
        -- its data going missing later must be noticed.
        INSERT INTO monitoring_internal.rule_groups AS g
            (rule_name, group_key, group_labels, state, value, last_data_at, evaluated_at)
        VALUES (p_rule.rule_name, p_group_key, p_group_labels, 'inactive', v_value,
                CASE WHEN p_has_data THEN p_at END, p_at)
        ON CONFLICT ON CONSTRAINT rule_groups_pkey DO UPDATE
        SET state = 'inactive', severity = NULL, value = excluded.value, threshold = NULL,
            breached_since = NULL, last_data_at = coalesce(excluded.last_data_at, g.last_data_at),
            evaluated_at = excluded.evaluated_at, alert_id = NULL;
    END IF;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.step_rule_group(monitoring.alert_rules, timestamptz, text, text, jsonb, boolean, boolean, double precision, text, double precision, jsonb, boolean, text, text, double precision, double precision, timestamptz, timestamptz, bigint, boolean) IS
    'Internal: one evaluation step of one group of a rule (inactive, pending, firing; alerts raised, updated, resolved); returns its state and whether it changed.';
