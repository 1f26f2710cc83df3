CREATE OR REPLACE FUNCTION monitoring_internal.evaluate_rule(
    p_rule monitoring.alert_rules,
    p_at timestamptz,
    p_source text,
    OUT groups integer,
    OUT pending integer,
    OUT firing integer,
    OUT transitions integer
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: one evaluation of one rule at p_at, with Prometheus's
-- semantics. A group whose condition holds goes pending, and fires once it
-- has held for the rule's for (at once when for is 0); a pending group that
-- clears is dropped silently; a firing one resolves when it clears, or
-- after keep_firing_for without a breach. A group without data follows
-- no_data: ok (clears), alerting (holds at the rule's top severity),
-- keep_last (holds as it last did), nodata (clears, and a DatasourceNoData
-- alert for the group holds instead). The state is in rule_groups, so the
-- for clock survives restarts. Only groups that are pending, firing or
-- need remembering (no_data other than ok) are written: an evaluation of
-- quiet groups writes nothing.
DECLARE
    v_top_severity text := (SELECT k FROM jsonb_object_keys(p_rule.thresholds) AS k
                            ORDER BY monitoring_internal.severity_rank(k) DESC LIMIT 1);
    d record;
    v_holds boolean;
    v_severity text;
    v_value double precision;
    v_threshold double precision;
    v_next text;
    v_alert_id bigint;
BEGIN
    groups := 0; pending := 0; firing := 0; transitions := 0;
    IF p_rule.composite_match IS NULL THEN
        SELECT count(*) INTO groups FROM monitoring_internal.evaluation_values AS v
        WHERE v.source_key = monitoring_internal.rule_source_key(p_rule.source_kind, p_rule.source_filter,
                                                                 p_rule.aggregate, p_rule.window_seconds, p_rule.group_by)
          AND v.samples >= p_rule.min_samples AND v.value IS NOT NULL;
    END IF;
    FOR d IN
        WITH current_values AS (
            SELECT * FROM monitoring_internal.rule_group_values(p_rule, p_at, true)
        ), with_no_data AS (
            -- The one group of an ungrouped rule exists even without data.
            SELECT * FROM current_values
            UNION ALL
            SELECT NULL, NULL, NULL, NULL, NULL
            WHERE p_rule.group_by = '{}' AND NOT EXISTS (SELECT FROM current_values)
        ), real_groups AS (
            SELECT coalesce(c.group_key, s.group_key, md5('{}')) AS group_key,
                   coalesce(c.group_labels, s.group_labels, '{}') AS group_labels,
                   c.group_key IS NOT NULL AS has_data,
                   c.value, c.severity, c.threshold,
                   s.state, s.severity AS last_severity, s.value AS last_value, s.threshold AS last_threshold,
                   s.breached_since, s.last_breach_at, s.alert_id,
                   s.group_key IS NOT NULL AS known, false AS is_nodata
            FROM with_no_data AS c
            FULL JOIN (SELECT * FROM monitoring_internal.rule_groups AS g
                       WHERE g.rule_name = p_rule.rule_name AND g.group_key NOT LIKE 'nodata:%') AS s
                   ON s.group_key = coalesce(c.group_key, md5('{}'))
        )
        SELECT * FROM real_groups AS q
        -- A quiet group of a rule that ignores missing data needs nothing
        -- (counted apart, below).
        WHERE q.severity IS NOT NULL OR q.known OR p_rule.no_data <> 'ok' OR p_rule.composite_match IS NOT NULL
        UNION ALL
        -- no_data = nodata: a group of its own per group without data.
        SELECT 'nodata:' || coalesce(r.group_key, s.group_key), coalesce(r.group_labels, s.group_labels),
               NOT coalesce(NOT r.has_data, false), NULL, CASE WHEN NOT r.has_data THEN v_top_severity END, NULL,
               s.state, s.severity, s.value, s.threshold, s.breached_since, s.last_breach_at, s.alert_id,
               s.group_key IS NOT NULL, true
        FROM (SELECT * FROM real_groups WHERE p_rule.no_data = 'nodata' AND NOT has_data) AS r
        FULL JOIN (SELECT * FROM monitoring_internal.rule_groups AS g
                   WHERE g.rule_name = p_rule.rule_name AND g.group_key LIKE 'nodata:%') AS s
               ON s.group_key = 'nodata:' || r.group_key
    LOOP
        IF p_rule.composite_match IS NOT NULL AND d.has_data AND NOT d.is_nodata THEN
            groups := groups + 1;
        END IF;
        v_value := d.value;
        v_threshold := d.threshold;
        IF d.is_nodata THEN
            v_holds := d.severity IS NOT NULL;
            v_severity := d.severity;
        ELSIF d.has_data THEN
            v_holds := d.severity IS NOT NULL;
            v_severity := d.severity;
        ELSE
            CASE p_rule.no_data
                WHEN 'alerting' THEN v_holds := true; v_severity := v_top_severity;
                WHEN 'keep_last' THEN
                    v_holds := d.state IN ('pending', 'firing');
                    v_severity := d.last_severity; v_value := d.last_value; v_threshold := d.last_threshold;
                ELSE v_holds := false;
            END CASE;
        END IF;

        IF v_holds THEN
            IF coalesce(d.state, 'inactive') = 'inactive' THEN
                v_next := CASE WHEN p_rule.for_seconds <= 0 THEN 'firing' ELSE 'pending' END;
                d.breached_since := p_at;
            ELSIF d.state = 'pending' THEN
                v_next := CASE WHEN p_at - d.breached_since >= make_interval(secs => p_rule.for_seconds)
                               THEN 'firing' ELSE 'pending' END;
            ELSE
                v_next := 'firing';
            END IF;
            IF v_next = 'firing' THEN
                v_alert_id := monitoring_internal.raise_rule_alert(
                    p_rule, d.group_labels, d.is_nodata, v_severity, v_value, v_threshold,
                    d.breached_since, p_source);
                firing := firing + 1;
            ELSE
                v_alert_id := NULL;
                pending := pending + 1;
            END IF;
            transitions := transitions + (coalesce(d.state, 'inactive') IS DISTINCT FROM v_next)::integer;
            INSERT INTO monitoring_internal.rule_groups AS g
                (rule_name, group_key, group_labels, state, severity, value, threshold, breached_since,
                 last_breach_at, last_data_at, evaluated_at, alert_id)
            VALUES (p_rule.rule_name, d.group_key, d.group_labels, v_next, v_severity, v_value, v_threshold,
                    d.breached_since, p_at, CASE WHEN d.has_data THEN p_at END, p_at, v_alert_id)
            ON CONFLICT ON CONSTRAINT rule_groups_pkey DO UPDATE
            SET state = excluded.state, severity = excluded.severity, value = excluded.value,
                threshold = excluded.threshold, breached_since = excluded.breached_since,
                last_breach_at = excluded.last_breach_at,
                last_data_at = coalesce(excluded.last_data_at, g.last_data_at),
                evaluated_at = excluded.evaluated_at, alert_id = excluded.alert_id;
            CONTINUE;
        END IF;

        -- The condition does not hold.
        IF d.state = 'firing' AND p_rule.keep_firing_for_seconds > 0
           AND p_at - d.last_breach_at < make_interval(secs => p_rule.keep_firing_for_seconds) THEN
            firing := firing + 1;  -- held through a short clear
            CONTINUE;
        END IF;
        IF d.state = 'firing' THEN
            PERFORM monitoring_internal.resolve_rule_alert(d.alert_id, coalesce(v_value, d.value), p_source);
        END IF;
        transitions := transitions + (d.state IN ('pending', 'firing'))::integer;
        IF d.is_nodata OR p_rule.no_data = 'ok' OR (NOT d.has_data AND p_rule.no_data <> 'nodata') THEN
            -- Nothing to remember: a cleared DatasourceNoData group, a quiet
            -- group of a rule that ignores missing data, or one whose data
            -- is gone and whose policy needs nothing more.
            IF d.known THEN
                DELETE FROM monitoring_internal.rule_groups AS g
                WHERE g.rule_name = p_rule.rule_name AND g.group_key = d.group_key;
            END IF;
        ELSIF NOT d.known OR d.state <> 'inactive' THEN
            -- Remember the group (first sight, or back from pending/firing):
            -- its data going missing later must be noticed.
            INSERT INTO monitoring_internal.rule_groups AS g
                (rule_name, group_key, group_labels, state, value, last_data_at, evaluated_at)
            VALUES (p_rule.rule_name, d.group_key, d.group_labels, 'inactive', v_value,
                    CASE WHEN d.has_data THEN p_at END, p_at)
            ON CONFLICT ON CONSTRAINT rule_groups_pkey DO UPDATE
            SET state = 'inactive', severity = NULL, value = excluded.value, threshold = NULL,
                breached_since = NULL, last_data_at = coalesce(excluded.last_data_at, g.last_data_at),
                evaluated_at = excluded.evaluated_at, alert_id = NULL;
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.evaluate_rule(monitoring.alert_rules, timestamptz, text) IS
    'Internal: evaluates one rule at p_at: moves its groups between inactive, pending and firing and raises, updates or resolves their alerts.';
