CREATE SCHEMA monitoring;

CREATE SCHEMA monitoring_internal;

COMMENT ON SCHEMA monitoring_internal IS 'pgvigil internals: helpers of the monitoring functions. Not a public interface; usable by its owner only.';

CREATE FUNCTION monitoring.acknowledge_alert(p_alert_id bigint, p_acknowledged_by text DEFAULT NULL::text, p_note text DEFAULT NULL::text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Marks an open alert as acknowledged (someone is on it). It stays open and
-- is still updated and auto-resolved by the checks; its escalation and its
-- group's reminders (repeat) stop. Acknowledging twice is
-- a no-op that returns false. p_acknowledged_by defaults to the session user.
DECLARE
    v_status text;
    v_severity text;
    v_actor text := coalesce(nullif(btrim(p_acknowledged_by), ''), session_user::text);
BEGIN
    IF p_alert_id IS NULL THEN
        RAISE EXCEPTION 'alert_id must not be NULL'
            USING ERRCODE = 'PV001', HINT = 'Pass an alert_id from monitoring.v_active_alerts.';
    END IF;
    PERFORM monitoring_internal.assert_text('acknowledged_by', v_actor, 200);
    SELECT a.status, a.severity INTO v_status, v_severity
    FROM monitoring.alerts AS a WHERE a.alert_id = p_alert_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown alert: %', p_alert_id
            USING ERRCODE = 'PV201', HINT = 'Pass an alert_id from monitoring.v_active_alerts.';
    END IF;
    IF v_status = 'resolved' THEN
        RAISE EXCEPTION 'alert % is already resolved', p_alert_id
            USING ERRCODE = 'PV202', HINT = 'Only open alerts can be acknowledged; see monitoring.v_active_alerts.';
    END IF;
    IF v_status = 'acknowledged' THEN
        RETURN false;
    END IF;

    UPDATE monitoring.alerts AS a
    SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = v_actor,
        acknowledgement_note = left(p_note, 2000)
    WHERE a.alert_id = p_alert_id;
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor, note)
    VALUES (p_alert_id, 'acknowledged', v_severity, v_actor, left(p_note, 2000));
    -- Escalation stops (until the policy's ack_timeout, if it has one: then
    -- an alert still firing is active again and escalates anew).
    UPDATE monitoring.escalations AS e
    SET status = 'acknowledged', acknowledged_at = now(), updated_at = now(),
        next_at = now() + make_interval(secs => monitoring_internal.parse_duration(e.policy -> 'ack_timeout'))
    WHERE e.alert_id = p_alert_id AND e.status IN ('active', 'exhausted');
    -- A group with every firing alert acknowledged tells PagerDuty (acknowledge).
    PERFORM monitoring_internal.write_notifications(
                g.receiver, g.group_id, NULL, g.group_key, 'acknowledged',
                format('pgvigil-%s-ack-%s', g.group_id, p_alert_id),
                monitoring_internal.notification_payload(g, f.firing), NULL, ARRAY['pagerduty_configs'])
    FROM monitoring.notification_groups AS g
    JOIN LATERAL (
        SELECT array_agg(a.alert_id ORDER BY a.alert_id) AS firing,
               bool_and(a.status = 'acknowledged') AS all_acknowledged
        FROM monitoring.notification_group_alerts AS m JOIN monitoring.alerts AS a USING (alert_id)
        WHERE m.group_id = g.group_id AND a.resolved_at IS NULL
    ) AS f ON f.all_acknowledged
    WHERE g.last_notified_at IS NOT NULL
      AND g.group_id IN (SELECT m.group_id FROM monitoring.notification_group_alerts AS m WHERE m.alert_id = p_alert_id);
    PERFORM monitoring_internal.write_audit_log('acknowledge_alert', p_alert_id::text, jsonb_build_object(
        'alert_id', p_alert_id, 'acknowledged_by', v_actor, 'note', left(p_note, 2000)));
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.acknowledge_alert(p_alert_id bigint, p_acknowledged_by text, p_note text) IS 'Acknowledges an open alert (by default as the session user); returns false if it was already acknowledged. Audited in monitoring.audit_log. Errors: PV001, PV008, PV201, PV202.';

CREATE FUNCTION monitoring.advance_rollup_watermark() RETURNS timestamp with time zone
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET lock_timeout TO '5s'
    AS $_$
-- First step of refresh_rollups(): moves the rollup watermark from W1 to
-- W2 = the start of the UTC minute rollups.lag_seconds before now, and
-- queues [W1, W2) of both raw tables in rollup_pending; its caller commits
-- before apply_rollup_pending() aggregates them.
-- Why two transactions: writers hold the same advisory lock shared until
-- they commit (note_ingest), so taking it exclusively here waits for every
-- write that read the old watermark. Once this commits, their rows are
-- committed and visible to the aggregation transaction; a write that starts
-- later sees W2 and queues its own late minutes. The wait is bounded by
-- lock_timeout (writers queue behind it meanwhile): on timeout the watermark
-- stays and the next run tries again; the views read raw rows past it, so
-- nothing is missing meanwhile.
-- First run (no rollup_state row; delete it to rebuild from the raw rows):
-- W1 = the start of the oldest UTC day with raw rows, found partition by
-- partition from the oldest (an empty one costs nothing to check), so an
-- empty install starts at W2; apply_rollup_pending() works through a long
-- history a bounded chunk per run. Returns the watermark (NULL when
-- skipped: standby, lock timeout).
DECLARE
    v_from timestamptz;
    v_to timestamptz;
    v_oldest timestamptz;
    v_found boolean;
    v_first_run boolean;
    v_table text;
    p record;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN NULL;
    END IF;
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('pgvigil.rollup_watermark'));
    EXCEPTION WHEN lock_not_available THEN
        RAISE NOTICE 'pgvigil: rollup watermark not advanced: writers held the lock for %',
            current_setting('lock_timeout');
        RETURN NULL;
    END;

    v_to := date_bin('1 minute', now() - make_interval(secs => monitoring_internal.config_number('{rollups,lag_seconds}')),
                     TIMESTAMPTZ '2000-01-01 00:00:00+00');
    SELECT s.watermark INTO v_from FROM monitoring_internal.rollup_state AS s;
    v_first_run := v_from IS NULL;
    IF v_first_run THEN
        v_from := v_to;
        FOREACH v_table IN ARRAY ARRAY['performance_monitoring', 'processing_metrics'] LOOP
            -- processing_metrics is by start_time: a task ends on or after its start day.
            EXECUTE format('SELECT min(%I) FROM monitoring.%I',
                           CASE v_table WHEN 'performance_monitoring' THEN 'recorded_at' ELSE 'start_time' END,
                           v_table || '_default')
                INTO v_oldest;
            v_from := least(v_from, date_bin('1 minute', v_oldest, TIMESTAMPTZ '2000-01-01 00:00:00+00'));
            FOR p IN
                SELECT c.relname,
                       to_date(right(c.relname, 8), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC' AS day_start
                FROM pg_catalog.pg_inherits AS i
                JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
                WHERE i.inhparent = format('monitoring.%I', v_table)::regclass
                  AND c.relname ~ ('^' || v_table || '_p[0-9]{8}$')
                ORDER BY c.relname
            LOOP
                EXIT WHEN p.day_start >= v_from;
                EXECUTE format('SELECT EXISTS (SELECT FROM monitoring.%I)', p.relname) INTO v_found;
                IF v_found THEN
                    v_from := p.day_start;
                    EXIT;
                END IF;
            END LOOP;
        END LOOP;
    END IF;
    IF v_to <= v_from AND NOT v_first_run THEN
        RETURN v_from;  -- same minute (pg_cron catching up), or the lag was raised
    END IF;
    IF v_to > v_from THEN
        INSERT INTO monitoring_internal.rollup_pending (source, range_start, range_end)
        VALUES ('performance_monitoring', v_from, v_to), ('processing_metrics', v_from, v_to);
    END IF;
    INSERT INTO monitoring_internal.rollup_state AS s (state_id, watermark, advanced_at)
    VALUES (true, v_to, now())
    ON CONFLICT ON CONSTRAINT rollup_state_pkey DO UPDATE
    SET watermark = excluded.watermark, advanced_at = excluded.advanced_at;
    RETURN v_to;
END;
$_$;

COMMENT ON FUNCTION monitoring.advance_rollup_watermark() IS 'First step of refresh_rollups(): waits for in-flight writers, moves the rollup watermark to the minute rollups.lag_seconds before now and queues the new minutes in rollup_pending. Commit before apply_rollup_pending(). Returns the watermark; NULL when skipped (standby, writers held the lock longer than 5 s).';

CREATE FUNCTION monitoring.alert_fingerprint(p_labels jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Alertmanager's fingerprint of a label set (prometheus/common
-- model/signature.go): FNV-1a 64-bit over the labels sorted by name (bytes,
-- as Go sorts strings), each name and each value followed by the byte 0xff,
-- printed as 16 lowercase hex digits. The 64-bit product wraps, so it is
-- computed in numeric modulo 2^64; only the low byte takes the XOR.
DECLARE
    c_prime CONSTANT numeric := 1099511628211;
    c_modulus CONSTANT numeric := 18446744073709551616;
    v_hash numeric := 14695981039346656037;
    v_low integer;
    v_bytes bytea;
    v_text text;
BEGIN
    IF p_labels IS NULL OR jsonb_typeof(p_labels) <> 'object' THEN
        RETURN NULL;
    END IF;
    FOR v_text IN
        SELECT s.part FROM jsonb_each_text(p_labels) AS l,
             LATERAL (VALUES (1, l.key), (2, coalesce(l.value, ''))) AS s (n, part)
        ORDER BY l.key COLLATE "C", s.n
    LOOP
        v_bytes := convert_to(v_text, 'UTF8') || '\xff'::bytea;
        FOR i IN 0 .. length(v_bytes) - 1 LOOP
            v_low := (v_hash % 256)::integer;
            v_hash := ((v_hash - v_low + (v_low # get_byte(v_bytes, i))) * c_prime) % c_modulus;
        END LOOP;
    END LOOP;
    RETURN lpad(to_hex((v_hash - 9223372036854775808)::bigint # (-9223372036854775808)::bigint), 16, '0');
END;
$$;

COMMENT ON FUNCTION monitoring.alert_fingerprint(p_labels jsonb) IS 'Alertmanager''s fingerprint of a label set {"name": "value", ...}: 16 hex digits, equal to what Alertmanager and Prometheus compute for the same labels.';

CREATE FUNCTION monitoring.alert_response_report(p_since timestamp with time zone, p_until timestamp with time zone DEFAULT now()) RETURNS TABLE(rule_name text, alerts bigint, acknowledged bigint, resolved bigint, still_open bigint, mean_time_to_detect_seconds double precision, mean_time_to_acknowledge_seconds double precision, mean_time_to_resolve_seconds double precision, p95_time_to_resolve_seconds double precision, worst_severity text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- How fast alerts were seen and handled, per rule (or check type), for the
-- alerts raised in [p_since, p_until): time to detect (the condition first
-- held, breached_at, to the alert raised), to acknowledge, and to resolve
-- (raised to resolved). Alerts still open count in alerts and still_open,
-- not in the times. A row "(all)" sums every rule. Errors: PV001, PV004.
BEGIN
    -- At most 366 days: the history kept.
    PERFORM monitoring_internal.assert_time_range(p_since, p_until, interval '366 days');
    RETURN QUERY
    WITH raised AS (
        SELECT coalesce(a.rule_name, a.alert_type) AS rule_name, a.severity,
               extract(epoch FROM a.triggered_at - a.breached_at)::double precision AS to_detect,
               extract(epoch FROM a.acknowledged_at - a.triggered_at)::double precision AS to_acknowledge,
               extract(epoch FROM a.resolved_at - a.triggered_at)::double precision AS to_resolve,
               a.acknowledged_at IS NOT NULL AS was_acknowledged,
               a.resolved_at IS NOT NULL AS was_resolved
        FROM monitoring.alerts AS a
        WHERE a.triggered_at >= p_since AND a.triggered_at < p_until
    )
    SELECT coalesce(r.rule_name, '(all)'),
           count(*),
           count(*) FILTER (WHERE r.was_acknowledged),
           count(*) FILTER (WHERE r.was_resolved),
           count(*) FILTER (WHERE NOT r.was_resolved),
           avg(greatest(r.to_detect, 0)),
           avg(r.to_acknowledge),
           avg(r.to_resolve),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY r.to_resolve),
           (array_agg(r.severity ORDER BY CASE r.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1
                                                          WHEN 'medium' THEN 2 ELSE 3 END))[1]
    FROM raised AS r
    GROUP BY ROLLUP (r.rule_name)
    ORDER BY r.rule_name IS NULL, count(*) DESC, r.rule_name;
END;
$$;

COMMENT ON FUNCTION monitoring.alert_response_report(p_since timestamp with time zone, p_until timestamp with time zone) IS 'Per rule (or check type), for alerts raised in [since, until): alerts, acknowledged, resolved, still open, mean time to detect, acknowledge and resolve (seconds), p95 time to resolve, worst severity; a last row (all) over every rule. Errors: PV001, PV004.';

CREATE FUNCTION monitoring.alertmanager_alert_groups(p_filter text[] DEFAULT NULL::text[]) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- The notification groups with open alerts, as the Alertmanager API v2
    -- answers GET /api/v2/alerts/groups: labels (the group's), receiver
    -- {name}, and its alerts as alertmanager_alerts() writes them.
    WITH alerts AS (
        SELECT x AS alert FROM jsonb_array_elements(monitoring.alertmanager_alerts(p_filter)) AS x
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'labels', g.group_labels,
               'receiver', jsonb_build_object('name', g.receiver),
               'alerts', g.alerts) ORDER BY g.receiver, g.group_key), '[]')
    FROM (SELECT ng.receiver, ng.group_key, ng.group_labels,
                 (SELECT jsonb_agg(al.alert ORDER BY al.alert ->> 'startsAt')
                  FROM alerts AS al
                  WHERE al.alert ->> 'fingerprint' IN (
                      SELECT a.fingerprint FROM monitoring.notification_group_alerts AS m
                      JOIN monitoring.alerts AS a USING (alert_id)
                      WHERE m.group_id = ng.group_id AND a.resolved_at IS NULL)) AS alerts
          FROM monitoring.notification_groups AS ng) AS g
    WHERE g.alerts IS NOT NULL;
$$;

COMMENT ON FUNCTION monitoring.alertmanager_alert_groups(p_filter text[]) IS 'Notification groups with their open alerts, as the Alertmanager API v2 answers GET /api/v2/alerts/groups.';

CREATE FUNCTION monitoring.alertmanager_alerts(p_filter text[] DEFAULT NULL::text[], p_active boolean DEFAULT true, p_silenced boolean DEFAULT true, p_inhibited boolean DEFAULT true, p_receiver text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Open (firing) alerts, pgvigil's own and posted ones, as the
    -- Alertmanager API v2 answers GET /api/v2/alerts (gettableAlerts, what
    -- amtool alert query reads): labels, annotations, startsAt, endsAt
    -- (posted: its end; pgvigil's: last seen + resolve_timeout, as
    -- Alertmanager shows an alert it must hear of again), updatedAt,
    -- generatorURL, fingerprint, the receivers of its groups, and status:
    -- suppressed (silencedBy, inhibitedBy, from alert_suppressions()) or
    -- active. p_filter: amtool matchers, all must hold; p_active,
    -- p_silenced, p_inhibited: which states to include; p_receiver: a
    -- regular expression the receiver's whole name must match.
    WITH config AS (
        SELECT c.notifications,
               coalesce(monitoring_internal.parse_duration(c.notifications #> '{global,resolve_timeout}'), 300) AS resolve_timeout
        FROM monitoring_internal.notification_config AS c
    ), open AS (
        SELECT a.*,
               ARRAY(SELECT DISTINCT g.receiver FROM monitoring.notification_group_alerts AS m
                     JOIN monitoring.notification_groups AS g USING (group_id)
                     WHERE m.alert_id = a.alert_id ORDER BY 1) AS receivers,
               ARRAY(SELECT s.suppressed_by FROM monitoring_internal.alert_suppressions(
                         a.alert_id, a.labels, a.component, (SELECT notifications -> 'inhibit_rules' FROM config)) AS s
                     WHERE s.reason = 'silenced' ORDER BY 1) AS silenced_by,
               ARRAY(SELECT s.suppressed_by FROM monitoring_internal.alert_suppressions(
                         a.alert_id, a.labels, a.component, (SELECT notifications -> 'inhibit_rules' FROM config)) AS s
                     WHERE s.reason = 'inhibited' ORDER BY 1) AS inhibited_by
        FROM monitoring.alerts AS a
        WHERE a.resolved_at IS NULL AND a.labels IS NOT NULL
          AND (p_filter IS NULL OR monitoring.labels_match(p_filter, a.labels))
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'labels', o.labels,
               'annotations', coalesce(o.annotations, '{}'),
               'startsAt', monitoring_internal.alertmanager_time(o.triggered_at),
               'endsAt', monitoring_internal.alertmanager_time(coalesce(
                   o.ends_at, o.last_seen_at + make_interval(secs => (SELECT resolve_timeout FROM config)))),
               'updatedAt', monitoring_internal.alertmanager_time(o.last_seen_at),
               'generatorURL', coalesce(o.generator_url, ''),
               'fingerprint', o.fingerprint,
               'receivers', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', r)), '[]') FROM unnest(o.receivers) AS r),
               'status', jsonb_build_object(
                   'state', CASE WHEN cardinality(o.silenced_by) + cardinality(o.inhibited_by) > 0
                                 THEN 'suppressed' ELSE 'active' END,
                   'silencedBy', to_jsonb(o.silenced_by),
                   'inhibitedBy', to_jsonb(o.inhibited_by)))
               ORDER BY o.triggered_at, o.alert_id), '[]')
    FROM open AS o
    WHERE CASE WHEN cardinality(o.silenced_by) > 0 THEN p_silenced ELSE true END
      AND CASE WHEN cardinality(o.inhibited_by) > 0 THEN p_inhibited ELSE true END
      AND CASE WHEN cardinality(o.silenced_by) + cardinality(o.inhibited_by) = 0 THEN p_active ELSE true END
      AND (p_receiver IS NULL OR EXISTS (SELECT FROM unnest(o.receivers) AS r WHERE r ~ ('^(?:' || p_receiver || ')$')));
$_$;

COMMENT ON FUNCTION monitoring.alertmanager_alerts(p_filter text[], p_active boolean, p_silenced boolean, p_inhibited boolean, p_receiver text) IS 'Open alerts as the Alertmanager API v2 answers GET /api/v2/alerts: labels, annotations, times, fingerprint, receivers and status (active or suppressed, silencedBy, inhibitedBy); filtered by amtool matchers, state and receiver.';

CREATE FUNCTION monitoring.alertmanager_silences(p_silence_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Silences as the Alertmanager API v2 answers GET /api/v2/silences
    -- (gettableSilences, what amtool silence query reads): id, matchers
    -- {name, value, isRegex, isEqual}, startsAt, endsAt, updatedAt,
    -- createdBy, comment and status {state: pending, active or expired}.
    -- With p_silence_id, that one only (an empty array when unknown).
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', s.silence_id,
               'matchers', monitoring_internal.alertmanager_matchers(s.matchers),
               'startsAt', monitoring_internal.alertmanager_time(s.starts_at),
               'endsAt', monitoring_internal.alertmanager_time(s.ends_at),
               'updatedAt', monitoring_internal.alertmanager_time(s.updated_at),
               'createdBy', s.created_by,
               'comment', s.comment,
               'status', jsonb_build_object('state', CASE WHEN s.ends_at <= now() THEN 'expired'
                                                          WHEN s.starts_at > now() THEN 'pending' ELSE 'active' END))
               ORDER BY s.starts_at DESC, s.silence_id), '[]')
    FROM monitoring.silences AS s
    WHERE p_silence_id IS NULL OR s.silence_id = p_silence_id;
$$;

COMMENT ON FUNCTION monitoring.alertmanager_silences(p_silence_id uuid) IS 'Silences as the Alertmanager API v2 answers GET /api/v2/silences (or one, by id).';

CREATE FUNCTION monitoring.alertmanager_status() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- What the Alertmanager API v2's GET /api/v2/status and GET
    -- /api/v2/receivers need from the database: the active notifications
    -- section as its config (JSON is YAML; it holds no secret, only where
    -- each is read from: PV607 refuses inline ones) and the receivers'
    -- names. No cluster: pgvigil's state is the database's.
    SELECT jsonb_build_object(
        'config', jsonb_build_object('original', jsonb_pretty(c.notifications)),
        'cluster', jsonb_build_object('status', 'disabled', 'peers', '[]'::jsonb),
        'receivers', coalesce((SELECT jsonb_agg(jsonb_build_object('name', r ->> 'name') ORDER BY n)
                               FROM jsonb_array_elements(coalesce(c.notifications -> 'receivers', '[]'))
                                    WITH ORDINALITY AS x (r, n)), '[]'))
    FROM monitoring_internal.notification_config AS c;
$$;

COMMENT ON FUNCTION monitoring.alertmanager_status() IS 'The notifications config (as YAML-compatible JSON text), cluster status (disabled) and receiver names, for the Alertmanager API v2 status and receivers endpoints.';

CREATE FUNCTION monitoring.apply_config(p_document jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Makes p_document the active config after validating it; all problems are
-- reported at once in the DETAIL of one PV301 error, and nothing changes.
-- The checks read the new thresholds from their next run. Writes an
-- audit_log row: the old and new documents' SHA-256 and the changed keys.
DECLARE
    v_problems text[];
    v_code text;
    v_old jsonb;
BEGIN
    -- The settings first: the built-in rules name some of them, so a bad
    -- setting would show again as problems of the rules that use it.
    SELECT array_agg(problem) INTO v_problems FROM monitoring_internal.settings_problems(p_document) AS problem;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'invalid config: % problem(s)', cardinality(v_problems)
            USING ERRCODE = 'PV301',
                  DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = 'Compare with config/monitoring_config.json and its JSON Schema, fix every listed key, and apply again.';
    END IF;
    -- Then the rules' problems, with their own codes (PV501-PV509): the
    -- first one's code and hint, every problem in the DETAIL.
    SELECT array_agg(r.problem ORDER BY r.n), (array_agg(r.code ORDER BY r.n))[1] INTO v_problems, v_code
    FROM (SELECT x.problem, x.code, row_number() OVER () AS n
          FROM monitoring_internal.alert_rule_problems(p_document) AS x) AS r;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'invalid alert rules: % problem(s)', cardinality(v_problems)
            USING ERRCODE = v_code,
                  DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = monitoring_internal.rule_error_hint(v_code);
    END IF;
    -- The notifications section (an Alertmanager config), with its codes.
    SELECT array_agg(r.problem ORDER BY r.n), (array_agg(r.code ORDER BY r.n))[1] INTO v_problems, v_code
    FROM (SELECT x.problem, x.code, row_number() OVER () AS n
          FROM monitoring_internal.notification_problems(p_document) AS x) AS r;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'invalid notifications: % problem(s)', cardinality(v_problems)
            USING ERRCODE = v_code,
                  DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = monitoring_internal.notification_error_hint(v_code);
    END IF;
    -- Every upgrade would bring a shipped rule back: it can be disabled only.
    SELECT array_agg(s.rule_name ORDER BY s.rule_name) INTO v_problems
    FROM monitoring_internal.shipped_alert_rules AS s
    WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(CASE jsonb_typeof(p_document -> 'alert_rules')
                                                           WHEN 'array' THEN p_document -> 'alert_rules' END) AS r
                      WHERE r ->> 'name' = s.rule_name);
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'alert rules shipped with pgvigil cannot be removed: %', array_to_string(v_problems, ', ')
            USING ERRCODE = 'PV511', HINT = monitoring_internal.rule_error_hint('PV511');
    END IF;
    SELECT c.document INTO v_old FROM monitoring.config AS c FOR UPDATE;
    INSERT INTO monitoring.config AS c (config_id, document, applied_at, applied_by)
    VALUES (true, p_document, now(), session_user)
    ON CONFLICT ON CONSTRAINT config_pkey DO UPDATE
    SET document = excluded.document, applied_at = excluded.applied_at, applied_by = excluded.applied_by;
    PERFORM monitoring_internal.copy_notification_config(p_document);
    PERFORM monitoring_internal.write_audit_log('apply_config', 'config', jsonb_build_object(
        'old_sha256', encode(sha256(convert_to(v_old::text, 'UTF8')), 'hex'),
        'new_sha256', encode(sha256(convert_to(p_document::text, 'UTF8')), 'hex'),
        'changed_keys', to_jsonb(monitoring_internal.config_changed_keys(coalesce(v_old, '{}'), p_document))));
    PERFORM monitoring_internal.compile_alert_rules(p_document);
    RETURN p_document;
END;
$$;

COMMENT ON FUNCTION monitoring.apply_config(p_document jsonb) IS 'Validates and activates a config document (thresholds, alert rules, retention, schedules) and compiles its alert_rules into monitoring.alert_rules. Audited in monitoring.audit_log. Errors: PV301 for the settings, else PV501-PV511 for alert rules, else PV601-PV608 for notifications (the first problem''s code); every problem in the DETAIL.';

CREATE FUNCTION monitoring.apply_rollup_pending() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Second step of refresh_rollups(): recomputes the minute rollups of the
-- ranges queued in rollup_pending from the raw rows (delete, then insert the
-- fresh aggregate of performance_minute_aggregate() / task_minute_aggregate(),
-- the definitions the views' tails use too: idempotent, so a range queued
-- twice costs time, never a double count), then the 5-minute (performance
-- only) and hour rollups of every 5 minutes and hour touched from the minute
-- rollups (value sketches merged, their p95 stored), and removes what it did
-- from the queue, in one transaction. Work per run is bounded: at most
-- rollups.max_hours_per_run hours of ranges (both raw tables together),
-- oldest first; the rest stays queued for the next run (a first run on a
-- long history, a big late batch).
-- Ranges are clipped to the watermark (only below it are rollups kept) and
-- to the oldest raw rows retention guarantees (older minutes keep their
-- rollups rather than being recomputed from expired data).
-- Returns the minutes re-aggregated (summed over both raw tables); 0 when
-- another run holds the lock (safe to run twice at once) or on a standby.
DECLARE
    c_origin CONSTANT timestamptz := TIMESTAMPTZ '2000-01-01 00:00:00+00';
    v_started timestamptz := clock_timestamp();
    v_watermark timestamptz;
    v_performance_floor timestamptz;
    v_tasks_floor timestamptz;
    v_budget_minutes bigint;
    v_minutes bigint := 0;
    v_performance tstzmultirange;
    v_tasks tstzmultirange;
    v_performance_hours tstzmultirange := '{}'::tstzmultirange;
    v_performance_5min tstzmultirange := '{}'::tstzmultirange;
    v_task_hours tstzmultirange := '{}'::tstzmultirange;
    v_end timestamptz;
    v_hours tstzrange;
    v_day date;
    r record;
    h record;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN 0;
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('pgvigil.rollup_apply')) THEN
        RAISE NOTICE 'pgvigil: rollups already being applied in another session; skipped';
        RETURN 0;
    END IF;

    SELECT s.watermark INTO v_watermark FROM monitoring_internal.rollup_state AS s;
    v_watermark := coalesce(v_watermark, '-infinity');
    -- Raw rows are kept at least N days by whole UTC days (cleanup_old_monitoring_data).
    v_performance_floor := date_bin('1 day', now() - make_interval(days => 1)
                                                     * monitoring_internal.config_number('{retention,performance_monitoring_days}'),
                                    c_origin);
    v_tasks_floor := date_bin('1 day', now() - make_interval(days => 1)
                                               * monitoring_internal.config_number('{retention,processing_metrics_days}'),
                              c_origin);
    v_budget_minutes := greatest((monitoring_internal.config_number('{rollups,max_hours_per_run}') * 60)::bigint, 1);

    -- Take the whole queue; merge overlapping and adjacent ranges per table.
    WITH taken AS (
        DELETE FROM monitoring_internal.rollup_pending AS p
        RETURNING p.source, p.range_start, p.range_end
    )
    SELECT range_agg(tstzrange(t.range_start, t.range_end)) FILTER (WHERE t.source = 'performance_monitoring')
               * tstzmultirange(tstzrange(least(v_performance_floor, v_watermark), v_watermark)),
           range_agg(tstzrange(t.range_start, t.range_end)) FILTER (WHERE t.source = 'processing_metrics')
               * tstzmultirange(tstzrange(least(v_tasks_floor, v_watermark), v_watermark))
    INTO v_performance, v_tasks
    FROM taken AS t;

    FOR r IN
        SELECT u.source, lower(u.minutes) AS range_start, upper(u.minutes) AS range_end
        FROM (SELECT 'performance_monitoring' AS source, x.minutes FROM unnest(v_performance) AS x (minutes)
              UNION ALL
              SELECT 'processing_metrics', x.minutes FROM unnest(v_tasks) AS x (minutes)) AS u
        ORDER BY 2, 1
    LOOP
        v_end := least(r.range_end,
                       r.range_start + make_interval(mins => greatest(v_budget_minutes - v_minutes, 0)::integer));
        IF v_end < r.range_end THEN
            INSERT INTO monitoring_internal.rollup_pending (source, range_start, range_end)
            VALUES (r.source, v_end, r.range_end);
        END IF;
        CONTINUE WHEN v_end = r.range_start;
        v_hours := tstzrange(date_bin('1 hour', r.range_start, c_origin),
                             date_bin('1 hour', v_end - interval '1 microsecond', c_origin) + interval '1 hour');

        IF r.source = 'performance_monitoring' THEN
            FOR v_day IN SELECT d::date FROM generate_series(lower(v_hours) AT TIME ZONE 'UTC',
                                                             (upper(v_hours) - interval '1 hour') AT TIME ZONE 'UTC',
                                                             interval '1 day') AS d LOOP
                PERFORM monitoring_internal.create_partition('performance_rollup_minute', v_day);
            END LOOP;
            DELETE FROM monitoring.performance_rollup_minute AS m
            WHERE m.bucket >= r.range_start AND m.bucket < v_end;
            INSERT INTO monitoring.performance_rollup_minute
                (bucket, metric_name, metric_type, component, unit, sample_count, value_sum, value_min, value_max,
                 value_sketch)
            SELECT a.bucket, a.metric_name, a.metric_type, a.component, a.unit, a.sample_count,
                   a.value_sum, a.value_min, a.value_max, a.value_sketch
            FROM monitoring_internal.performance_minute_aggregate(r.range_start, v_end) AS a;
            v_performance_hours := v_performance_hours + tstzmultirange(v_hours);
            v_performance_5min := v_performance_5min
                + tstzmultirange(tstzrange(date_bin('5 minutes', r.range_start, c_origin),
                                           date_bin('5 minutes', v_end - interval '1 microsecond', c_origin)
                                               + interval '5 minutes'));
        ELSE
            FOR v_day IN SELECT d::date FROM generate_series(lower(v_hours) AT TIME ZONE 'UTC',
                                                             (upper(v_hours) - interval '1 hour') AT TIME ZONE 'UTC',
                                                             interval '1 day') AS d LOOP
                PERFORM monitoring_internal.create_partition('task_rollup_minute', v_day);
            END LOOP;
            DELETE FROM monitoring.task_rollup_minute AS m
            WHERE m.bucket >= r.range_start AND m.bucket < v_end;
            -- Tasks by the minute they ended: the end_time btree of every
            -- partition (they are by start_time, which is <= end_time).
            INSERT INTO monitoring.task_rollup_minute
                (bucket, task_type, ended_count, completed_count, failed_count, cancelled_count,
                 duration_sum, duration_min, duration_max, duration_buckets)
            SELECT a.bucket, a.task_type, a.ended_count, a.completed_count, a.failed_count, a.cancelled_count,
                   a.duration_sum, a.duration_min, a.duration_max, a.duration_buckets
            FROM monitoring_internal.task_minute_aggregate(r.range_start, v_end) AS a;
            v_task_hours := v_task_hours + tstzmultirange(v_hours);
        END IF;
        v_minutes := v_minutes + (extract(epoch FROM v_end - r.range_start) / 60)::bigint;
    END LOOP;

    -- 5 minutes and hours from their minutes (those holding the watermark:
    -- up to it).
    FOR h IN SELECT lower(x.buckets) AS bucket_start, upper(x.buckets) AS bucket_end
             FROM unnest(v_performance_5min) AS x (buckets) LOOP
        DELETE FROM monitoring.performance_rollup_5min AS o
        WHERE o.bucket >= h.bucket_start AND o.bucket < h.bucket_end;
        INSERT INTO monitoring.performance_rollup_5min
            (bucket, metric_name, metric_type, component, unit, sample_count, value_sum, value_min, value_max,
             value_sketch, value_p95)
        SELECT g.bucket, g.metric_name, g.metric_type, g.component, g.unit, g.sample_count,
               g.value_sum, g.value_min, g.value_max, g.value_sketch,
               monitoring_internal.estimate_value_percentile(g.value_sketch, 0.95, g.value_min, g.value_max)
        FROM (SELECT date_bin('5 minutes', m.bucket, c_origin) AS bucket,
                     m.metric_name, m.metric_type, m.component, m.unit,
                     sum(m.sample_count) AS sample_count, monitoring_internal.add_sample_sums(sum(m.value_sum) FILTER (WHERE abs(m.value_sum) < 1e300), sum(m.value_sum::numeric) FILTER (WHERE abs(m.value_sum) >= 1e300)) AS value_sum,
                     min(m.value_min) AS value_min, max(m.value_max) AS value_max,
                     -- A minute rolled up before the sketches existed: no sketch.
                     CASE WHEN count(m.value_sketch) = count(*)
                          THEN monitoring_internal.merge_value_sketches(m.value_sketch) END AS value_sketch
              FROM monitoring.performance_rollup_minute AS m
              WHERE m.bucket >= h.bucket_start AND m.bucket < h.bucket_end
              GROUP BY 1, 2, 3, 4, 5) AS g
        ORDER BY 1, 2, 4, 3, 5;  -- heap in key order: v_performance_trends reads it by the key
    END LOOP;
    FOR h IN SELECT lower(x.hours) AS hour_start, upper(x.hours) AS hour_end
             FROM unnest(v_performance_hours) AS x (hours) LOOP
        DELETE FROM monitoring.performance_rollup_hour AS o
        WHERE o.bucket >= h.hour_start AND o.bucket < h.hour_end;
        INSERT INTO monitoring.performance_rollup_hour
            (bucket, metric_name, metric_type, component, unit, sample_count, value_sum, value_min, value_max,
             value_sketch, value_p95)
        SELECT g.bucket, g.metric_name, g.metric_type, g.component, g.unit, g.sample_count,
               g.value_sum, g.value_min, g.value_max, g.value_sketch,
               monitoring_internal.estimate_value_percentile(g.value_sketch, 0.95, g.value_min, g.value_max)
        FROM (SELECT date_bin('1 hour', m.bucket, c_origin) AS bucket,
                     m.metric_name, m.metric_type, m.component, m.unit,
                     sum(m.sample_count) AS sample_count, monitoring_internal.add_sample_sums(sum(m.value_sum) FILTER (WHERE abs(m.value_sum) < 1e300), sum(m.value_sum::numeric) FILTER (WHERE abs(m.value_sum) >= 1e300)) AS value_sum,
                     min(m.value_min) AS value_min, max(m.value_max) AS value_max,
                     CASE WHEN count(m.value_sketch) = count(*)
                          THEN monitoring_internal.merge_value_sketches(m.value_sketch) END AS value_sketch
              FROM monitoring.performance_rollup_minute AS m
              WHERE m.bucket >= h.hour_start AND m.bucket < h.hour_end
              GROUP BY 1, 2, 3, 4, 5) AS g;
    END LOOP;
    FOR h IN SELECT lower(x.hours) AS hour_start, upper(x.hours) AS hour_end
             FROM unnest(v_task_hours) AS x (hours) LOOP
        DELETE FROM monitoring.task_rollup_hour AS o
        WHERE o.bucket >= h.hour_start AND o.bucket < h.hour_end;
        INSERT INTO monitoring.task_rollup_hour
            (bucket, task_type, ended_count, completed_count, failed_count, cancelled_count,
             duration_sum, duration_min, duration_max, duration_buckets)
        SELECT date_bin('1 hour', m.bucket, c_origin), m.task_type,
               sum(m.ended_count), sum(m.completed_count), sum(m.failed_count), sum(m.cancelled_count),
               sum(m.duration_sum), min(m.duration_min), max(m.duration_max),
               monitoring.sum_bucket_counts(m.duration_buckets)
        FROM monitoring.task_rollup_minute AS m
        WHERE m.bucket >= h.hour_start AND m.bucket < h.hour_end
        GROUP BY 1, 2;
    END LOOP;

    UPDATE monitoring_internal.rollup_state AS s
    SET applied_at = now(),
        apply_duration_seconds = extract(epoch FROM clock_timestamp() - v_started)::double precision,
        minutes_refreshed = v_minutes;
    RETURN v_minutes;
END;
$$;

COMMENT ON FUNCTION monitoring.apply_rollup_pending() IS 'Second step of refresh_rollups(): recomputes the minute rollups of the queued ranges from the raw rows and the 5-minute (performance) and hour rollups of the buckets touched, at most rollups.max_hours_per_run hours per run, oldest first. Returns the minutes re-aggregated; 0 when another run holds the lock or on a standby.';

CREATE FUNCTION monitoring.authenticate_api_key(p_key_hash bytea) RETURNS TABLE(key_id bigint, name text, role text, database_role text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- The key whose SHA-256 this is, if it is neither revoked nor expired, with
-- the database role its requests run as (viewer: pgvigil_reader, operator:
-- pgvigil_operator, admin: pgvigil_admin); no row otherwise. Called by
-- pgvigil serve on every request, in the request's transaction, so a
-- revocation holds from the next request. last_used_at is written at most
-- once a minute per key, so reads stay reads.
BEGIN
    RETURN QUERY
    SELECT k.key_id, k.name, k.role, monitoring_internal.database_role(k.role)
    FROM monitoring_internal.api_keys AS k
    WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > now());
    IF FOUND THEN
        UPDATE monitoring_internal.api_keys AS k SET last_used_at = now()
        WHERE k.key_hash = p_key_hash AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring.authenticate_api_key(p_key_hash bytea) IS 'The live (not revoked, not expired) API key with this SHA-256: id, name, role and the database role its requests run as; no row otherwise.';

CREATE FUNCTION monitoring.authenticate_web_session(p_token_hash bytea) RETURNS TABLE(kind text, id bigint, name text, role text, database_role text, expires_at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Who the web session with this token SHA-256 belongs to, as
    -- authenticate_api_key() answers for a key: kind (key or user), id,
    -- name, role and the database role its requests run as, with the
    -- session's expiry. No row when the session expired or was ended, its
    -- key was revoked or expired, or its user disabled. Called by pgvigil
    -- serve on every request that comes with the session cookie.
    SELECT 'key'::text, k.key_id, k.name, k.role, monitoring_internal.database_role(k.role), s.expires_at
    FROM monitoring_internal.web_sessions AS s
    JOIN monitoring_internal.api_keys AS k ON k.key_id = s.key_id
    WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
      AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
    UNION ALL
    SELECT 'user'::text, u.user_id, u.name, u.role, monitoring_internal.database_role(u.role), s.expires_at
    FROM monitoring_internal.web_sessions AS s
    JOIN monitoring_internal.web_users AS u ON u.user_id = s.user_id
    WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
      AND u.disabled_at IS NULL;
$$;

COMMENT ON FUNCTION monitoring.authenticate_web_session(p_token_hash bytea) IS 'The principal of the live web session with this token SHA-256: kind (key or user), id, name, role, the database role its requests run as, and the session''s expiry; no row when the session, its key or its user is no longer live.';

CREATE FUNCTION monitoring.begin_ingest_batch(p_batch_id uuid, p_created_at timestamp with time zone, p_event_count integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- First statement of every buffered batch's transaction. Returns false when
-- the batch was already written (a retry after a commit whose outcome the
-- client could not see): the client then rolls back instead of writing the
-- events twice. A concurrent attempt with the same id waits for the first.
BEGIN
    IF p_batch_id IS NULL OR p_created_at IS NULL OR p_event_count IS NULL THEN
        RAISE EXCEPTION 'batch_id, created_at and event_count must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'The client generates a UUID and a creation time per batch.';
    END IF;
    PERFORM monitoring_internal.assert_count('event_count', p_event_count);
    INSERT INTO monitoring_internal.ingest_batches (batch_id, created_at, event_count, application_name)
    VALUES (p_batch_id, p_created_at, p_event_count, current_setting('application_name'))
    ON CONFLICT (batch_id) DO NOTHING;
    RETURN FOUND;
END;
$$;

COMMENT ON FUNCTION monitoring.begin_ingest_batch(p_batch_id uuid, p_created_at timestamp with time zone, p_event_count integer) IS 'Buffered clients: registers a batch by id at the start of its transaction; false when it was already written. Errors: PV001, PV004.';

CREATE FUNCTION monitoring.check_error_rate_alerts() RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Errors per hour per component over alert_settings.error_rate_window_minutes,
    -- against alert_thresholds.error_rates: the shipped rule error_rate (alert
    -- type error_rate, subject = component).
    -- The original design's function, kept: it evaluates its rules (see
    -- builtin_check_rules); their thresholds and windows are still
    -- alert_thresholds and alert_settings.
    SELECT monitoring_internal.run_builtin_check('check_error_rate_alerts');
$$;

COMMENT ON FUNCTION monitoring.check_error_rate_alerts() IS 'Evaluates the shipped rule error_rate now (errors per hour per component over alert_settings.error_rate_window_minutes against alert_thresholds.error_rates) and returns the number of components alerting.';

CREATE FUNCTION monitoring.check_processing_performance_alerts() RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Three measures per task type, the shipped rules slow_processing (the
    -- alert_settings.processing_percentile of durations of tasks that ended in
    -- the window), task_failure_rate ((failed + timeout) / ended) and
    -- stuck_tasks (the oldest task still running), subject = task type.
    -- The original design's function, kept: it evaluates its rules (see
    -- builtin_check_rules); their thresholds and windows are still
    -- alert_thresholds and alert_settings.
    SELECT monitoring_internal.run_builtin_check('check_processing_performance_alerts');
$$;

COMMENT ON FUNCTION monitoring.check_processing_performance_alerts() IS 'Evaluates the shipped rules slow_processing (percentile of durations), task_failure_rate ((failed + timeout) / ended) and stuck_tasks (oldest running task) now, per task type; returns the number of alerts firing.';

CREATE FUNCTION monitoring.check_queue_backlog_alerts() RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Per queue, pending items of its latest sample younger than
    -- alert_settings.queue_sample_max_age_minutes against
    -- alert_thresholds.queue_backlog: the shipped rule queue_backlog (subject =
    -- queue name). A queue that stopped reporting clears its alert.
    -- The original design's function, kept: it evaluates its rules (see
    -- builtin_check_rules); their thresholds and windows are still
    -- alert_thresholds and alert_settings.
    SELECT monitoring_internal.run_builtin_check('check_queue_backlog_alerts');
$$;

COMMENT ON FUNCTION monitoring.check_queue_backlog_alerts() IS 'Evaluates the shipped rule queue_backlog now (pending items of each queue''s latest recent sample against alert_thresholds.queue_backlog); returns the number of queues alerting.';

CREATE FUNCTION monitoring.check_system_health_alerts() RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Per degraded or unhealthy component, seconds in that status against
    -- alert_thresholds.unhealthy_seconds, degraded held at
    -- alert_settings.degraded_max_severity: the shipped rule component_health
    -- (subject = component_type/component_name).
    -- The original design's function, kept: it evaluates its rules (see
    -- builtin_check_rules); their thresholds and windows are still
    -- alert_thresholds and alert_settings.
    SELECT monitoring_internal.run_builtin_check('check_system_health_alerts');
$$;

COMMENT ON FUNCTION monitoring.check_system_health_alerts() IS 'Evaluates the shipped rule component_health now (seconds degraded or unhealthy against alert_thresholds.unhealthy_seconds, degraded capped at alert_settings.degraded_max_severity); returns the number of components alerting.';

CREATE FUNCTION monitoring.check_watchdog(p_source text DEFAULT 'manual'::text) RETURNS TABLE(rule_name text, groups integer, pending integer, firing integer, transitions integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Evaluates only the rules over pgvigil itself (source kind pgvigil:
-- PgvigilEvaluationStalled, PgvigilJobFailing, Watchdog), from a pg_cron
-- job of its own (pgvigil-watchdog): when the evaluation job fails or
-- stops, this one still runs and says so. It is not an evaluation of the
-- rules (check_runs 'alert_rules' does not move), so it cannot hide a
-- stall. Returns no rows while an evaluation holds the lock: one is
-- running, so evaluation has not stalled.
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN;
    END IF;
    PERFORM monitoring_internal.assert_text('source', p_source, 200);
    IF NOT pg_try_advisory_xact_lock(hashtext('pgvigil.monitoring_checks')) THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT * FROM monitoring_internal.evaluate_rules(
        p_source, ARRAY(SELECT r.rule_name FROM monitoring.alert_rules AS r WHERE r.source_kind = 'pgvigil'));
END;
$$;

COMMENT ON FUNCTION monitoring.check_watchdog(p_source text) IS 'Evaluates the rules over pgvigil itself (evaluation stalled, pgvigil pg_cron jobs failing, Watchdog); run by the pgvigil-watchdog job. Returns no rows while an evaluation runs. Errors: PV001/PV008 (p_source).';

CREATE FUNCTION monitoring.claim_notifications(p_worker text, p_limit integer DEFAULT 20, p_lease_seconds double precision DEFAULT 60, p_integrations text[] DEFAULT NULL::text[], p_notification_ids bigint[] DEFAULT NULL::bigint[], p_skip_receivers text[] DEFAULT NULL::text[]) RETURNS TABLE(notification_id bigint, attempt integer, receiver text, integration text, integration_index integer, idempotency_key text, payload jsonb, config jsonb, timeout_seconds double precision, created_at timestamp with time zone, reason text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Claims up to p_limit notifications due for delivery (pending, due, not
-- claimed by a live lease; of the integrations p_integrations names, all
-- when NULL: a worker claims only what it can deliver; only those of
-- p_notification_ids when given: pgvigil notify test; none for the
-- receivers of p_skip_receivers, whose sends fill the worker's threads for
-- them) for one worker, with SKIP LOCKED so that
-- workers never take the same row, and returns them with the integration's
-- config (with what it inherits from global: integration_config) and send timeout (its config's or global http_timeout, 10 s by default; its secrets are only KEY_file / KEY_env references: the worker
-- reads them). The caller commits the claim, then sends with no lock held,
-- then records each attempt (record_notification_attempt). A worker killed
-- while sending leaves its lease to expire: the notification is sent again
-- (at least once; receivers dedupe by idempotency_key, the webhook-id).
BEGIN
    PERFORM monitoring_internal.assert_text('worker', p_worker, 200);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 OR p_lease_seconds IS NULL OR p_lease_seconds NOT BETWEEN 1 AND 3600 THEN
        RAISE EXCEPTION 'limit must be 1 to 1000 and lease 1 to 3600 seconds'
            USING ERRCODE = 'PV004', HINT = 'claim_notifications(worker, 20, 60): 20 notifications, leased for a minute.';
    END IF;
    RETURN QUERY
    WITH due AS (
        SELECT n.notification_id FROM monitoring.notifications AS n
        WHERE n.status = 'pending' AND n.next_attempt_at <= now()
          AND (p_integrations IS NULL OR n.integration = ANY (p_integrations))
          AND (p_notification_ids IS NULL OR n.notification_id = ANY (p_notification_ids))
          AND (p_skip_receivers IS NULL OR NOT n.receiver = ANY (p_skip_receivers))
          AND (n.claimed_until IS NULL OR n.claimed_until < now())
        ORDER BY n.next_attempt_at, n.notification_id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE monitoring.notifications AS n
        SET claimed_until = now() + make_interval(secs => p_lease_seconds), attempts = n.attempts + 1
        FROM due WHERE n.notification_id = due.notification_id
        RETURNING n.*
    )
    SELECT c.notification_id, c.attempts, c.receiver, c.integration, c.integration_index, c.idempotency_key,
           c.payload, ic.config, coalesce(monitoring_internal.parse_duration(ic.config -> 'timeout'), 10), c.created_at,
           c.reason
    FROM claimed AS c
    LEFT JOIN LATERAL (SELECT monitoring_internal.integration_config(cf.notifications, c.receiver, c.integration,
                                                                     c.integration_index) AS config
                       FROM monitoring_internal.notification_config AS cf) AS ic ON true
    ORDER BY c.notification_id;
END;
$$;

COMMENT ON FUNCTION monitoring.claim_notifications(p_worker text, p_limit integer, p_lease_seconds double precision, p_integrations text[], p_notification_ids bigint[], p_skip_receivers text[]) IS 'Claims due notifications for a worker (SKIP LOCKED, a lease of p_lease_seconds) and returns them with their integration config; commit, send, then record_notification_attempt(). Errors: PV001/PV008 (worker), PV004 (limit, lease).';

CREATE FUNCTION monitoring.cleanup_old_monitoring_data(p_lock_timeout_ms integer DEFAULT 50) RETURNS TABLE(table_name text, partitions_dropped integer, rows_removed bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Applies the retention of the config in one transaction, for a manual
-- run (the original design's `SELECT cleanup_old_monitoring_data()`): it
-- drops the daily partitions past retention (expired_partitions) and
-- deletes expired rows (expire_old_rows). A partition whose lock is not had
-- within p_lock_timeout_ms is skipped with a NOTICE and left for the next
-- run. Being one transaction, it holds each dropped table's lock until it
-- returns: the scheduled job runs CALL monitoring.run_retention() instead,
-- which commits after every partition so writers never wait on it.
-- Returns, per table, partitions dropped and rows removed (for dropped
-- partitions, the row count estimated by the statistics). Skips on a
-- standby or if another retention run is in progress.
DECLARE
    p record;
    v_rows bigint;
    v_dropped jsonb := '{}'::jsonb;  -- table name -> [partitions dropped, their rows]
BEGIN
    IF pg_is_in_recovery() OR NOT pg_try_advisory_xact_lock(hashtext('pgvigil.cleanup')) THEN
        RETURN;
    END IF;
    FOR p IN SELECT * FROM monitoring.expired_partitions() LOOP
        v_rows := monitoring.detach_expired_partition(p.table_name, p.partition_name, p_lock_timeout_ms);
        IF v_rows IS NOT NULL
           AND monitoring.drop_detached_partition(p.partition_name, p_lock_timeout_ms) THEN
            v_dropped := v_dropped || jsonb_build_object(p.table_name, jsonb_build_array(
                coalesce((v_dropped #>> ARRAY[p.table_name, '0'])::integer, 0) + 1,
                coalesce((v_dropped #>> ARRAY[p.table_name, '1'])::bigint, 0) + v_rows));
        END IF;
    END LOOP;
    RETURN QUERY
    SELECT e.table_name,
           coalesce((v_dropped #>> ARRAY[e.table_name, '0'])::integer, 0),
           e.rows_removed + coalesce((v_dropped #>> ARRAY[e.table_name, '1'])::bigint, 0)
    FROM monitoring.expire_old_rows() AS e;
END;
$$;

COMMENT ON FUNCTION monitoring.cleanup_old_monitoring_data(p_lock_timeout_ms integer) IS 'Applies retention in one transaction (manual use): drops daily partitions past retention (errors: the longest severity retention), skipping any whose lock is not had within p_lock_timeout_ms, and deletes expired rows (expire_old_rows). Returns partitions dropped and rows removed per table (estimated from statistics for dropped partitions). The scheduled job uses CALL monitoring.run_retention(), which commits per partition.';

CREATE FUNCTION monitoring.complete_task_tracking(p_task_id text, p_status text, p_output_size bigint DEFAULT NULL::bigint, p_step_timings jsonb DEFAULT NULL::jsonb, p_event_time timestamp with time zone DEFAULT now()) RETURNS double precision
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Records the end of a running task and returns its duration in seconds.
-- finish_tasks (shared with the buffered path) takes the start time from
-- running_tasks by primary key and updates one partition, without a search.
DECLARE
    v_duration_seconds double precision;
BEGIN
    PERFORM monitoring_internal.assert_task_completion(p_task_id, p_status, p_output_size, p_step_timings);
    PERFORM monitoring_internal.assert_event_time(p_event_time);
    SELECT f.duration_seconds INTO v_duration_seconds
    FROM monitoring_internal.finish_tasks(ARRAY[p_task_id], ARRAY[p_status], ARRAY[p_output_size],
                                 ARRAY[p_step_timings], ARRAY[p_event_time]) AS f;
    IF NOT FOUND THEN
        -- Error path only: tell "finished already" from "never started".
        IF EXISTS (SELECT FROM monitoring.processing_metrics AS m WHERE m.task_id = p_task_id) THEN
            RAISE EXCEPTION 'task % is already completed', p_task_id
                USING ERRCODE = 'PV103',
                      HINT = 'A task is completed once; start a new task id for a retry.';
        END IF;
        RAISE EXCEPTION 'unknown task: %', p_task_id
            USING ERRCODE = 'PV102',
                  HINT = 'Call start_task_tracking() for this task id first.';
    END IF;
    RETURN v_duration_seconds;
END;
$$;

COMMENT ON FUNCTION monitoring.complete_task_tracking(p_task_id text, p_status text, p_output_size bigint, p_step_timings jsonb, p_event_time timestamp with time zone) IS 'Records the end of a running task with status completed, failed, cancelled or timeout, output_size in bytes and step timings in seconds. Returns the duration in seconds. Errors: PV001, PV002, PV004, PV005, PV006, PV007, PV008, PV102, PV103.';

CREATE FUNCTION monitoring.component_uptime_report(p_since timestamp with time zone, p_until timestamp with time zone DEFAULT now()) RETURNS TABLE(component_type text, component_name text, observed_seconds double precision, healthy_seconds double precision, degraded_seconds double precision, unhealthy_seconds double precision, uptime_ratio numeric, incidents bigint, mean_time_to_recovery_seconds double precision)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Each component's health over [p_since, p_until), from its status changes
-- (system_health_history): the seconds it was observed in each status, its
-- uptime (the share of observed time healthy, 0 to 1, as in
-- v_system_health_summary), its incidents (changes away from healthy) and
-- the mean of their recoveries that ended in the range. A component is
-- observed from its first report on. Errors: PV001, PV004.
BEGIN
    -- At most 366 days: the history kept.
    PERFORM monitoring_internal.assert_time_range(p_since, p_until, interval '366 days');
    RETURN QUERY
    WITH status_changes AS (
        SELECT hh.component_type, hh.component_name, hh.status, hh.changed_at, hh.previous_status,
               hh.recovery_seconds
        FROM monitoring.system_health_history AS hh
        WHERE hh.changed_at >= p_since AND hh.changed_at < p_until
        UNION ALL
        -- Each component's status when the range opened: its last change before.
        SELECT h.component_type, h.component_name, opening.status, opening.changed_at, NULL, NULL
        FROM monitoring.system_health AS h
        CROSS JOIN LATERAL (
            SELECT hh.status, hh.changed_at
            FROM monitoring.system_health_history AS hh
            WHERE hh.component_type = h.component_type
              AND hh.component_name = h.component_name
              AND hh.changed_at < p_since
            ORDER BY hh.changed_at DESC
            LIMIT 1
        ) AS opening
    ), periods AS (
        SELECT c.component_type, c.component_name, c.status, c.changed_at, c.previous_status,
               c.recovery_seconds,
               extract(epoch FROM
                   least(coalesce(lead(c.changed_at) OVER w, p_until), p_until, now())
                   - greatest(c.changed_at, p_since))::double precision AS seconds
        FROM status_changes AS c
        WINDOW w AS (PARTITION BY c.component_type, c.component_name ORDER BY c.changed_at)
    )
    SELECT p.component_type, p.component_name,
           sum(greatest(p.seconds, 0)),
           coalesce(sum(greatest(p.seconds, 0)) FILTER (WHERE p.status = 'healthy'), 0),
           coalesce(sum(greatest(p.seconds, 0)) FILTER (WHERE p.status = 'degraded'), 0),
           coalesce(sum(greatest(p.seconds, 0)) FILTER (WHERE p.status = 'unhealthy'), 0),
           round((coalesce(sum(greatest(p.seconds, 0)) FILTER (WHERE p.status = 'healthy'), 0)
                  / nullif(sum(greatest(p.seconds, 0)), 0))::numeric, 4),
           count(*) FILTER (WHERE p.changed_at >= p_since AND p.previous_status = 'healthy'
                                  AND p.status <> 'healthy'),
           avg(p.recovery_seconds) FILTER (WHERE p.changed_at >= p_since)
    FROM periods AS p
    GROUP BY p.component_type, p.component_name
    ORDER BY 7 NULLS LAST, p.component_type, p.component_name;
END;
$$;

COMMENT ON FUNCTION monitoring.component_uptime_report(p_since timestamp with time zone, p_until timestamp with time zone) IS 'Per component, over [since, until): seconds observed, healthy, degraded and unhealthy; uptime ratio (healthy share of observed time, 0 to 1); incidents (changes away from healthy); mean time to recovery of the recoveries in the range (seconds). Errors: PV001, PV004.';

CREATE FUNCTION monitoring.confirm_metric_copy(p_first_event_time timestamp with time zone, p_last_event_time timestamp with time zone) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Called after a buffered client's COPY into performance_monitoring, in the
-- same transaction, with the earliest and latest event time of the rows.
-- The table's checks cover the values; the event-time rule depends on now()
-- and the config, so it is applied here to the batch's range (PV006 rolls
-- the COPY back), and late rows are noted for the rollups.
BEGIN
    PERFORM monitoring_internal.assert_event_time(p_first_event_time);
    PERFORM monitoring_internal.assert_event_time(p_last_event_time);
    IF p_last_event_time < p_first_event_time THEN
        RAISE EXCEPTION 'the last event time % is before the first %', p_last_event_time, p_first_event_time
            USING ERRCODE = 'PV006',
                  HINT = 'Pass the earliest and the latest event time of the copied rows, in that order.';
    END IF;
    PERFORM monitoring_internal.note_ingest('performance_monitoring', p_first_event_time, p_last_event_time);
END;
$$;

COMMENT ON FUNCTION monitoring.confirm_metric_copy(p_first_event_time timestamp with time zone, p_last_event_time timestamp with time zone) IS 'Buffered clients: after a COPY into performance_monitoring, checks the rows'' event-time range and notes late rows for the rollups. Errors: PV001, PV006.';

CREATE FUNCTION monitoring.create_api_key(p_name text, p_role text, p_key_hash bytea, p_key_prefix text, p_expires_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Registers an API key of pgvigil serve and returns its id. The key itself
-- never comes here: its maker (pgvigil keys create) passes its SHA-256 and
-- its first characters (to recognise it in lists). A role is viewer,
-- operator or admin. Validated whole (PV701); audited as create_api_key.
DECLARE
    v_id bigint;
BEGIN
    IF p_name IS NULL OR btrim(p_name) = '' OR length(p_name) > 200 THEN
        RAISE EXCEPTION 'invalid API key: a name of 1 to 200 characters is required'
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF p_role IS NULL OR p_role NOT IN ('viewer', 'operator', 'admin') THEN
        RAISE EXCEPTION 'invalid API key: unknown role %', coalesce(p_role, 'NULL')
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF p_key_hash IS NULL OR octet_length(p_key_hash) <> 32 THEN
        RAISE EXCEPTION 'invalid API key: the key''s SHA-256 (32 bytes) is required'
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF p_key_prefix IS NULL OR length(p_key_prefix) NOT BETWEEN 4 AND 16 THEN
        RAISE EXCEPTION 'invalid API key: a prefix of 4 to 16 characters is required'
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF p_expires_at IS NOT NULL AND p_expires_at <= now() THEN
        RAISE EXCEPTION 'invalid API key: it would expire at %, which is not in the future', p_expires_at
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    IF EXISTS (SELECT FROM monitoring_internal.api_keys AS k WHERE k.key_hash = p_key_hash) THEN
        RAISE EXCEPTION 'invalid API key: this key is registered already'
            USING ERRCODE = 'PV701', HINT = monitoring_internal.api_key_error_hint('PV701');
    END IF;
    INSERT INTO monitoring_internal.api_keys (name, role, key_hash, key_prefix, created_by, expires_at)
    VALUES (btrim(p_name), p_role, p_key_hash, p_key_prefix,
            coalesce(nullif(current_setting('pgvigil.on_behalf_of', true), ''), session_user::text), p_expires_at)
    RETURNING key_id INTO v_id;
    PERFORM monitoring_internal.write_audit_log('create_api_key', v_id::text, jsonb_build_object(
        'key_id', v_id, 'name', btrim(p_name), 'role', p_role, 'key_prefix', p_key_prefix,
        'expires_at', p_expires_at));
    PERFORM pg_notify('pgvigil_live', 'keys');  -- servers forget the keys they checked
    RETURN v_id;
END;
$$;

COMMENT ON FUNCTION monitoring.create_api_key(p_name text, p_role text, p_key_hash bytea, p_key_prefix text, p_expires_at timestamp with time zone) IS 'Registers an API key (its SHA-256 and prefix, never the key) with a name, a role (viewer, operator, admin) and an optional expiry; returns its id. Audited. Errors: PV701.';

CREATE FUNCTION monitoring.create_silence(p_matchers text[], p_comment text, p_ends_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_duration text DEFAULT NULL::text, p_starts_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_created_by text DEFAULT NULL::text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Creates an Alertmanager silence and returns its id: matchers written as
-- amtool writes them (alertname="DiskFull", service=~"api|web"), an end
-- (p_ends_at, or p_duration such as '2h' from the start), a start (now by
-- default: a later one makes it pending), the creator (the session user by
-- default) and a comment. While active, the alerts it matches are not
-- notified; each notification it holds back is logged with its id
-- (monitoring.notification_suppressions). Validated whole (PV602, PV604);
-- a failed call writes nothing. Audited as create_silence.
DECLARE
    v_starts_at timestamptz := coalesce(p_starts_at, now());
    v_ends_at timestamptz := p_ends_at;
    v_created_by text := coalesce(nullif(btrim(p_created_by), ''), session_user::text);
    v_matchers jsonb;
    v_id uuid;
BEGIN
    IF p_ends_at IS NOT NULL AND p_duration IS NOT NULL THEN
        RAISE EXCEPTION 'invalid silence: give an end or a duration, not both'
            USING ERRCODE = 'PV604', HINT = monitoring_internal.silence_error_hint('PV604');
    END IF;
    IF p_duration IS NOT NULL THEN
        v_ends_at := v_starts_at + monitoring_internal.silence_duration(p_duration);
    END IF;
    v_matchers := monitoring_internal.raise_silence_problems(coalesce(p_matchers, '{}'::text[]), v_starts_at, v_ends_at, v_created_by, p_comment);
    INSERT INTO monitoring.silences (matchers, starts_at, ends_at, created_by, comment)
    VALUES (v_matchers, v_starts_at, v_ends_at, v_created_by, p_comment)
    RETURNING silence_id INTO v_id;
    PERFORM monitoring_internal.write_audit_log('create_silence', v_id::text, jsonb_build_object(
        'silence_id', v_id, 'matchers', v_matchers, 'starts_at', v_starts_at, 'ends_at', v_ends_at,
        'created_by', v_created_by, 'comment', p_comment));
    RETURN v_id;
END;
$$;

COMMENT ON FUNCTION monitoring.create_silence(p_matchers text[], p_comment text, p_ends_at timestamp with time zone, p_duration text, p_starts_at timestamp with time zone, p_created_by text) IS 'Creates a silence (matchers as amtool writes them, an end or a duration, an optional later start) and returns its id. Audited. Errors: PV602 (matchers), PV604 (the rest).';

CREATE FUNCTION monitoring.create_web_session(p_token_hash bytea, p_key_id bigint, p_user_id bigint, p_lifetime interval DEFAULT '12:00:00'::interval) RETURNS TABLE(session_id bigint, expires_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Opens a login session of pgvigil serve's web dashboard for exactly one
-- live API key or web user, once the server has checked the key or the
-- password, and returns its id and expiry. The session's token stays in
-- the cookie: only its SHA-256 comes here. A key's session ends when the
-- key expires, if that is sooner than p_lifetime (more than 0, at most 30
-- days). Sessions that expired over a day ago are deleted here, so the
-- table holds about one lifetime's logins. Audited as create_web_session.
-- Errors: PV705.
DECLARE
    v_key monitoring_internal.api_keys;
    v_user monitoring_internal.web_users;
    v_expires_at timestamptz;
    v_id bigint;
BEGIN
    IF p_token_hash IS NULL OR octet_length(p_token_hash) <> 32 THEN
        RAISE EXCEPTION 'invalid web session: the token''s SHA-256 (32 bytes) is required'
            USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
    END IF;
    IF num_nonnulls(p_key_id, p_user_id) <> 1 THEN
        RAISE EXCEPTION 'invalid web session: it belongs to exactly one API key or web user'
            USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
    END IF;
    IF p_lifetime IS NULL OR p_lifetime <= interval '0' OR p_lifetime > interval '30 days' THEN
        RAISE EXCEPTION 'invalid web session: a lifetime of more than 0 and at most 30 days is required, not %',
                        coalesce(p_lifetime::text, 'NULL')
            USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
    END IF;
    v_expires_at := now() + p_lifetime;
    IF p_key_id IS NOT NULL THEN
        SELECT * INTO v_key FROM monitoring_internal.api_keys AS k
        WHERE k.key_id = p_key_id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now());
        IF NOT FOUND THEN
            RAISE EXCEPTION 'invalid web session: no live API key has the id %', p_key_id
                USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
        END IF;
        v_expires_at := least(v_expires_at, v_key.expires_at);
    ELSE
        SELECT * INTO v_user FROM monitoring_internal.web_users AS u
        WHERE u.user_id = p_user_id AND u.disabled_at IS NULL
        FOR NO KEY UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'invalid web session: no live web user has the id %', p_user_id
                USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
        END IF;
    END IF;
    IF EXISTS (SELECT FROM monitoring_internal.web_sessions AS s WHERE s.token_hash = p_token_hash) THEN
        RAISE EXCEPTION 'invalid web session: this token is registered already'
            USING ERRCODE = 'PV705', HINT = monitoring_internal.web_user_error_hint('PV705');
    END IF;
    DELETE FROM monitoring_internal.web_sessions AS s WHERE s.expires_at < now() - interval '1 day';
    INSERT INTO monitoring_internal.web_sessions (token_hash, key_id, user_id, expires_at)
    VALUES (p_token_hash, p_key_id, p_user_id, v_expires_at)
    RETURNING monitoring_internal.web_sessions.session_id INTO v_id;
    IF p_user_id IS NOT NULL THEN
        UPDATE monitoring_internal.web_users AS u SET last_login_at = now() WHERE u.user_id = p_user_id;
    END IF;
    PERFORM monitoring_internal.write_audit_log('create_web_session', v_id::text, jsonb_build_object(
        'session_id', v_id,
        'kind', CASE WHEN p_key_id IS NOT NULL THEN 'key' ELSE 'user' END,
        'key_id', p_key_id, 'user_id', p_user_id,
        'name', coalesce(v_key.name, v_user.name), 'expires_at', v_expires_at));
    session_id := v_id;
    expires_at := v_expires_at;
    RETURN NEXT;
END;
$$;

COMMENT ON FUNCTION monitoring.create_web_session(p_token_hash bytea, p_key_id bigint, p_user_id bigint, p_lifetime interval) IS 'Opens a web dashboard session (by the SHA-256 of its token) for exactly one live API key or web user, for p_lifetime (12 hours by default, at most 30 days; a key''s session ends with the key); returns its id and expiry. Audited. Errors: PV705.';

CREATE FUNCTION monitoring.create_web_user(p_name text, p_role text, p_password_hash text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Registers a web user of pgvigil serve (who logs in to the dashboard with
-- a name and a password) and returns its id. The password never comes
-- here: its receiver (pgvigil users create, POST /api/v1/users) hashes it
-- with argon2id and passes the PHC string; anything else is refused, so a
-- plaintext password cannot be stored. A role is viewer, operator or
-- admin; a name is never reused, a disabled user's neither. Validated whole
-- (PV703); audited as create_web_user (never with the hash).
DECLARE
    v_id bigint;
BEGIN
    IF p_name IS NULL OR btrim(p_name) = '' OR length(btrim(p_name)) > 200 THEN
        RAISE EXCEPTION 'invalid web user: a name of 1 to 200 characters is required'
            USING ERRCODE = 'PV703', HINT = monitoring_internal.web_user_error_hint('PV703');
    END IF;
    IF p_role IS NULL OR p_role NOT IN ('viewer', 'operator', 'admin') THEN
        RAISE EXCEPTION 'invalid web user: unknown role %', coalesce(p_role, 'NULL')
            USING ERRCODE = 'PV703', HINT = monitoring_internal.web_user_error_hint('PV703');
    END IF;
    IF p_password_hash IS NULL
       OR p_password_hash !~ '^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$' THEN
        -- The value is not repeated in the message: it may be a password.
        RAISE EXCEPTION 'invalid web user: the password must be given as its argon2id hash (a PHC string)'
            USING ERRCODE = 'PV703', HINT = monitoring_internal.web_user_error_hint('PV703');
    END IF;
    IF EXISTS (SELECT FROM monitoring_internal.web_users AS u WHERE u.name = btrim(p_name)) THEN
        RAISE EXCEPTION 'invalid web user: the name % is taken', btrim(p_name)
            USING ERRCODE = 'PV703', HINT = monitoring_internal.web_user_error_hint('PV703');
    END IF;
    INSERT INTO monitoring_internal.web_users (name, role, password_hash, created_by)
    VALUES (btrim(p_name), p_role, p_password_hash,
            coalesce(nullif(current_setting('pgvigil.on_behalf_of', true), ''), session_user::text))
    RETURNING user_id INTO v_id;
    PERFORM monitoring_internal.write_audit_log('create_web_user', v_id::text, jsonb_build_object(
        'user_id', v_id, 'name', btrim(p_name), 'role', p_role));
    RETURN v_id;
END;
$_$;

COMMENT ON FUNCTION monitoring.create_web_user(p_name text, p_role text, p_password_hash text) IS 'Registers a web user of pgvigil serve with a name (never reused), a role (viewer, operator, admin) and the argon2id hash of its password (a PHC string; nothing else is accepted); returns its id. Audited. Errors: PV703.';

CREATE FUNCTION monitoring.delete_alert_rule(p_rule_name text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Removes a rule from the active config; its open alerts resolve. A rule
-- the shipped config defines cannot be removed (apply_config refuses a
-- config without it, PV511): disable it instead. Audited.
DECLARE
    v_document jsonb;
BEGIN
    PERFORM monitoring_internal.assert_text('rule_name', p_rule_name, 100);
    SELECT c.document INTO v_document FROM monitoring.config AS c FOR UPDATE;
    IF NOT EXISTS (SELECT FROM jsonb_array_elements(coalesce(v_document -> 'alert_rules', '[]')) AS r
                   WHERE r ->> 'name' = p_rule_name) THEN
        RAISE EXCEPTION 'unknown alert rule: %', p_rule_name
            USING ERRCODE = 'PV510', HINT = monitoring_internal.rule_error_hint('PV510');
    END IF;
    PERFORM monitoring.apply_config(jsonb_set(v_document, '{alert_rules}', coalesce(
        (SELECT jsonb_agg(r ORDER BY n) FROM jsonb_array_elements(v_document -> 'alert_rules') WITH ORDINALITY AS x (r, n)
         WHERE r ->> 'name' <> p_rule_name), '[]')));
    PERFORM monitoring_internal.write_audit_log('change_alert_rule', p_rule_name, jsonb_build_object('operation', 'delete'));
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.delete_alert_rule(p_rule_name text) IS 'Removes an alert rule from the active config; its alerts resolve. Audited. Errors: PV001, PV008, PV510 (unknown rule), PV511 (a shipped rule: disable it instead).';

CREATE FUNCTION monitoring.delete_component(p_component text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Removes a component from the registry (one that is still reporting comes
-- back, without its labels, at the next sweep). Refused while others
-- depend on it (PV523). Audited as change_component.
DECLARE
    v_dependents text[];
BEGIN
    PERFORM monitoring_internal.assert_text('component', p_component, 200);
    PERFORM FROM monitoring.components AS c WHERE c.component = p_component FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown component: %', p_component
            USING ERRCODE = 'PV522', HINT = monitoring_internal.component_error_hint('PV522');
    END IF;
    v_dependents := ARRAY(SELECT c.component FROM monitoring.components AS c
                          WHERE p_component = ANY (c.depends_on) ORDER BY 1);
    IF v_dependents <> '{}' THEN
        RAISE EXCEPTION 'component % cannot be deleted: % depend on it', p_component, array_to_string(v_dependents, ', ')
            USING ERRCODE = 'PV523', HINT = monitoring_internal.component_error_hint('PV523');
    END IF;
    DELETE FROM monitoring.components AS c WHERE c.component = p_component;
    PERFORM monitoring_internal.write_audit_log('change_component', p_component,
                                                jsonb_build_object('operation', 'delete'));
END;
$$;

COMMENT ON FUNCTION monitoring.delete_component(p_component text) IS 'Removes a component from the registry. Audited. Errors: PV522 (unknown), PV523 (others depend on it).';

CREATE FUNCTION monitoring.detach_expired_partition(p_table_name text, p_partition_name text, p_lock_timeout_ms integer DEFAULT 50) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Detaches one expired partition from its history table, waiting at most
-- p_lock_timeout_ms for the lock. DETACH needs ACCESS EXCLUSIVE on the
-- parent, and every writer queues behind a waiting DETACH: a reader with a
-- long transaction open on the table would otherwise stall all ingest for
-- as long as it stays open. Returns the partition's row estimate from the
-- statistics (counting would read the whole day), or NULL when the lock
-- could not be had in time: the caller retries later. A table already
-- detached returns its estimate too. Not CONCURRENTLY: that form cannot run
-- inside a function or procedure; the caller commits right after instead.
DECLARE
    v_rows bigint;
    v_attached boolean;
BEGIN
    SELECT greatest(c.reltuples, 0)::bigint, c.relispartition INTO v_rows, v_attached
    FROM pg_catalog.pg_class AS c
    WHERE c.relnamespace = 'monitoring'::regnamespace AND c.relname = p_partition_name;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    IF v_attached THEN
        BEGIN
            PERFORM pg_catalog.set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
            EXECUTE format('ALTER TABLE monitoring.%I DETACH PARTITION monitoring.%I',
                           p_table_name, p_partition_name);
            PERFORM pg_catalog.set_config('lock_timeout', '0', true);
        EXCEPTION WHEN lock_not_available THEN
            RAISE NOTICE 'pgvigil retention: monitoring.% is busy (no lock within % ms); retried on the next run',
                p_table_name, p_lock_timeout_ms;
            RETURN NULL;
        END;
    END IF;
    RETURN v_rows;
END;
$$;

COMMENT ON FUNCTION monitoring.detach_expired_partition(p_table_name text, p_partition_name text, p_lock_timeout_ms integer) IS 'Detaches an expired partition, waiting at most p_lock_timeout_ms for the lock; returns its estimated rows, or NULL when the table was busy (retry later). Called by run_retention() and cleanup_old_monitoring_data().';

CREATE FUNCTION monitoring.disable_web_user(p_name text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Disables a web user: it cannot log in any more, and its sessions end
-- now, so pgvigil serve refuses them from the next request (401). Returns
-- false when it was disabled already. The row stays, so the audit log's
-- user:NAME keeps a meaning and the name is not given to anyone else.
-- Audited as disable_web_user. Errors: PV704 an unknown name.
DECLARE
    v_user monitoring_internal.web_users;
    v_ended bigint;
BEGIN
    SELECT * INTO v_user FROM monitoring_internal.web_users AS u WHERE u.name = p_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown web user: %', coalesce(p_name, 'NULL')
            USING ERRCODE = 'PV704', HINT = monitoring_internal.web_user_error_hint('PV704');
    END IF;
    IF v_user.disabled_at IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE monitoring_internal.web_users AS u
    SET disabled_at = now(),
        disabled_by = coalesce(nullif(current_setting('pgvigil.on_behalf_of', true), ''), session_user::text)
    WHERE u.user_id = v_user.user_id;
    UPDATE monitoring_internal.web_sessions AS s SET revoked_at = now()
    WHERE s.user_id = v_user.user_id AND s.revoked_at IS NULL AND s.expires_at > now();
    GET DIAGNOSTICS v_ended = ROW_COUNT;
    PERFORM monitoring_internal.write_audit_log('disable_web_user', v_user.user_id::text, jsonb_build_object(
        'user_id', v_user.user_id, 'name', v_user.name, 'role', v_user.role, 'sessions_ended', v_ended));
    PERFORM pg_notify('pgvigil_live', 'keys');  -- servers forget the principals they checked
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.disable_web_user(p_name text) IS 'Disables a web user and ends its sessions (refused from the next request); false when it was disabled already. Audited. Errors: PV704.';

CREATE FUNCTION monitoring.drop_detached_partition(p_partition_name text, p_lock_timeout_ms integer DEFAULT 50) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Drops a partition that detach_expired_partition() detached. It is a
-- table of its own by now, so the DROP locks no history table: writers do
-- not wait for the file removal, which grows with the day's size. Returns
-- false, dropping nothing, when the table is busy or still attached.
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_class AS c
               WHERE c.relnamespace = 'monitoring'::regnamespace
                 AND c.relname = p_partition_name AND c.relispartition) THEN
        RETURN false;
    END IF;
    BEGIN
        PERFORM pg_catalog.set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
        EXECUTE format('DROP TABLE IF EXISTS monitoring.%I', p_partition_name);
        PERFORM pg_catalog.set_config('lock_timeout', '0', true);
    EXCEPTION WHEN lock_not_available THEN
        RAISE NOTICE 'pgvigil retention: monitoring.% is busy; dropped on the next run', p_partition_name;
        RETURN false;
    END;
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.drop_detached_partition(p_partition_name text, p_lock_timeout_ms integer) IS 'Drops a detached expired partition, waiting at most p_lock_timeout_ms for its lock; false when busy (retried on the next run).';

CREATE FUNCTION monitoring.enable_integration(p_receiver text, p_integration text DEFAULT NULL::text, p_integration_index integer DEFAULT NULL::integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Enables again the integrations of a receiver disabled after a 410 Gone
-- (all of them, or one integration kind, or one config of it), for when
-- the endpoint is back without a config change. Returns how many were
-- enabled; the next notifications go to them.
DECLARE
    v_count integer;
BEGIN
    PERFORM monitoring_internal.assert_text('receiver', p_receiver, 200);
    DELETE FROM monitoring.disabled_integrations AS d
    WHERE d.receiver = p_receiver
      AND (p_integration IS NULL OR d.integration = p_integration)
      AND (p_integration_index IS NULL OR d.integration_index = p_integration_index);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

COMMENT ON FUNCTION monitoring.enable_integration(p_receiver text, p_integration text, p_integration_index integer) IS 'Enables again a receiver''s integrations disabled after a 410 Gone; returns how many. Errors: PV001/PV008 (receiver).';

CREATE FUNCTION monitoring.end_web_session(p_token_hash bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Ends the web session with this token SHA-256 (a logout): refused from the
-- next request on. Returns false when there was no live session with it, so
-- a second logout is harmless. Audited as end_web_session.
DECLARE
    v_session monitoring_internal.web_sessions;
BEGIN
    UPDATE monitoring_internal.web_sessions AS s SET revoked_at = now()
    WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
    RETURNING s.* INTO v_session;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM monitoring_internal.write_audit_log('end_web_session', v_session.session_id::text, jsonb_build_object(
        'session_id', v_session.session_id, 'key_id', v_session.key_id, 'user_id', v_session.user_id));
    PERFORM pg_notify('pgvigil_live', 'keys');  -- servers forget the principals they checked
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.end_web_session(p_token_hash bytea) IS 'Ends the live web session with this token SHA-256 (logout); false when there was none. Audited.';

CREATE FUNCTION monitoring.estimate_percentile(p_bucket_counts bigint[], p_fraction double precision) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
-- Estimates a percentile of task durations from counts per bucket of
-- monitoring.task_duration_bounds() (duration_buckets of the task rollups),
-- as Prometheus' histogram_quantile does: find the bucket holding the rank
-- p_fraction * total and interpolate linearly inside it, assuming its
-- durations are spread evenly between its lower and upper bound. The last
-- bucket has no upper bound: a rank there returns its lower bound (3600 s).
-- Returns NULL when every count is 0. The error is at most the width of the
-- bucket holding the rank.
DECLARE
    v_bounds CONSTANT double precision[] := monitoring.task_duration_bounds();
    v_total bigint := 0;
    v_cumulative bigint := 0;
    v_lower double precision := 0;
    v_rank double precision;
BEGIN
    IF p_bucket_counts IS NULL OR p_fraction IS NULL THEN
        RAISE EXCEPTION 'bucket counts and fraction must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass duration_buckets of a task rollup and a fraction such as 0.95.';
    END IF;
    IF NOT (p_fraction BETWEEN 0 AND 1) THEN
        RAISE EXCEPTION 'fraction must be from 0 to 1, got %', p_fraction
            USING ERRCODE = 'PV004',
                  HINT = 'Pass 0.95 for the 95th percentile.';
    END IF;
    IF cardinality(p_bucket_counts) <> cardinality(v_bounds) OR array_ndims(p_bucket_counts) <> 1
       OR (0 <= ALL (p_bucket_counts)) IS NOT TRUE THEN  -- a negative or NULL count; no query per call
        RAISE EXCEPTION 'bucket counts must be % counts >= 0, got %', cardinality(v_bounds), p_bucket_counts
            USING ERRCODE = 'PV004',
                  HINT = 'Pass duration_buckets of a task rollup: one count per bucket of monitoring.task_duration_bounds().';
    END IF;

    FOR i IN 1 .. cardinality(v_bounds) LOOP
        v_total := v_total + p_bucket_counts[i];
    END LOOP;
    IF v_total = 0 THEN
        RETURN NULL;
    END IF;
    v_rank := p_fraction * v_total;
    FOR i IN 1 .. cardinality(v_bounds) LOOP
        IF p_bucket_counts[i] > 0 AND v_cumulative + p_bucket_counts[i] >= v_rank THEN
            IF i = cardinality(v_bounds) THEN
                RETURN v_lower;
            END IF;
            RETURN v_lower + (v_bounds[i] - v_lower) * (v_rank - v_cumulative) / p_bucket_counts[i];
        END IF;
        v_cumulative := v_cumulative + p_bucket_counts[i];
        v_lower := v_bounds[i];
    END LOOP;
    RETURN NULL;  -- unreachable: the last non-empty bucket reaches the total
END;
$$;

COMMENT ON FUNCTION monitoring.estimate_percentile(p_bucket_counts bigint[], p_fraction double precision) IS 'Estimates the p_fraction percentile (0 to 1) of task durations in seconds from duration bucket counts (duration_buckets of the task rollups, summed with monitoring.sum_bucket_counts), interpolating linearly inside the bucket; NULL when there are no durations. Errors: PV001, PV004.';

CREATE FUNCTION monitoring.evaluate_alert_rules(p_source text DEFAULT 'manual'::text) RETURNS TABLE(rule_name text, groups integer, pending integer, firing integer, transitions integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Evaluates every enabled alert rule once, in one transaction, at the
-- transaction's time (monitoring_internal.evaluate_rules); one row per
-- rule: groups with data, groups pending and firing after this evaluation,
-- state changes made. p_source (worker, pg_cron, manual...) is recorded on
-- the alerts it raises and resolves. One evaluation at a time: another
-- evaluator (a second worker, pg_cron, the checks) holding the lock makes
-- this one return no rows instead of waiting, so two evaluators never make
-- the same transition twice. On a standby it does nothing.
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN;
    END IF;
    PERFORM monitoring_internal.assert_text('source', p_source, 200);
    IF NOT pg_try_advisory_xact_lock(hashtext('pgvigil.monitoring_checks')) THEN
        RAISE NOTICE 'pgvigil: alert evaluation already running in another session; skipped';
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM monitoring_internal.evaluate_rules(p_source);
    -- And what a check_*() function left for resolve_resolved_alerts().
    PERFORM set_config('pgvigil.check_source', p_source, true);
    PERFORM monitoring.resolve_resolved_alerts();
END;
$$;

COMMENT ON FUNCTION monitoring.evaluate_alert_rules(p_source text) IS 'Evaluates every enabled alert rule once (pending, firing, resolved; see docs/rules.md); one row per rule: groups with data, groups pending and firing, state transitions made. Returns no rows when another evaluation holds the lock. Errors: PV001/PV008 (p_source).';

CREATE FUNCTION monitoring.expire_ingest_state(OUT batch_ids_expired bigint, OUT orphan_completions_expired bigint) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Forgets batch ids older than ingest.batch_ids_hours (a retry comes
-- seconds or minutes later), and parked completions whose start can no
-- longer arrive: a start older than ingest.max_event_age_hours is rejected.
-- Expired completions are reported with a WARNING in the server log, not
-- dropped silently. Run by run_partition_maintenance().
DECLARE
    v_batch_hours double precision := monitoring_internal.config_number('{ingest,batch_ids_hours}');
    v_bounds record := monitoring_internal.event_time_bounds();
BEGIN
    DELETE FROM monitoring_internal.ingest_batches AS b
    WHERE b.received_at < now() - make_interval(hours => 1) * v_batch_hours;
    GET DIAGNOSTICS batch_ids_expired = ROW_COUNT;

    DELETE FROM monitoring_internal.pending_task_completions AS p
    WHERE p.end_time < v_bounds.earliest;
    GET DIAGNOSTICS orphan_completions_expired = ROW_COUNT;
    IF orphan_completions_expired > 0 THEN
        RAISE WARNING 'pgvigil: % task completions expired without their start', orphan_completions_expired
            USING HINT = 'A client completed tasks whose start never reached the database (lost or dropped start events).';
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring.expire_ingest_state(OUT batch_ids_expired bigint, OUT orphan_completions_expired bigint) IS 'Deletes buffered-batch ids older than ingest.batch_ids_hours and parked completions whose start can no longer arrive (older than ingest.max_event_age_hours). Returns both counts.';

CREATE FUNCTION monitoring.expire_old_rows() RETURNS TABLE(table_name text, rows_removed bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- The retention that deletes rows rather than dropping partitions (row
-- locks only: writers never wait for it):
-- - stragglers in each history table's default partition;
-- - where retention differs by severity (errors), the shorter-lived
--   severities, a day at a time (partitions are kept for the longest);
-- - hour rollups past retention.*_rollup_hour_days, an hour at a time, and
--   the 5-minute performance rollups (read by v_performance_trends, 24
--   hours) past 2 days;
-- - resolved alerts past retention.resolved_alerts_days.
-- One row per table it looked at.
DECLARE
    v_retention jsonb;
    v_cutoff timestamptz;
    v_count bigint;
    h record;
    s record;
BEGIN
    FOR h IN SELECT * FROM monitoring_internal.history_tables ORDER BY 1 LOOP
        table_name := h.table_name;
        v_retention := monitoring_internal.config_value(ARRAY['retention', h.retention_setting]);
        v_cutoff := monitoring_internal.history_retention_cutoff(v_retention);
        EXECUTE format('DELETE FROM monitoring.%I WHERE %I < $1', h.table_name || '_default', h.time_column)
            USING v_cutoff;
        GET DIAGNOSTICS rows_removed = ROW_COUNT;
        IF jsonb_typeof(v_retention) = 'object' THEN
            FOR s IN SELECT key AS severity, value::text::double precision AS days
                     FROM jsonb_each(v_retention)
                     WHERE now() - make_interval(days => 1) * value::text::double precision > v_cutoff LOOP
                EXECUTE format('DELETE FROM monitoring.%I WHERE severity = $1 AND %I < $2',
                               h.table_name, h.time_column)
                    USING s.severity,
                          date_trunc('day', now() - make_interval(days => 1) * s.days, 'UTC');
                GET DIAGNOSTICS v_count = ROW_COUNT;
                rows_removed := rows_removed + v_count;
            END LOOP;
        END IF;
        RETURN NEXT;
    END LOOP;

    -- The hour rollups are not partitioned (small): delete hours that ended
    -- before their retention, so they too are kept at least N days.
    table_name := 'performance_rollup_hour';
    DELETE FROM monitoring.performance_rollup_hour AS o
    WHERE o.bucket < now() - interval '1 hour' - make_interval(days => 1)
                     * monitoring_internal.config_number('{retention,performance_rollup_hour_days}');
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;

    table_name := 'performance_rollup_5min';
    DELETE FROM monitoring.performance_rollup_5min AS o
    WHERE o.bucket < now() - interval '2 days';
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;

    -- What goes is added to expired_task_totals first, so that the task
    -- counters of /metrics never go down.
    table_name := 'task_rollup_hour';
    WITH gone AS (
        DELETE FROM monitoring.task_rollup_hour AS o
        WHERE o.bucket < now() - interval '1 hour' - make_interval(days => 1)
                         * monitoring_internal.config_number('{retention,task_rollup_hour_days}')
        RETURNING o.*
    ), totals AS (
        SELECT g.task_type, sum(g.ended_count) AS ended_count, sum(g.completed_count) AS completed_count,
               sum(g.failed_count) AS failed_count, sum(g.cancelled_count) AS cancelled_count,
               sum(g.duration_sum) AS duration_sum, monitoring.sum_bucket_counts(g.duration_buckets) AS duration_buckets,
               count(*) AS hours
        FROM gone AS g GROUP BY g.task_type
    ), kept AS (
        INSERT INTO monitoring_internal.expired_task_totals AS e
            (task_type, ended_count, completed_count, failed_count, cancelled_count, duration_sum, duration_buckets)
        SELECT t.task_type, t.ended_count, t.completed_count, t.failed_count, t.cancelled_count,
               t.duration_sum, t.duration_buckets
        FROM totals AS t
        ON CONFLICT (task_type) DO UPDATE
        SET ended_count = e.ended_count + excluded.ended_count,
            completed_count = e.completed_count + excluded.completed_count,
            failed_count = e.failed_count + excluded.failed_count,
            cancelled_count = e.cancelled_count + excluded.cancelled_count,
            duration_sum = e.duration_sum + excluded.duration_sum,
            duration_buckets = monitoring_internal.add_bucket_counts(e.duration_buckets, excluded.duration_buckets)
        RETURNING 1
    )
    SELECT coalesce(sum(t.hours), 0) INTO rows_removed FROM totals AS t;
    RETURN NEXT;

    table_name := 'alerts';
    DELETE FROM monitoring.alerts AS a
    WHERE a.resolved_at < now() - make_interval(days => 1)
                              * monitoring_internal.config_number('{retention,resolved_alerts_days}');
    GET DIAGNOSTICS rows_removed = ROW_COUNT;
    RETURN NEXT;
END;
$_$;

COMMENT ON FUNCTION monitoring.expire_old_rows() IS 'The row-deleting part of retention: default-partition stragglers, per-severity error retention, hour and 5-minute rollups, resolved alerts. Returns rows deleted per table. Called by run_retention() and cleanup_old_monitoring_data().';

CREATE FUNCTION monitoring.expire_silence(p_silence_id uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Ends a silence now (a pending one never starts); returns false when it
-- had already expired. The groups whose alerts it held back flush at once,
-- so what it silenced is notified without waiting for their next tick.
-- Audited as expire_silence. Errors: PV609 an unknown id.
DECLARE
    v_old monitoring.silences;
BEGIN
    SELECT * INTO v_old FROM monitoring.silences AS s WHERE s.silence_id = p_silence_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown silence: %', coalesce(p_silence_id::text, 'NULL')
            USING ERRCODE = 'PV609', HINT = monitoring_internal.silence_error_hint('PV609');
    END IF;
    IF v_old.ends_at <= now() THEN
        RETURN false;
    END IF;
    UPDATE monitoring.silences AS s
    SET starts_at = least(s.starts_at, now()), ends_at = now(), updated_at = now()
    WHERE s.silence_id = p_silence_id;
    PERFORM monitoring_internal.write_audit_log('expire_silence', p_silence_id::text, jsonb_build_object(
        'silence_id', p_silence_id, 'ends_at_was', v_old.ends_at));
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.expire_silence(p_silence_id uuid) IS 'Ends a silence now; false when it had already expired. Audited. Errors: PV609.';

CREATE FUNCTION monitoring.expired_partitions() RETURNS TABLE(table_name text, partition_name text, attached boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- The daily partitions whose whole day is older than their table's
    -- retention (errors: the longest severity's), oldest first, plus any
    -- such table a previous retention run detached but could not drop yet
    -- (attached = false). History expires by whole days: data is kept at
    -- least N days and at most N + 1.
    WITH retention AS (
        SELECT h.table_name,
               monitoring_internal.history_retention_cutoff(
                   monitoring_internal.config_value(ARRAY['retention', h.retention_setting])) AS cutoff
        FROM monitoring_internal.history_tables AS h
    )
    SELECT r.table_name, c.relname::text, c.relispartition
    FROM retention AS r
    JOIN pg_catalog.pg_class AS c
      ON c.relnamespace = 'monitoring'::regnamespace
     AND c.relkind = 'r'
     AND c.relname ~ ('^' || r.table_name || '_p[0-9]{8}$')
    WHERE (to_date(right(c.relname, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= r.cutoff
      -- Attached partitions only of this table (a name match alone could
      -- be another table's), detached ones only if nothing inherits them.
      AND (NOT c.relispartition
           OR EXISTS (SELECT FROM pg_catalog.pg_inherits AS i
                      WHERE i.inhrelid = c.oid
                        AND i.inhparent = format('monitoring.%I', r.table_name)::regclass))
    ORDER BY c.relname;
$_$;

COMMENT ON FUNCTION monitoring.expired_partitions() IS 'Daily partitions past their table''s retention (attached = true), and tables a retention run detached but has not dropped yet (attached = false), oldest first. Read by run_retention() and cleanup_old_monitoring_data().';

CREATE FUNCTION monitoring.flush_notification_groups() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Decides the notifications of every group whose timer is due, with
-- Alertmanager's semantics, and writes them to the outbox in the same
-- transaction (one row per integration of the receiver): the first after
-- group_wait; then, at group_interval ticks, one when alerts were added
-- (new_alerts), when alerts it reported firing resolved (some_resolved,
-- all_resolved; to integrations with send_resolved), or when
-- repeat_interval passed (repeat). A group whose alerts all resolved before
-- its first notification sends nothing. A group with nothing firing left
-- once that is said is removed. Groups are taken with SKIP LOCKED: two
-- workers never decide the same one. Returns the outbox rows written.
-- Silenced and inhibited alerts are left out, and a notification in a mute
-- time interval (or outside the active ones) waits; what each held back is
-- logged in notification_suppressions with its cause (a silence's id).
DECLARE
    v_group monitoring.notification_groups;
    v_notifications jsonb;
    v_firing bigint[];
    v_firing_fingerprints text[];
    v_still_reported text[];
    v_any_firing bigint[];
    v_unacknowledged boolean;
    v_resolved bigint[];
    v_resolved_reported bigint[];
    v_resolved_reported_fingerprints text[];
    v_suppressed jsonb;
    v_held bigint[];
    v_flap_enabled boolean;
    v_flap_changes integer;
    v_flap_window double precision;
    v_flap_stable double precision;
    v_reason text;
    v_repeat_due boolean;
    v_muted_by text;
    v_muted_detail text;
    v_written integer := 0;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN 0;
    END IF;
    SELECT c.notifications INTO v_notifications FROM monitoring_internal.notification_config AS c;
    SELECT f.enabled, f.changes, f.window_seconds, f.stable_seconds
    INTO v_flap_enabled, v_flap_changes, v_flap_window, v_flap_stable
    FROM monitoring_internal.flap_detection_settings(v_notifications) AS f;
    -- Posted alerts that were not posted again before their end resolve
    -- now, so this flush tells their receivers.
    PERFORM monitoring_internal.expire_posted_alerts();
    -- Escalations first: pages are the most urgent thing decided here.
    v_written := monitoring_internal.step_escalations();
    FOR v_group IN
        SELECT g.* FROM monitoring.notification_groups AS g
        WHERE g.next_flush_at <= now()
           -- A silence that held one of its alerts back has ended: at once.
           OR g.group_id IN (SELECT m.group_id FROM monitoring.notification_group_alerts AS m
                             JOIN monitoring.silences AS s ON s.silence_id = m.silenced_by
                             WHERE m.silenced_by IS NOT NULL AND s.ends_at <= now())
        ORDER BY g.next_flush_at
        FOR UPDATE SKIP LOCKED
    LOOP
        -- Flap damping: the group's alerts that changed state more than
        -- flap_detection.changes times in the window flap, until stable.
        IF v_flap_enabled THEN
            -- Stable for stable_for since the last change seen: flapping no more.
            DELETE FROM monitoring.flapping_alerts AS fa
            USING monitoring.notification_group_alerts AS m
            JOIN monitoring.alerts AS a USING (alert_id)
            WHERE m.group_id = v_group.group_id AND fa.fingerprint = a.fingerprint
              AND (fa.last_change_at IS NULL OR now() - fa.last_change_at >= make_interval(secs => v_flap_stable));
            -- More than `changes` changes in the window: flapping (or still: the last change noted).
            INSERT INTO monitoring.flapping_alerts AS fa (fingerprint, labels, changes, last_change_at)
            SELECT f.fingerprint, f.labels, t.changes, t.last_change_at
            FROM (SELECT DISTINCT ON (a.fingerprint) a.fingerprint, a.labels
                  FROM monitoring.notification_group_alerts AS m JOIN monitoring.alerts AS a USING (alert_id)
                  WHERE m.group_id = v_group.group_id AND a.fingerprint IS NOT NULL
                  ORDER BY a.fingerprint, a.alert_id DESC) AS f,
                 LATERAL monitoring_internal.flap_changes(f.fingerprint, v_flap_window) AS t
            WHERE t.changes > v_flap_changes
               OR EXISTS (SELECT FROM monitoring.flapping_alerts AS x WHERE x.fingerprint = f.fingerprint)
            ON CONFLICT ON CONSTRAINT flapping_alerts_pkey
            DO UPDATE SET changes = excluded.changes, last_change_at = excluded.last_change_at, updated_at = now();
        END IF;

        -- The group's alerts, each firing one with what holds it back (silences,
        -- inhibition, flapping: at most one notification per window). Held-back alerts are left out of the notification; one the
        -- receiver was told fires stays reported, so that its resolve is still sent.
        SELECT array_agg(x.alert_id ORDER BY x.alert_id) FILTER (WHERE x.firing AND x.suppressions IS NULL),
               array_agg(x.fingerprint ORDER BY x.fingerprint) FILTER (WHERE x.firing AND x.suppressions IS NULL),
               array_agg(x.fingerprint) FILTER (WHERE x.fingerprint = ANY (v_group.notified_firing)
                                                 AND ((x.firing AND x.suppressions IS NOT NULL) OR x.held)),
               array_agg(x.alert_id) FILTER (WHERE x.firing),
               coalesce(bool_or(x.firing AND x.suppressions IS NULL AND x.status <> 'acknowledged'), false),
               array_agg(x.alert_id) FILTER (WHERE NOT x.firing AND NOT x.held),
               array_agg(x.alert_id) FILTER (WHERE NOT x.firing AND NOT x.held AND NOT x.superseded
                                              AND x.fingerprint = ANY (v_group.notified_firing)),
               array_agg(x.fingerprint) FILTER (WHERE NOT x.firing AND NOT x.held AND NOT x.superseded
                                                 AND x.fingerprint = ANY (v_group.notified_firing)),
               jsonb_agg(x.suppressions) FILTER (WHERE x.suppressions IS NOT NULL),
               coalesce(array_agg(x.alert_id) FILTER (WHERE x.held), '{}')
        INTO v_firing, v_firing_fingerprints, v_still_reported, v_any_firing, v_unacknowledged, v_resolved, v_resolved_reported,
             v_resolved_reported_fingerprints, v_suppressed, v_held
        FROM (SELECT a.alert_id, a.fingerprint, a.status, a.resolved_at IS NULL AS firing, s.suppressions,
                     -- A flapping alert's resolve waits too (its fire and resolve
                     -- within a window are one notification at most), and one that
                     -- fired again meanwhile is no news to the receiver.
                     coalesce(a.resolved_at IS NOT NULL AND fl.held_back, false) AS held,
                     coalesce(a.resolved_at IS NOT NULL AND fl.fingerprint IS NOT NULL
                              AND EXISTS (SELECT FROM monitoring.notification_group_alerts AS m2
                                          JOIN monitoring.alerts AS a2 USING (alert_id)
                                          WHERE m2.group_id = v_group.group_id AND a2.fingerprint = a.fingerprint
                                            AND a2.resolved_at IS NULL), false) AS superseded
              FROM monitoring.notification_group_alerts AS m
              JOIN monitoring.alerts AS a USING (alert_id)
              LEFT JOIN LATERAL (
                  SELECT fa.fingerprint, fa.changes,
                         fa.last_notified_at IS NOT NULL
                         AND now() - fa.last_notified_at < make_interval(secs => v_flap_window) AS held_back
                  FROM monitoring.flapping_alerts AS fa
                  WHERE v_flap_enabled AND fa.fingerprint = a.fingerprint
              ) AS fl ON true
              LEFT JOIN LATERAL (
                  SELECT jsonb_agg(jsonb_build_object('alert_id', a.alert_id, 'fingerprint', a.fingerprint,
                                                      'reason', p.reason, 'suppressed_by', p.suppressed_by,
                                                      'silence_id', p.silence_id, 'detail', p.detail)) AS suppressions
                  FROM (SELECT q.reason, q.suppressed_by, q.silence_id, q.detail
                        FROM monitoring_internal.alert_suppressions(a.alert_id, a.labels, a.component,
                                                                    v_notifications -> 'inhibit_rules') AS q
                        UNION ALL
                        SELECT 'flapping', 'flapping', NULL::uuid,
                               format('flapping: %s state changes in %s s; notified at most once per %s s until stable for %s s',
                                      fl.changes, v_flap_window, v_flap_window, v_flap_stable)
                        WHERE fl.held_back) AS p
                  WHERE a.resolved_at IS NULL
              ) AS s ON true
              WHERE m.group_id = v_group.group_id) AS x;
        v_firing := coalesce(v_firing, '{}'); v_firing_fingerprints := coalesce(v_firing_fingerprints, '{}');
        v_any_firing := coalesce(v_any_firing, '{}');
        v_resolved := coalesce(v_resolved, '{}'); v_resolved_reported := coalesce(v_resolved_reported, '{}');
        -- A fingerprint resolved now and firing again under a silence is a new
        -- alert to the receiver: notified when the silence ends.
        v_still_reported := ARRAY(SELECT unnest(coalesce(v_still_reported, '{}'::text[]))
                                  EXCEPT SELECT unnest(coalesce(v_resolved_reported_fingerprints, '{}'::text[])));
        v_repeat_due := v_group.last_notified_at IS NOT NULL
            AND now() - v_group.last_notified_at >= make_interval(secs => v_group.repeat_interval_seconds);

        v_reason := CASE
            WHEN v_group.last_notified_at IS NULL THEN CASE WHEN v_firing <> '{}' THEN 'first' END
            WHEN NOT v_firing_fingerprints <@ v_group.notified_firing THEN 'new_alerts'
            WHEN v_resolved_reported <> '{}' THEN CASE WHEN v_firing = '{}' THEN 'all_resolved' ELSE 'some_resolved' END
            -- Reminders stop for acknowledged alerts: someone is on them.
            WHEN v_unacknowledged AND v_repeat_due THEN 'repeat'
        END;

        -- The route's time intervals: muted, or outside its active ones, the
        -- notification waits (nothing is recorded as sent) for a tick outside.
        v_muted_by := NULL;
        IF v_reason IS NOT NULL AND (v_group.mute_time_intervals <> '{}' OR v_group.active_time_intervals <> '{}') THEN
            SELECT n, format('muted by the time interval %s', n) INTO v_muted_by, v_muted_detail
            FROM unnest(v_group.mute_time_intervals) AS n
            WHERE monitoring_internal.time_interval_active(monitoring_internal.time_interval_ranges(v_notifications, n), now())
            LIMIT 1;
            IF v_muted_by IS NULL AND v_group.active_time_intervals <> '{}'
               AND NOT EXISTS (SELECT FROM unnest(v_group.active_time_intervals) AS n
                               WHERE monitoring_internal.time_interval_active(
                                         monitoring_internal.time_interval_ranges(v_notifications, n), now())) THEN
                v_muted_by := 'outside ' || array_to_string(v_group.active_time_intervals, ', ');
                v_muted_detail := format('outside the active time intervals %s', array_to_string(v_group.active_time_intervals, ', '));
            END IF;
        END IF;

        -- What is held back is logged, with its cause, when it would have been
        -- notified: new to the receiver, or in a notification sent or muted now.
        INSERT INTO monitoring.notification_suppressions AS s
            (receiver, group_key, alert_id, fingerprint, reason, suppressed_by, silence_id, detail)
        SELECT DISTINCT ON (x.alert_id, x.reason, x.suppressed_by)
               v_group.receiver, v_group.group_key, x.alert_id, x.fingerprint, x.reason, x.suppressed_by, x.silence_id, x.detail
        FROM (SELECT (e ->> 'alert_id')::bigint AS alert_id, e ->> 'fingerprint' AS fingerprint, e ->> 'reason' AS reason,
                     e ->> 'suppressed_by' AS suppressed_by, (e ->> 'silence_id')::uuid AS silence_id, e ->> 'detail' AS detail
              FROM jsonb_array_elements(coalesce(v_suppressed, '[]')) AS l, jsonb_array_elements(l) AS e
              WHERE v_reason IS NOT NULL OR v_repeat_due OR e ->> 'reason' = 'flapping'
                 OR NOT (e ->> 'fingerprint') = ANY (v_group.notified_firing)
              UNION ALL
              SELECT a.alert_id, a.fingerprint, 'flapping', 'flapping', NULL::uuid,
                     format('flapping: its resolve waits, at most one notification per %s s', v_flap_window)
              FROM monitoring.alerts AS a
              WHERE a.alert_id = ANY (v_held)
              UNION ALL
              SELECT a.alert_id, a.fingerprint, 'muted', v_muted_by, NULL::uuid, v_muted_detail
              FROM monitoring.alerts AS a
              WHERE v_muted_by IS NOT NULL AND a.alert_id = ANY (v_firing || v_resolved_reported)) AS x
        ORDER BY x.alert_id, x.reason, x.suppressed_by
        ON CONFLICT ON CONSTRAINT notification_suppressions_key
        DO UPDATE SET last_suppressed_at = now(), notifications = s.notifications + 1, detail = excluded.detail;
        UPDATE monitoring.notification_group_alerts AS m
        SET silenced_by = (SELECT (e ->> 'silence_id')::uuid
                           FROM jsonb_array_elements(coalesce(v_suppressed, '[]')) AS l, jsonb_array_elements(l) AS e
                           WHERE (e ->> 'alert_id')::bigint = m.alert_id AND e ->> 'silence_id' IS NOT NULL
                           LIMIT 1)
        WHERE m.group_id = v_group.group_id;

        IF v_muted_by IS NOT NULL THEN
            UPDATE monitoring.notification_groups AS g
            SET next_flush_at = now() + make_interval(secs => g.group_interval_seconds)
            WHERE g.group_id = v_group.group_id;
            CONTINUE;
        END IF;

        IF v_reason IS NOT NULL THEN
            v_written := v_written + monitoring_internal.write_notifications(
                v_group.receiver, v_group.group_id, NULL, v_group.group_key, v_reason,
                format('pgvigil-%s-%s', v_group.group_id, v_group.notifications_sent + 1),
                CASE WHEN v_firing || v_resolved_reported <> '{}'
                     THEN monitoring_internal.notification_payload(v_group, v_firing || v_resolved_reported) END,
                -- Without send_resolved, a resolve alone is not notified, as
                -- Alertmanager's dedup stage decides.
                CASE WHEN v_firing <> '{}' AND v_reason NOT IN ('some_resolved', 'all_resolved')
                     THEN monitoring_internal.notification_payload(v_group, v_firing) END);
            UPDATE monitoring.flapping_alerts AS fa SET last_notified_at = now()
            WHERE fa.fingerprint = ANY (v_firing_fingerprints || coalesce(v_resolved_reported_fingerprints, '{}'::text[]));
        END IF;

        -- Resolved alerts leave the group: reported now, or never reported firing.
        DELETE FROM monitoring.notification_group_alerts AS m
        WHERE m.group_id = v_group.group_id AND m.alert_id = ANY (v_resolved);
        IF v_any_firing = '{}' AND v_held = '{}' THEN
            DELETE FROM monitoring.notification_groups AS g WHERE g.group_id = v_group.group_id;
        ELSE
            UPDATE monitoring.notification_groups AS g
            SET next_flush_at = now() + make_interval(secs => g.group_interval_seconds),
                last_notified_at = CASE WHEN v_reason IS NOT NULL THEN now() ELSE g.last_notified_at END,
                notified_firing = CASE WHEN v_reason IS NOT NULL THEN v_firing_fingerprints || v_still_reported
                                       ELSE g.notified_firing END,
                notifications_sent = g.notifications_sent + CASE WHEN v_reason IS NOT NULL THEN 1 ELSE 0 END
            WHERE g.group_id = v_group.group_id;
        END IF;
    END LOOP;
    -- What flood control held back in a minute now over, said once.
    v_written := v_written + monitoring_internal.write_flood_summaries();
    RETURN v_written;
END;
$$;

COMMENT ON FUNCTION monitoring.flush_notification_groups() IS 'Decides the notifications of the groups whose timers are due (first, new_alerts, some_resolved, all_resolved, repeat) and writes them to the outbox (monitoring.notifications); returns the rows written.';

CREATE FUNCTION monitoring.get_dashboard_summary() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- One document for a dashboard: tasks (24 h by status, running, last-hour
    -- throughput and durations), errors, health, queues and open alerts.
    -- Reads at most the last 24 h of history.
    SELECT jsonb_build_object(
        'generated_at', now(),
        'tasks', (
            SELECT jsonb_build_object(
                'window_hours', 24,
                'by_status', coalesce((
                    SELECT jsonb_object_agg(s.status, s.n)
                    FROM (SELECT m.status, count(*) AS n
                          FROM monitoring.processing_metrics AS m
                          WHERE m.start_time > now() - interval '24 hours'
                          GROUP BY m.status) AS s), '{}'::jsonb),
                'running', (SELECT count(*) FROM monitoring_internal.running_tasks),
                'completed_last_hour', count(*) FILTER (WHERE h.status = 'completed'),
                'failed_last_hour', count(*) FILTER (WHERE h.status IN ('failed', 'timeout')),
                'throughput_per_minute', round(count(*) / 60.0, 2),
                'avg_duration_seconds', round(avg(h.duration_seconds)::numeric, 3),
                'p95_duration_seconds', round((percentile_cont(0.95) WITHIN GROUP (ORDER BY h.duration_seconds))::numeric, 3))
            FROM monitoring.processing_metrics AS h
            WHERE h.end_time > now() - interval '1 hour' AND h.end_time <= now()),
        'errors', (
            SELECT jsonb_build_object(
                'last_hour', count(*) FILTER (WHERE e.occurred_at > now() - interval '1 hour'),
                'last_24h', count(*),
                'by_severity', jsonb_build_object(
                    'critical', count(*) FILTER (WHERE e.severity = 'critical'),
                    'high', count(*) FILTER (WHERE e.severity = 'high'),
                    'medium', count(*) FILTER (WHERE e.severity = 'medium'),
                    'low', count(*) FILTER (WHERE e.severity = 'low')),
                'top_components', coalesce((
                    SELECT jsonb_agg(jsonb_build_object('component', c.component, 'errors', c.n) ORDER BY c.n DESC)
                    FROM (SELECT e2.component, count(*) AS n FROM monitoring.error_tracking AS e2
                          WHERE e2.occurred_at > now() - interval '24 hours'
                          GROUP BY e2.component ORDER BY count(*) DESC LIMIT 5) AS c), '[]'::jsonb))
            FROM monitoring.error_tracking AS e
            WHERE e.occurred_at > now() - interval '24 hours'),
        'health', (
            SELECT jsonb_build_object(
                'healthy', count(*) FILTER (WHERE h.status = 'healthy'),
                'degraded', count(*) FILTER (WHERE h.status = 'degraded'),
                'unhealthy', count(*) FILTER (WHERE h.status = 'unhealthy'),
                'components', coalesce(jsonb_agg(jsonb_build_object(
                    'component_type', h.component_type, 'component_name', h.component_name,
                    'status', h.status, 'status_since', h.status_since,
                    'response_time_ms', h.response_time_ms, 'failure_reason', h.failure_reason,
                    'last_check_at', h.last_check_at)
                    ORDER BY monitoring_internal.severity_rank(CASE h.status WHEN 'unhealthy' THEN 'critical'
                                                      WHEN 'degraded' THEN 'high' ELSE 'low' END) DESC,
                             h.component_type, h.component_name), '[]'::jsonb))
            FROM monitoring.system_health AS h),
        'queues', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                'queue_name', q.queue_name, 'pending', q.pending_count, 'processing', q.processing_count,
                'oldest_pending_age_seconds', q.oldest_pending_age_seconds, 'recorded_at', q.recorded_at)
                ORDER BY q.pending_count DESC, q.queue_name)
            FROM (SELECT DISTINCT ON (q1.queue_name) q1.*
                  FROM monitoring.queue_monitoring AS q1
                  WHERE q1.recorded_at > now() - interval '24 hours'
                  ORDER BY q1.queue_name, q1.recorded_at DESC) AS q), '[]'::jsonb),
        'alerts', (
            SELECT jsonb_build_object(
                'active', count(*),
                'by_severity', jsonb_build_object(
                    'critical', count(*) FILTER (WHERE a.severity = 'critical'),
                    'high', count(*) FILTER (WHERE a.severity = 'high'),
                    'medium', count(*) FILTER (WHERE a.severity = 'medium'),
                    'low', count(*) FILTER (WHERE a.severity = 'low')),
                'acknowledged', count(*) FILTER (WHERE a.status = 'acknowledged'),
                'items', coalesce((
                    SELECT jsonb_agg(to_jsonb(t) ORDER BY monitoring_internal.severity_rank(t.severity) DESC, t.triggered_at)
                    FROM (SELECT a2.alert_id, a2.alert_type, a2.subject, a2.severity, a2.status, a2.title,
                                 a2.message, a2.triggered_at, a2.triggered_by, a2.last_seen_at,
                                 a2.occurrence_count
                          FROM monitoring.alerts AS a2 WHERE a2.resolved_at IS NULL
                          ORDER BY monitoring_internal.severity_rank(a2.severity) DESC, a2.triggered_at
                          LIMIT 20) AS t), '[]'::jsonb))
            FROM monitoring.alerts AS a
            WHERE a.resolved_at IS NULL)
    );
$$;

COMMENT ON FUNCTION monitoring.get_dashboard_summary() IS 'One jsonb document for dashboards: tasks (24 h by status, running, last-hour throughput and durations), errors (last hour, 24 h, by severity, top components), health per component, latest sample per queue, open alerts by severity with the 20 most severe.';

CREATE FUNCTION monitoring.job_definitions(p_runner text DEFAULT 'pg_cron'::text) RETURNS TABLE(job_name text, schedule text, command text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- The scheduled jobs, in one place for both runners: schedule_jobs()
    -- installs them in pg_cron and `pgvigil scheduler` runs them from Python.
    -- Schedules are cron expressions in UTC from the config's "schedules".
    -- The only place job names are written: everything else reads them here.
    SELECT 'pgvigil-monitoring-checks',
           monitoring_internal.config_value('{schedules,monitoring_checks}') #>> '{}',
           format('SELECT * FROM monitoring.run_monitoring_checks(%L)', p_runner)
    UNION ALL
    -- Its own job, so that it still runs when the checks job fails; on the
    -- checks' schedule unless the config gives it one.
    SELECT 'pgvigil-watchdog',
           coalesce((SELECT c.document #>> '{schedules,watchdog}' FROM monitoring.config AS c),
                    monitoring_internal.config_value('{schedules,monitoring_checks}') #>> '{}'),
           format('SELECT * FROM monitoring.check_watchdog(%L)', p_runner)
    UNION ALL
    SELECT 'pgvigil-rollups',
           monitoring_internal.config_value('{schedules,rollups}') #>> '{}',
           'CALL monitoring.refresh_rollups()'
    UNION ALL
    SELECT 'pgvigil-partition-maintenance',
           monitoring_internal.config_value('{schedules,partition_maintenance}') #>> '{}',
           'SELECT * FROM monitoring.run_partition_maintenance()'
    UNION ALL
    SELECT 'pgvigil-cleanup',
           monitoring_internal.config_value('{schedules,cleanup}') #>> '{}',
           'CALL monitoring.run_retention()'
    UNION ALL
    SELECT 'pgvigil-purge-cron-history',
           monitoring_internal.config_value('{schedules,purge_cron_history}') #>> '{}',
           'SELECT monitoring.purge_cron_history()'
    -- pg_cron's own run history: nothing to purge for another runner.
    WHERE p_runner = 'pg_cron';
$$;

COMMENT ON FUNCTION monitoring.job_definitions(p_runner text) IS 'The pgvigil scheduled jobs (name, cron schedule in UTC, SQL command) as configured; p_runner is recorded as the source of the alerts the checks raise.';

CREATE FUNCTION monitoring.labels_match(p_matchers text[], p_labels jsonb) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION monitoring.labels_match(p_matchers text[], p_labels jsonb) IS 'True when labels meet every amtool-style matcher (Alertmanager semantics); for filtering alerts. Errors: PV602.';

CREATE FUNCTION monitoring.list_tasks(p_since timestamp with time zone, p_until timestamp with time zone DEFAULT now(), p_task_type text DEFAULT NULL::text, p_status text DEFAULT NULL::text, p_worker_id text DEFAULT NULL::text, p_limit integer DEFAULT 100) RETURNS TABLE(task_id text, task_type text, worker_id text, status text, start_time timestamp with time zone, end_time timestamp with time zone, duration_seconds double precision, running_seconds double precision, input_size bigint, output_size bigint, step_timings jsonb, metadata jsonb, errors bigint, last_error text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- The task runs that started in [p_since, p_until), newest first, filtered
-- by type, status and worker: the drill-down behind the task counts (which
-- failed, on which worker, with which error). At most p_limit (1 to 10,000)
-- rows; the range is at most 31 days, so that the days' partitions read
-- stay few. errors and last_error: the errors recorded with the task's id.
-- Errors: PV001, PV002, PV004.
BEGIN
    PERFORM monitoring_internal.assert_time_range(p_since, p_until, interval '31 days');
    IF p_limit IS NULL THEN
        RAISE EXCEPTION 'limit must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass a limit such as 100.';
    END IF;
    IF p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'limit must be from 1 to 10000, got %', p_limit
            USING ERRCODE = 'PV004',
                  HINT = 'Ask for at most 10000 tasks; narrow the range or filter by type or status.';
    END IF;
    IF p_status IS NOT NULL AND p_status NOT IN ('running', 'completed', 'failed', 'cancelled', 'timeout') THEN
        RAISE EXCEPTION 'unknown task status %', p_status
            USING ERRCODE = 'PV002',
                  HINT = 'A task is running, completed, failed, cancelled or timeout.';
    END IF;
    RETURN QUERY
    SELECT t.task_id, t.task_type, t.worker_id, t.status, t.start_time, t.end_time, t.duration_seconds,
           CASE WHEN t.status = 'running'
                THEN extract(epoch FROM now() - t.start_time)::double precision END,
           t.input_size, t.output_size, t.step_timings, t.metadata,
           coalesce(e.errors, 0), e.last_error
    FROM monitoring.processing_metrics AS t
    LEFT JOIN LATERAL (
        SELECT count(*) AS errors,
               (array_agg(x.message ORDER BY x.occurred_at DESC))[1] AS last_error
        FROM monitoring.error_tracking AS x
        WHERE x.task_id = t.task_id AND x.occurred_at >= t.start_time
    ) AS e ON true
    WHERE t.start_time >= p_since AND t.start_time < p_until
      AND (p_task_type IS NULL OR t.task_type = p_task_type)
      AND (p_status IS NULL OR t.status = p_status)
      AND (p_worker_id IS NULL OR t.worker_id = p_worker_id)
    ORDER BY t.start_time DESC, t.task_id
    LIMIT p_limit;
END;
$$;

COMMENT ON FUNCTION monitoring.list_tasks(p_since timestamp with time zone, p_until timestamp with time zone, p_task_type text, p_status text, p_worker_id text, p_limit integer) IS 'Task runs started in [since, until) (at most 31 days), newest first, by type, status and worker, at most limit (1 to 10000): id, type, worker, status, times, duration, running seconds, sizes, step timings, metadata, and the count and latest message of the errors recorded with the task. Errors: PV001, PV002, PV004.';

CREATE FUNCTION monitoring.patch_config(p_patch jsonb, p_replace text[] DEFAULT '{}'::text[]) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Applies a partial config over the active one (see preview_config_patch
-- for how it merges) and validates the result as a whole: the file that
-- changes one threshold, or adds one rule, holds just that. Nothing changes
-- unless the merged document is valid. Audited like apply_config().
DECLARE
    v_merged jsonb;
BEGIN
    PERFORM 1 FROM monitoring.config AS c FOR UPDATE;  -- merge over the config we replace
    v_merged := monitoring.preview_config_patch(p_patch, p_replace);
    RETURN monitoring.apply_config(v_merged);
END;
$$;

COMMENT ON FUNCTION monitoring.patch_config(p_patch jsonb, p_replace text[]) IS 'Merges a partial config over the active one (RFC 7386 merge patch; alert_rules merged by name; the sections named in p_replace replaced whole) and applies the result. Errors: PV301, PV501-PV509, as apply_config; PV507 for a rule listed twice in the patch.';

CREATE FUNCTION monitoring.performance_tail(p_since timestamp with time zone, p_width interval, p_fraction double precision) RETURNS TABLE(bucket timestamp with time zone, metric_name text, metric_type text, component text, unit text, sample_count bigint, value_sum double precision, value_min double precision, value_max double precision, value_percentile double precision)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- The newest buckets of the performance views: per UTC bucket of p_width
-- (the view's, a whole number of minutes) and series, every bucket from the
-- one holding rollup_boundary() (or from p_since if later) on, built from
-- minute rollups before the boundary and, from it on, the raw samples'
-- minutes as performance_minute_aggregate() defines them (the definition
-- the rollups are written with). value_percentile: the p_fraction
-- percentile estimated from the merged value sketches (within 2%, see
-- estimate_value_percentile), as the refresh stores it in the coarser
-- tiers; NULL for a bucket holding a minute rolled up before the sketches
-- existed. The views read the buckets before the boundary's from a coarser
-- tier as they are.
-- A function rather than branches of each view: the boundary is computed
-- once (in a view it was evaluated per row wherever a scan could not use it
-- as an index condition), the queries are planned with its value (only the
-- partitions past it are planned and read), and the view's plan costs a
-- small function scan (scans of every raw partition had pushed it over the
-- JIT thresholds). STABLE: runs in the calling query's snapshot, so it
-- agrees with the view on the boundary. SECURITY DEFINER: readers of the
-- views may not read the tables; they get these aggregates only.
DECLARE
    c_origin CONSTANT timestamptz := TIMESTAMPTZ '2000-01-01 00:00:00+00';
    v_boundary timestamptz := monitoring.rollup_boundary('performance_monitoring');
    v_from timestamptz := greatest(p_since, date_bin(p_width, v_boundary, c_origin));
    v_raw_from timestamptz := greatest(p_since, v_boundary);
BEGIN
    RETURN QUERY
    SELECT g.bucket, g.metric_name, g.metric_type, g.component, g.unit,
           g.sample_count, g.value_sum, g.value_min, g.value_max,
           monitoring_internal.estimate_value_percentile(g.value_sketch, p_fraction, g.value_min, g.value_max)
    FROM (SELECT date_bin(p_width, u.bucket, c_origin) AS bucket,
                 u.metric_name, u.metric_type, u.component, u.unit,
                 sum(u.sample_count)::bigint AS sample_count, monitoring_internal.add_sample_sums(sum(u.value_sum) FILTER (WHERE abs(u.value_sum) < 1e300), sum(u.value_sum::numeric) FILTER (WHERE abs(u.value_sum) >= 1e300)) AS value_sum,
                 min(u.value_min) AS value_min, max(u.value_max) AS value_max,
                 CASE WHEN count(u.value_sketch) = count(*)
                      THEN monitoring_internal.merge_value_sketches(u.value_sketch) END AS value_sketch
          FROM (SELECT m.bucket, m.metric_name, m.metric_type, m.component, m.unit,
                       m.sample_count, m.value_sum, m.value_min, m.value_max, m.value_sketch
                FROM monitoring.performance_rollup_minute AS m
                WHERE m.bucket >= v_from AND m.bucket < v_boundary
                UNION ALL
                SELECT a.bucket, a.metric_name, a.metric_type, a.component, a.unit,
                       a.sample_count, a.value_sum, a.value_min, a.value_max, a.value_sketch
                FROM monitoring_internal.performance_minute_aggregate(v_raw_from, 'infinity') AS a) AS u
          GROUP BY 1, 2, 3, 4, 5) AS g;
END;
$$;

COMMENT ON FUNCTION monitoring.performance_tail(p_since timestamp with time zone, p_width interval, p_fraction double precision) IS 'Internal to the performance views: per UTC bucket of p_width and series (count, sum, min, max, and the p_fraction percentile estimated from the value sketches), the buckets from the one holding the rollup boundary (or p_since if later) on, from minute rollups before the boundary and the raw samples'' minutes (performance_minute_aggregate) after it.';

CREATE FUNCTION monitoring.preview_config_patch(p_patch jsonb, p_replace text[] DEFAULT '{}'::text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- The config patch_config(p_patch) would make active, without applying or
-- validating it (pgvigil config diff prints the difference). The merge is
-- a JSON Merge Patch (RFC 7386): objects merge key by key, null removes a
-- key, anything else replaces; alert_rules merge by rule name, so a patch
-- may hold one key of one rule. A rule listed twice in the patch is PV507:
-- which one was meant cannot be told.
DECLARE
    v_current jsonb;
    v_twice text;
BEGIN
    IF p_patch IS NULL OR jsonb_typeof(p_patch) <> 'object' THEN
        RAISE EXCEPTION 'the config patch must be a JSON object'
            USING ERRCODE = 'PV301', HINT = 'A partial config holds the sections and keys it changes, e.g. {"retention": {"queue_monitoring_days": 14}}.';
    END IF;
    SELECT r ->> 'name' INTO v_twice
    FROM jsonb_array_elements(CASE jsonb_typeof(p_patch -> 'alert_rules') WHEN 'array' THEN p_patch -> 'alert_rules' END) AS r
    WHERE r ->> 'name' IS NOT NULL GROUP BY r ->> 'name' HAVING count(*) > 1 LIMIT 1;
    IF v_twice IS NOT NULL THEN
        RAISE EXCEPTION 'alert_rules: % is listed more than once', v_twice
            USING ERRCODE = 'PV507', HINT = monitoring_internal.rule_error_hint('PV507');
    END IF;
    SELECT c.document INTO v_current FROM monitoring.config AS c;
    -- Sections named in p_replace are replaced whole, not merged (an
    -- alertmanager.yml is a whole notifications section).
    RETURN monitoring_internal.config_patch(coalesce(v_current, '{}') - coalesce(p_replace, '{}'), p_patch);
END;
$$;

COMMENT ON FUNCTION monitoring.preview_config_patch(p_patch jsonb, p_replace text[]) IS 'The document patch_config(p_patch, p_replace) would apply (the sections named in p_replace replaced whole, the rest merged) (not validated, nothing written). Errors: PV301 (not an object), PV507 (a rule listed twice).';

CREATE FUNCTION monitoring.prometheus_metrics() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- pgvigil's state in the Prometheus text exposition format (0.0.4), as
-- pgvigil serve answers GET /metrics: base units, counters ending in
-- _total, no timestamps, a HELP and a TYPE line per family. pgvigil serve
-- adds pgvigil_up and pgvigil_scrape_duration_seconds. Every family:
-- - pgvigil_tasks_total{task_type,status}: tasks ended (completed, failed,
--   cancelled) since the history began: the hour rollups, the newest
--   minutes, and what retention expired (expired_task_totals), so the
--   counter never goes down;
-- - pgvigil_task_duration_seconds{task_type}: a histogram of the same
--   tasks, from the rollups' fixed duration buckets (task_duration_bounds);
-- - pgvigil_tasks_running{task_type};
-- - pgvigil_errors_last_hour{component,severity}: a gauge over the last
--   hour (raw errors are dropped by retention, so no counter would hold);
-- - pgvigil_component_healthy{component_type,component,status}: 1 when
--   healthy, else 0; pgvigil_component_response_time_seconds;
-- - pgvigil_queue_pending, pgvigil_queue_processing and
--   pgvigil_queue_oldest_pending_age_seconds{queue}, from each queue's
--   newest sample of the last 24 hours;
-- - pgvigil_alerts{severity,state}: open alerts (pending, firing,
--   acknowledged), every pair present, 0 when none;
-- - pgvigil_notifications_total{receiver,integration,status}: notifications
--   written to the outbox by their status now (delivered, failed, held
--   are final; pending is not a counter, see pgvigil_notifications_pending);
--   pgvigil_notification_attempts_total{receiver,integration,outcome}.
DECLARE
    v_boundary timestamptz := monitoring.rollup_boundary('processing_metrics');
    v_bounds double precision[] := monitoring.task_duration_bounds();
    v_out text[] := '{}'::text[];
    v_lines text;
BEGIN
    -- Tasks ended, and their durations: kept hour rollups before the
    -- boundary's hour, the tail from it on, and what retention expired.
    WITH totals AS (
        SELECT u.task_type, sum(u.completed_count) AS completed_count, sum(u.failed_count) AS failed_count,
               sum(u.cancelled_count) AS cancelled_count, sum(u.duration_sum) AS duration_sum,
               monitoring.sum_bucket_counts(u.duration_buckets) AS duration_buckets
        FROM (SELECT h.task_type, h.completed_count, h.failed_count, h.cancelled_count,
                     h.duration_sum, h.duration_buckets
              FROM monitoring.task_rollup_hour AS h
              WHERE h.bucket < date_bin('1 hour', v_boundary, TIMESTAMPTZ '2000-01-01 00:00:00+00')
              UNION ALL
              SELECT t.task_type, t.completed_count, t.failed_count, t.cancelled_count,
                     t.duration_sum, t.duration_buckets
              FROM monitoring.task_tail('-infinity', interval '1 hour') AS t
              UNION ALL
              SELECT e.task_type, e.completed_count, e.failed_count, e.cancelled_count,
                     e.duration_sum, e.duration_buckets
              FROM monitoring_internal.expired_task_totals AS e) AS u
        GROUP BY u.task_type
    ), lines AS (
        SELECT 1 AS family, t.task_type, s.ord, format('pgvigil_tasks_total{task_type="%s",status="%s"} %s',
                   monitoring_internal.prometheus_escape(t.task_type), s.status, s.n) AS line
        FROM totals AS t,
             LATERAL (VALUES (1, 'cancelled', t.cancelled_count), (2, 'completed', t.completed_count),
                             (3, 'failed', t.failed_count)) AS s (ord, status, n)
        UNION ALL
        SELECT 2, t.task_type, b.i,
               format('pgvigil_task_duration_seconds_bucket{task_type="%s",le="%s"} %s',
                      monitoring_internal.prometheus_escape(t.task_type),
                      monitoring_internal.prometheus_number(v_bounds[b.i]),
                      (SELECT coalesce(sum(c), 0) FROM unnest(t.duration_buckets[1:b.i]) AS c))
        FROM totals AS t, generate_series(1, array_length(v_bounds, 1)) AS b (i)
        UNION ALL
        SELECT 2, t.task_type, 1000,
               format('pgvigil_task_duration_seconds_sum{task_type="%s"} %s',
                      monitoring_internal.prometheus_escape(t.task_type),
                      monitoring_internal.prometheus_number(coalesce(t.duration_sum, 0)))
        FROM totals AS t
        UNION ALL
        SELECT 2, t.task_type, 1001,
               format('pgvigil_task_duration_seconds_count{task_type="%s"} %s',
                      monitoring_internal.prometheus_escape(t.task_type),
                      (SELECT coalesce(sum(c), 0) FROM unnest(t.duration_buckets) AS c))
        FROM totals AS t
    )
    SELECT array_to_string(ARRAY[
               '# HELP pgvigil_tasks_total Tasks ended, by type and final status.',
               '# TYPE pgvigil_tasks_total counter',
               (SELECT string_agg(l.line, E'\n' ORDER BY l.task_type, l.ord) FROM lines AS l WHERE l.family = 1),
               '# HELP pgvigil_task_duration_seconds Durations of the tasks ended, by type.',
               '# TYPE pgvigil_task_duration_seconds histogram',
               (SELECT string_agg(l.line, E'\n' ORDER BY l.task_type, l.ord) FROM lines AS l WHERE l.family = 2)],
           E'\n')
    INTO v_lines;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_tasks_running Tasks started and not yet ended, by type.',
        '# TYPE pgvigil_tasks_running gauge'];
    SELECT string_agg(format('pgvigil_tasks_running{task_type="%s"} %s',
                             monitoring_internal.prometheus_escape(r.task_type), r.n), E'\n' ORDER BY r.task_type)
    INTO v_lines
    FROM (SELECT rt.task_type, count(*) AS n FROM monitoring_internal.running_tasks AS rt GROUP BY rt.task_type) AS r;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_errors_last_hour Errors recorded in the last hour, by component and severity.',
        '# TYPE pgvigil_errors_last_hour gauge'];
    SELECT string_agg(format('pgvigil_errors_last_hour{component="%s",severity="%s"} %s',
                             monitoring_internal.prometheus_escape(e.component), e.severity, e.n), E'\n'
                      ORDER BY e.component, e.severity)
    INTO v_lines
    FROM (SELECT coalesce(et.component, '') AS component, et.severity, count(*) AS n
          FROM monitoring.error_tracking AS et
          WHERE et.occurred_at > now() - interval '1 hour'
          GROUP BY 1, 2) AS e;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_component_healthy 1 when the component''s last report was healthy, else 0.',
        '# TYPE pgvigil_component_healthy gauge'];
    SELECT string_agg(format('pgvigil_component_healthy{component_type="%s",component="%s",status="%s"} %s',
                             monitoring_internal.prometheus_escape(h.component_type),
                             monitoring_internal.prometheus_escape(h.component_name), h.status,
                             CASE WHEN h.status = 'healthy' THEN 1 ELSE 0 END), E'\n'
                      ORDER BY h.component_type, h.component_name)
    INTO v_lines
    FROM monitoring.system_health AS h;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_component_response_time_seconds The response time of the component''s last health report.',
        '# TYPE pgvigil_component_response_time_seconds gauge'];
    SELECT string_agg(format('pgvigil_component_response_time_seconds{component_type="%s",component="%s"} %s',
                             monitoring_internal.prometheus_escape(h.component_type),
                             monitoring_internal.prometheus_escape(h.component_name),
                             monitoring_internal.prometheus_number((h.response_time_ms / 1000)::double precision)), E'\n'
                      ORDER BY h.component_type, h.component_name)
    INTO v_lines
    FROM monitoring.system_health AS h
    WHERE h.response_time_ms IS NOT NULL;
    v_out := v_out || v_lines;

    -- Each queue's newest sample of the last 24 hours.
    WITH q AS (
        SELECT DISTINCT ON (x.queue_name) x.queue_name, x.pending_count, x.processing_count,
               x.oldest_pending_age_seconds
        FROM monitoring.queue_monitoring AS x
        WHERE x.recorded_at > now() - interval '24 hours'
        ORDER BY x.queue_name, x.recorded_at DESC
    )
    SELECT array_to_string(ARRAY[
               '# HELP pgvigil_queue_pending Items waiting in the queue, at its newest sample.',
               '# TYPE pgvigil_queue_pending gauge',
               (SELECT string_agg(format('pgvigil_queue_pending{queue="%s"} %s',
                                         monitoring_internal.prometheus_escape(q.queue_name), q.pending_count),
                                  E'\n' ORDER BY q.queue_name) FROM q),
               '# HELP pgvigil_queue_processing Items being processed, at the queue''s newest sample.',
               '# TYPE pgvigil_queue_processing gauge',
               (SELECT string_agg(format('pgvigil_queue_processing{queue="%s"} %s',
                                         monitoring_internal.prometheus_escape(q.queue_name), q.processing_count),
                                  E'\n' ORDER BY q.queue_name) FROM q),
               '# HELP pgvigil_queue_oldest_pending_age_seconds Age of the oldest waiting item, at the queue''s newest sample.',
               '# TYPE pgvigil_queue_oldest_pending_age_seconds gauge',
               (SELECT string_agg(format('pgvigil_queue_oldest_pending_age_seconds{queue="%s"} %s',
                                         monitoring_internal.prometheus_escape(q.queue_name),
                                         monitoring_internal.prometheus_number(q.oldest_pending_age_seconds)),
                                  E'\n' ORDER BY q.queue_name) FROM q WHERE q.oldest_pending_age_seconds IS NOT NULL)],
           E'\n')
    INTO v_lines;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_alerts Open alerts, by severity and state (pending, firing, acknowledged).',
        '# TYPE pgvigil_alerts gauge'];
    SELECT string_agg(format('pgvigil_alerts{severity="%s",state="%s"} %s', s.severity, st.state,
                             (SELECT count(*) FROM monitoring.v_active_alerts AS a
                              WHERE a.severity = s.severity
                                AND CASE WHEN a.status = 'acknowledged' THEN 'acknowledged'
                                         WHEN a.state = 'pending' THEN 'pending' ELSE 'firing' END = st.state)),
                      E'\n' ORDER BY s.rank, st.rank)
    INTO v_lines
    FROM (VALUES ('critical', 1), ('high', 2), ('medium', 3), ('low', 4)) AS s (severity, rank),
         (VALUES ('firing', 1), ('acknowledged', 2), ('pending', 3)) AS st (state, rank);
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_notifications_total Notifications written to the outbox, by receiver, integration and status now.',
        '# TYPE pgvigil_notifications_total counter'];
    SELECT string_agg(format('pgvigil_notifications_total{receiver="%s",integration="%s",status="%s"} %s',
                             monitoring_internal.prometheus_escape(n.receiver),
                             monitoring_internal.prometheus_escape(n.integration), n.status, n.n), E'\n'
                      ORDER BY n.receiver, n.integration, n.status)
    INTO v_lines
    FROM (SELECT x.receiver, x.integration, x.status, count(*) AS n
          FROM monitoring.notifications AS x WHERE x.status <> 'pending' GROUP BY 1, 2, 3) AS n;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_notifications_pending Notifications waiting to be delivered, by receiver.',
        '# TYPE pgvigil_notifications_pending gauge'];
    SELECT string_agg(format('pgvigil_notifications_pending{receiver="%s"} %s',
                             monitoring_internal.prometheus_escape(n.receiver), n.n), E'\n' ORDER BY n.receiver)
    INTO v_lines
    FROM (SELECT r.receiver, count(x.*) AS n
          FROM (SELECT DISTINCT receiver FROM monitoring.notifications) AS r
          LEFT JOIN monitoring.notifications AS x ON x.receiver = r.receiver AND x.status = 'pending'
          GROUP BY 1) AS n;
    v_out := v_out || v_lines;

    v_out := v_out || ARRAY[
        '# HELP pgvigil_notification_attempts_total Delivery attempts, by receiver, integration and outcome.',
        '# TYPE pgvigil_notification_attempts_total counter'];
    SELECT string_agg(format('pgvigil_notification_attempts_total{receiver="%s",integration="%s",outcome="%s"} %s',
                             monitoring_internal.prometheus_escape(a.receiver),
                             monitoring_internal.prometheus_escape(a.integration), a.outcome, a.n), E'\n'
                      ORDER BY a.receiver, a.integration, a.outcome)
    INTO v_lines
    FROM (SELECT x.receiver, x.integration, t.outcome, count(*) AS n
          FROM monitoring.notification_attempts AS t
          JOIN monitoring.notifications AS x USING (notification_id)
          GROUP BY 1, 2, 3) AS a;
    v_out := v_out || v_lines;

    RETURN array_to_string(v_out, E'\n') || E'\n';
END;
$$;

COMMENT ON FUNCTION monitoring.prometheus_metrics() IS 'pgvigil''s tasks, durations, errors, health, queues, alerts and notification delivery in the Prometheus text format, as GET /metrics serves it.';

CREATE FUNCTION monitoring.purge_cron_history() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- pg_cron keeps one row per run in cron.job_run_details forever; this
-- deletes the rows of pgvigil's own jobs (the names job_definitions()
-- gives) older than retention.cron_job_run_details_days. Other jobs'
-- history belongs to whoever scheduled them and is left alone. Returns
-- the number deleted (0 where pg_cron is not installed).
DECLARE
    v_deleted bigint;
BEGIN
    IF to_regclass('cron.job_run_details') IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE 'DELETE FROM cron.job_run_details AS d
             USING cron.job AS j
             WHERE d.jobid = j.jobid
               AND j.jobname IN (SELECT job_name FROM monitoring.job_definitions())
               AND d.end_time < $1'
        USING now() - make_interval(days => 1) * monitoring_internal.config_number('{retention,cron_job_run_details_days}');
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$_$;

COMMENT ON FUNCTION monitoring.purge_cron_history() IS 'Deletes the pg_cron run history (cron.job_run_details) of pgvigil''s own jobs older than retention.cron_job_run_details_days, leaving other jobs'' history alone; returns rows deleted.';

CREATE FUNCTION monitoring.put_alert_rule(p_rule jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Creates a rule, or replaces the one of the same name whole, in the active
-- config (the config stays the one source of the rules, so config show
-- prints it and a later config apply keeps it). Validated with the rest of
-- the config; audited. Returns the rule as stored.
DECLARE
    v_document jsonb;
    v_rules jsonb;
    v_existed boolean;
BEGIN
    IF p_rule IS NULL OR jsonb_typeof(p_rule) <> 'object' OR jsonb_typeof(p_rule -> 'name') <> 'string' THEN
        RAISE EXCEPTION 'a rule must be a JSON object with a "name"'
            USING ERRCODE = 'PV509', HINT = monitoring_internal.rule_error_hint('PV509');
    END IF;
    SELECT c.document INTO v_document FROM monitoring.config AS c FOR UPDATE;
    v_rules := coalesce(v_document -> 'alert_rules', '[]');
    v_existed := EXISTS (SELECT FROM jsonb_array_elements(v_rules) AS r WHERE r ->> 'name' = p_rule ->> 'name');
    v_rules := CASE WHEN v_existed
                    THEN (SELECT jsonb_agg(CASE WHEN r ->> 'name' = p_rule ->> 'name' THEN p_rule ELSE r END ORDER BY n)
                          FROM jsonb_array_elements(v_rules) WITH ORDINALITY AS x (r, n))
                    ELSE v_rules || jsonb_build_array(p_rule) END;
    PERFORM monitoring.apply_config(jsonb_set(coalesce(v_document, '{}'), '{alert_rules}', v_rules));
    PERFORM monitoring_internal.write_audit_log('change_alert_rule', p_rule ->> 'name', jsonb_build_object(
        'operation', CASE WHEN v_existed THEN 'replace' ELSE 'create' END, 'rule', p_rule));
    RETURN p_rule;
END;
$$;

COMMENT ON FUNCTION monitoring.put_alert_rule(p_rule jsonb) IS 'Creates or replaces (by name, whole) an alert rule in the active config. Audited. Errors: PV501-PV509 (the rule), PV301 (the config).';

CREATE TABLE monitoring.components (
    component text NOT NULL,
    component_type text,
    labels jsonb DEFAULT '{}'::jsonb NOT NULL,
    criticality text,
    depends_on text[] DEFAULT '{}'::text[] NOT NULL,
    description text,
    seen_in text[] DEFAULT '{}'::text[] NOT NULL,
    first_seen_at timestamp with time zone,
    last_seen_at timestamp with time zone,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT components_component_check CHECK (((length(component) >= 1) AND (length(component) <= 200))),
    CONSTRAINT components_criticality_check CHECK ((criticality = ANY (ARRAY['low'::text, 'medium'::text, 'high'::text, 'critical'::text]))),
    CONSTRAINT components_labels_check CHECK ((jsonb_typeof(labels) = 'object'::text))
);

COMMENT ON TABLE monitoring.components IS 'Monitored components: registered on first sight in health reports (component_name), errors and metrics (component); labels, criticality, depends_on and description are set by admins (monitoring.put_component). Alerts about a component carry its labels.';

COMMENT ON COLUMN monitoring.components.seen_in IS 'Where the component was seen: health, errors, metrics.';

CREATE FUNCTION monitoring.put_component(p_component text, p_settings jsonb) RETURNS monitoring.components
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Registers a component, or changes what admins set on one: the keys of
-- p_settings replace those fields (component_type, labels, criticality,
-- depends_on, description), null clears one, a key not given stays.
-- labels are merged into every alert about the component (group labels
-- and the rule's labels win over them). Validated whole (PV521 a field,
-- PV522 a dependency that is not a component, PV523 a dependency cycle);
-- a failed call changes nothing. Audited as change_component.
DECLARE
    c_keys CONSTANT text[] := ARRAY['component_type', 'labels', 'criticality', 'depends_on', 'description'];
    v_key text;
    v_problems text[] := '{}'::text[];
    v_row monitoring.components;
    v_missing text[];
    v_cycle text;
BEGIN
    PERFORM monitoring_internal.assert_text('component', p_component, 200);
    IF p_settings IS NULL OR jsonb_typeof(p_settings) <> 'object' THEN
        RAISE EXCEPTION 'a component''s settings must be a JSON object'
            USING ERRCODE = 'PV521', HINT = monitoring_internal.component_error_hint('PV521');
    END IF;
    FOR v_key IN SELECT k FROM jsonb_object_keys(p_settings) AS k WHERE NOT k = ANY (c_keys) ORDER BY 1 LOOP
        v_problems := v_problems || format('unknown key %s', v_key);
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['component_type', 'description'] LOOP
        IF jsonb_typeof(p_settings -> v_key) NOT IN ('string', 'null')
           OR length(p_settings ->> v_key) NOT BETWEEN 1 AND 1000 THEN
            v_problems := v_problems || format('%s must be a string of 1-1000 characters or null', v_key);
        END IF;
    END LOOP;
    IF jsonb_typeof(p_settings -> 'criticality') NOT IN ('string', 'null')
       OR (jsonb_typeof(p_settings -> 'criticality') = 'string'
           AND monitoring_internal.severity_rank(p_settings ->> 'criticality') IS NULL) THEN
        v_problems := v_problems || 'criticality must be low, medium, high, critical or null'::text;
    END IF;
    IF jsonb_typeof(p_settings -> 'labels') NOT IN ('object', 'null')
       OR EXISTS (SELECT FROM jsonb_each(CASE jsonb_typeof(p_settings -> 'labels') WHEN 'object' THEN p_settings -> 'labels' END) AS l
                  WHERE jsonb_typeof(l.value) <> 'string' OR length(l.value #>> '{}') > 1000
                     OR l.key !~ '^[A-Za-z_][A-Za-z0-9_]{0,99}$' OR l.key IN ('alertname', 'severity')) THEN
        v_problems := v_problems || 'labels must be an object of strings whose names are letters, digits and _ (not alertname or severity)'::text;
    END IF;
    IF jsonb_typeof(p_settings -> 'depends_on') NOT IN ('array', 'null')
       OR EXISTS (SELECT FROM jsonb_array_elements(CASE jsonb_typeof(p_settings -> 'depends_on') WHEN 'array' THEN p_settings -> 'depends_on' END) AS d
                  WHERE jsonb_typeof(d) <> 'string') THEN
        v_problems := v_problems || 'depends_on must be a list of component names'::text;
    END IF;
    IF v_problems <> '{}' THEN
        RAISE EXCEPTION 'invalid settings for component %: % problem(s)', p_component, cardinality(v_problems)
            USING ERRCODE = 'PV521', DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = monitoring_internal.component_error_hint('PV521');
    END IF;

    INSERT INTO monitoring.components AS c (component) VALUES (p_component)
    ON CONFLICT ON CONSTRAINT components_pkey DO NOTHING;
    UPDATE monitoring.components AS c
    SET component_type = CASE WHEN p_settings ? 'component_type' THEN p_settings ->> 'component_type' ELSE c.component_type END,
        labels = CASE WHEN p_settings ? 'labels' THEN coalesce(nullif(p_settings -> 'labels', 'null'), '{}') ELSE c.labels END,
        criticality = CASE WHEN p_settings ? 'criticality' THEN p_settings ->> 'criticality' ELSE c.criticality END,
        depends_on = CASE WHEN p_settings ? 'depends_on'
                          THEN ARRAY(SELECT DISTINCT d FROM jsonb_array_elements_text(
                                         coalesce(nullif(p_settings -> 'depends_on', 'null'), '[]')) AS d ORDER BY 1)
                          ELSE c.depends_on END,
        description = CASE WHEN p_settings ? 'description' THEN p_settings ->> 'description' ELSE c.description END,
        updated_at = now()
    WHERE c.component = p_component
    RETURNING * INTO v_row;

    v_missing := ARRAY(SELECT d FROM unnest(v_row.depends_on) AS d
                       WHERE NOT EXISTS (SELECT FROM monitoring.components AS o WHERE o.component = d) ORDER BY 1);
    IF v_missing <> '{}' THEN
        RAISE EXCEPTION 'component % depends on %, which is not a component', p_component, array_to_string(v_missing, ', ')
            USING ERRCODE = 'PV522', HINT = monitoring_internal.component_error_hint('PV522');
    END IF;
    -- A dependency cycle through this component: follow depends_on from it.
    WITH RECURSIVE reach (component, path) AS (
        SELECT d, ARRAY[p_component, d] FROM unnest(v_row.depends_on) AS d
        UNION ALL
        SELECT n, r.path || n
        FROM reach AS r JOIN monitoring.components AS c ON c.component = r.component, unnest(c.depends_on) AS n
        WHERE NOT n = ANY (r.path[2:]) AND r.component <> p_component
    )
    SELECT array_to_string(r.path, ' -> ') INTO v_cycle FROM reach AS r WHERE r.component = p_component LIMIT 1;
    IF v_cycle IS NOT NULL THEN
        RAISE EXCEPTION 'component dependencies go round: %', v_cycle
            USING ERRCODE = 'PV523', HINT = monitoring_internal.component_error_hint('PV523');
    END IF;
    PERFORM monitoring_internal.write_audit_log('change_component', p_component,
                                                jsonb_build_object('settings', p_settings));
    RETURN v_row;
END;
$_$;

COMMENT ON FUNCTION monitoring.put_component(p_component text, p_settings jsonb) IS 'Registers a component or sets its component_type, labels, criticality, depends_on, description (keys given replace, null clears). Audited. Errors: PV001/PV008 (name), PV521 (a setting), PV522 (unknown dependency), PV523 (dependency cycle).';

CREATE FUNCTION monitoring.receive_alerts(p_alerts jsonb, p_source text DEFAULT 'alertmanager-api'::text) RETURNS TABLE(received integer, fired integer, refreshed integer, resolved integer, ignored integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Alerts posted as Alertmanager's API takes them (POST /api/v2/alerts, as
-- a Prometheus sends them: [{labels, annotations, startsAt, endsAt,
-- generatorURL}]). Each is known by its fingerprint: the first post fires
-- it (alert_events triggered, its notification groups, escalation), later
-- ones refresh it (annotations, last seen, when it ends), one whose endsAt
-- has passed resolves it. An alert without endsAt holds for the
-- notifications' global.resolve_timeout (5m), as in Alertmanager; one
-- that stops being posted resolves at its end (expire_posted_alerts()).
-- Severity comes from the severity label (posted_alert_severity()).
-- A resolved alert never seen firing is ignored. Validated whole first
-- (PV610, every problem in the DETAIL): a refused post writes nothing.
DECLARE
    v_problems text;
    v_resolve_timeout double precision;
    v_alert jsonb;
    v_labels jsonb;
    v_annotations jsonb;
    v_starts_at timestamptz;
    v_ends_at timestamptz;
    v_key text;
    v_open monitoring.alerts;
    v_id bigint;
BEGIN
    SELECT string_agg(p.problem, E'\n') INTO v_problems
    FROM monitoring_internal.posted_alert_problems(p_alerts) AS p;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'invalid alerts: % problem(s)', array_length(string_to_array(v_problems, E'\n'), 1)
            USING ERRCODE = 'PV610', DETAIL = v_problems,
                  HINT = 'post [{"labels": {"alertname": "DiskFull", ...}, "annotations": {...}, "startsAt": "2026-01-31T12:00:00Z", "endsAt": ...}] as Prometheus does';
    END IF;
    SELECT coalesce(monitoring_internal.parse_duration(c.notifications #> '{global,resolve_timeout}'), 300)
    INTO v_resolve_timeout FROM monitoring_internal.notification_config AS c;
    v_resolve_timeout := coalesce(v_resolve_timeout, 300);
    received := 0; fired := 0; refreshed := 0; resolved := 0; ignored := 0;
    FOR v_alert IN SELECT a FROM jsonb_array_elements(p_alerts) AS a LOOP
        received := received + 1;
        v_labels := v_alert -> 'labels';
        v_annotations := CASE WHEN jsonb_typeof(v_alert -> 'annotations') = 'object' THEN v_alert -> 'annotations' ELSE '{}' END;
        -- Go's zero time means unset.
        v_starts_at := CASE WHEN (v_alert ->> 'startsAt') LIKE '0001-%' THEN NULL ELSE (v_alert ->> 'startsAt')::timestamptz END;
        v_ends_at := CASE WHEN (v_alert ->> 'endsAt') LIKE '0001-%' THEN NULL ELSE (v_alert ->> 'endsAt')::timestamptz END;
        v_starts_at := least(coalesce(v_starts_at, now()), now());
        v_ends_at := coalesce(v_ends_at, now() + make_interval(secs => v_resolve_timeout));
        v_key := 'posted:' || monitoring.alert_fingerprint(v_labels);
        SELECT * INTO v_open FROM monitoring.alerts AS a WHERE a.alert_key = v_key AND a.resolved_at IS NULL FOR UPDATE;
        IF FOUND THEN
            IF v_ends_at <= now() THEN
                UPDATE monitoring.alerts AS a
                SET status = 'resolved', resolved_at = greatest(v_ends_at, a.triggered_at), resolved_by = p_source,
                    resolution_note = 'resolved by its source', ends_at = v_ends_at, last_seen_at = now(),
                    annotations = v_annotations
                WHERE a.alert_id = v_open.alert_id;
                INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor)
                VALUES (v_open.alert_id, 'resolved', v_open.severity, p_source);
                resolved := resolved + 1;
            ELSE
                UPDATE monitoring.alerts AS a
                SET ends_at = v_ends_at, last_seen_at = now(), occurrence_count = a.occurrence_count + 1,
                    annotations = v_annotations,
                    title = coalesce(v_annotations ->> 'summary', v_labels ->> 'alertname', a.title),
                    message = coalesce(v_annotations ->> 'description', v_annotations ->> 'summary', a.message),
                    generator_url = coalesce(v_alert ->> 'generatorURL', a.generator_url)
                WHERE a.alert_id = v_open.alert_id;
                refreshed := refreshed + 1;
            END IF;
            CONTINUE;
        END IF;
        IF v_ends_at <= now() THEN
            ignored := ignored + 1;  -- resolved before pgvigil saw it fire: nothing to tell
            CONTINUE;
        END IF;
        INSERT INTO monitoring.alerts
            (alert_key, alert_type, subject, severity, title, message, details, triggered_at, triggered_by,
             last_seen_at, labels, annotations, fingerprint, breached_at, component, ends_at, generator_url)
        VALUES (v_key, 'posted',
                coalesce(v_labels ->> 'instance', v_labels ->> 'component', v_labels ->> 'job', v_labels ->> 'alertname', 'posted'),
                monitoring_internal.posted_alert_severity(v_labels),
                coalesce(v_annotations ->> 'summary', v_labels ->> 'alertname', 'posted alert'),
                coalesce(v_annotations ->> 'description', v_annotations ->> 'summary',
                         coalesce(v_labels ->> 'alertname', 'an alert') || ' posted by ' || p_source),
                jsonb_build_object('source', p_source), v_starts_at, p_source, now(), v_labels, v_annotations,
                monitoring.alert_fingerprint(v_labels), v_starts_at, v_labels ->> 'component', v_ends_at,
                v_alert ->> 'generatorURL')
        RETURNING alert_id INTO v_id;
        INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor)
        SELECT v_id, 'triggered', a.severity, p_source FROM monitoring.alerts AS a WHERE a.alert_id = v_id;
        PERFORM monitoring_internal.group_alert(v_id);
        fired := fired + 1;
    END LOOP;
    RETURN NEXT;
END;
$$;

COMMENT ON FUNCTION monitoring.receive_alerts(p_alerts jsonb, p_source text) IS 'Alerts posted through the Alertmanager API (POST /api/v2/alerts): fires, refreshes or resolves each by fingerprint; counts of each. Errors: PV610.';

CREATE FUNCTION monitoring.record_error(p_task_id text, p_error_type text, p_severity text, p_message text, p_component text, p_stack_trace text DEFAULT NULL::text, p_context jsonb DEFAULT NULL::jsonb, p_event_time timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Records one error, inside a task (p_task_id) or not (NULL), and returns
-- its id. Long messages and stack traces are truncated, not rejected: an
-- error report must not be lost for being verbose.
DECLARE
    v_error_id bigint;
BEGIN
    IF p_task_id IS NOT NULL THEN
        PERFORM monitoring_internal.assert_text('task_id', p_task_id, 200);
    END IF;
    PERFORM monitoring_internal.assert_text('error_type', p_error_type, 200);
    PERFORM monitoring_internal.assert_text('severity', p_severity, 200);
    IF p_severity NOT IN ('low', 'medium', 'high', 'critical') THEN
        RAISE EXCEPTION 'unknown severity: %', p_severity
            USING ERRCODE = 'PV003',
                  HINT = 'Use one of low, medium, high, critical.';
    END IF;
    PERFORM monitoring_internal.assert_text('message', p_message, 2147483647);
    PERFORM monitoring_internal.assert_text('component', p_component, 200);
    PERFORM monitoring_internal.assert_json_object('context', p_context);
    PERFORM monitoring_internal.assert_event_time(p_event_time);

    INSERT INTO monitoring.error_tracking
        (task_id, error_type, severity, message, component, stack_trace, context, occurred_at)
    VALUES
        (p_task_id, p_error_type, p_severity, left(p_message, 10000), p_component,
         left(p_stack_trace, 100000), p_context, p_event_time)
    RETURNING error_id INTO v_error_id;
    IF p_severity = 'critical' THEN
        PERFORM monitoring_internal.notify_evaluator('critical_error');
    END IF;

    RETURN v_error_id;
END;
$$;

COMMENT ON FUNCTION monitoring.record_error(p_task_id text, p_error_type text, p_severity text, p_message text, p_component text, p_stack_trace text, p_context jsonb, p_event_time timestamp with time zone) IS 'Records an error (severity low, medium, high or critical) for a task or, with a NULL task id, outside one. Message kept up to 10,000 characters, stack trace up to 100,000. Returns the error id. Errors: PV001, PV003, PV006, PV007, PV008.';

CREATE FUNCTION monitoring.record_notification_attempt(p_notification_id bigint, p_attempt integer, p_outcome text, p_status_code integer DEFAULT NULL::integer, p_latency_ms double precision DEFAULT NULL::double precision, p_error text DEFAULT NULL::text, p_retry_after_seconds double precision DEFAULT NULL::double precision, p_worker text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Records one delivery attempt and decides what follows, here rather than
-- in each worker: delivered; failed for good (p_outcome failed: a 4xx the
-- receiver will refuse again, 410 Gone, or a notification a day old); or
-- retried with exponential backoff and jitter (1 s doubling, at most 5 min),
-- or after the receiver's Retry-After (at most an hour). A 410 Gone also
-- disables the integration (monitoring.disabled_integrations). Returns the
-- notification's status. An attempt recorded twice (a worker retrying the
-- call) is recorded once.
DECLARE
    v_row monitoring.notifications;
    v_status text;
BEGIN
    IF p_outcome IS NULL OR p_outcome NOT IN ('delivered', 'retry', 'failed') THEN
        RAISE EXCEPTION 'outcome must be delivered, retry or failed, got %', coalesce(p_outcome, 'NULL')
            USING ERRCODE = 'PV002', HINT = 'delivered: the receiver took it; retry: try again later; failed: never again.';
    END IF;
    SELECT * INTO v_row FROM monitoring.notifications AS n WHERE n.notification_id = p_notification_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown notification: %', p_notification_id
            USING ERRCODE = 'PV004', HINT = 'Record attempts of notifications claim_notifications() returned.';
    END IF;
    INSERT INTO monitoring.notification_attempts
        (notification_id, attempt, outcome, status_code, latency_ms, error, worker)
    VALUES (p_notification_id, p_attempt, p_outcome, p_status_code, p_latency_ms, left(p_error, 2000), p_worker)
    ON CONFLICT ON CONSTRAINT notification_attempts_pkey DO NOTHING;
    IF v_row.status <> 'pending' THEN
        RETURN v_row.status;  -- delivered by another attempt already
    END IF;
    v_status := CASE WHEN p_outcome = 'delivered' THEN 'delivered'
                     WHEN p_outcome = 'failed' OR v_row.created_at < now() - interval '1 day' THEN 'failed'
                     ELSE 'pending' END;
    UPDATE monitoring.notifications AS n
    SET status = v_status,
        delivered_at = CASE WHEN v_status = 'delivered' THEN now() END,
        claimed_until = NULL,
        last_error = CASE WHEN v_status = 'delivered' THEN NULL ELSE left(p_error, 2000) END,
        next_attempt_at = CASE WHEN v_status <> 'pending' THEN n.next_attempt_at
                               WHEN p_retry_after_seconds IS NOT NULL
                                   THEN now() + make_interval(secs => least(greatest(p_retry_after_seconds, 0), 3600))
                               ELSE now() + make_interval(secs => least(300, power(2, least(n.attempts, 20) - 1))
                                                                  * (0.5 + random())) END
    WHERE n.notification_id = p_notification_id;
    -- 410 Gone: the endpoint says it is gone for good. The integration is
    -- disabled (PgvigilIntegrationDisabled fires), and what waits for it fails now.
    IF p_outcome = 'failed' AND p_status_code = 410 THEN
        INSERT INTO monitoring.disabled_integrations
            (receiver, integration, integration_index, status_code, error, notification_id, config_digest)
        SELECT v_row.receiver, v_row.integration, v_row.integration_index, p_status_code, left(p_error, 2000),
               p_notification_id,
               monitoring_internal.integration_config_digest(c.notifications, v_row.receiver, v_row.integration,
                                                             v_row.integration_index)
        FROM monitoring_internal.notification_config AS c
        ON CONFLICT ON CONSTRAINT disabled_integrations_pkey DO NOTHING;
        UPDATE monitoring.notifications AS n
        SET status = 'failed', claimed_until = NULL,
            last_error = format('not sent: %s %s[%s] is disabled since it answered 410 Gone', n.receiver, n.integration,
                                n.integration_index)
        WHERE n.status = 'pending' AND n.receiver = v_row.receiver AND n.integration = v_row.integration
          AND n.integration_index = v_row.integration_index AND n.notification_id <> p_notification_id;
    END IF;
    RETURN v_status;
END;
$$;

COMMENT ON FUNCTION monitoring.record_notification_attempt(p_notification_id bigint, p_attempt integer, p_outcome text, p_status_code integer, p_latency_ms double precision, p_error text, p_retry_after_seconds double precision, p_worker text) IS 'Records a delivery attempt (delivered, retry, failed) and sets the notification delivered, failed, or due again after backoff or Retry-After; returns its status. Errors: PV002 (outcome), PV004 (unknown notification).';

CREATE FUNCTION monitoring.record_performance_metric(p_metric_name text, p_metric_type text, p_value double precision, p_unit text, p_component text, p_tags jsonb DEFAULT NULL::jsonb, p_event_time timestamp with time zone DEFAULT now()) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Records one performance sample. Values may be negative (deltas,
-- temperatures) but must be finite.
BEGIN
    PERFORM monitoring_internal.assert_text('metric_name', p_metric_name, 200);
    PERFORM monitoring_internal.assert_text('metric_type', p_metric_type, 200);
    IF p_value IS NULL THEN
        RAISE EXCEPTION 'value must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass the measured value; skip the call when there is no measurement.';
    END IF;
    IF p_value = 'NaN'::double precision OR p_value IN ('Infinity', '-Infinity') THEN
        RAISE EXCEPTION 'value must be a finite number, got %', p_value
            USING ERRCODE = 'PV005',
                  HINT = 'Skip the sample instead of recording NaN or infinity.';
    END IF;
    PERFORM monitoring_internal.assert_text('unit', p_unit, 200);
    PERFORM monitoring_internal.assert_text('component', p_component, 200);
    PERFORM monitoring_internal.assert_json_object('tags', p_tags);
    PERFORM monitoring_internal.assert_event_time(p_event_time);

    INSERT INTO monitoring.performance_monitoring
        (metric_name, metric_type, metric_value, unit, component, tags, recorded_at)
    VALUES
        (p_metric_name, p_metric_type, p_value, p_unit, p_component, p_tags, p_event_time);
    PERFORM monitoring_internal.note_ingest('performance_monitoring', p_event_time, p_event_time);
END;
$$;

COMMENT ON FUNCTION monitoring.record_performance_metric(p_metric_name text, p_metric_type text, p_value double precision, p_unit text, p_component text, p_tags jsonb, p_event_time timestamp with time zone) IS 'Records one performance sample (value in the given unit) for a component. Errors: PV001, PV005, PV006, PV007, PV008.';

CREATE FUNCTION monitoring.record_queue_stats(p_queue_name text, p_pending_count integer, p_processing_count integer DEFAULT 0, p_completed_count integer DEFAULT 0, p_failed_count integer DEFAULT 0, p_oldest_pending_age_seconds double precision DEFAULT NULL::double precision, p_event_time timestamp with time zone DEFAULT now()) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Records one sample of a queue: pending and in-flight counts, items
-- completed and failed since the previous sample, age of the oldest pending.
BEGIN
    PERFORM monitoring_internal.assert_text('queue_name', p_queue_name, 200);
    IF p_pending_count IS NULL THEN
        RAISE EXCEPTION 'pending_count must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass the number of items waiting in the queue (0 or more).';
    END IF;
    PERFORM monitoring_internal.assert_count('pending_count', p_pending_count);
    PERFORM monitoring_internal.assert_count('processing_count', p_processing_count);
    PERFORM monitoring_internal.assert_count('completed_count', p_completed_count);
    PERFORM monitoring_internal.assert_count('failed_count', p_failed_count);
    PERFORM monitoring_internal.assert_count('oldest_pending_age_seconds', p_oldest_pending_age_seconds);
    PERFORM monitoring_internal.assert_event_time(p_event_time);

    INSERT INTO monitoring.queue_monitoring
        (queue_name, pending_count, processing_count, completed_count, failed_count,
         oldest_pending_age_seconds, recorded_at)
    VALUES
        (p_queue_name, p_pending_count, coalesce(p_processing_count, 0),
         coalesce(p_completed_count, 0), coalesce(p_failed_count, 0),
         p_oldest_pending_age_seconds, p_event_time);
END;
$$;

COMMENT ON FUNCTION monitoring.record_queue_stats(p_queue_name text, p_pending_count integer, p_processing_count integer, p_completed_count integer, p_failed_count integer, p_oldest_pending_age_seconds double precision, p_event_time timestamp with time zone) IS 'Records a queue sample: pending, processing, completed and failed since the previous sample, and the age in seconds of the oldest pending item. Errors: PV001, PV004, PV005, PV006, PV008.';

CREATE FUNCTION monitoring.record_task_events(p_kinds text[], p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_event_times timestamp with time zone[]) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
-- Buffered task events, set-based: element i is a 'start' (task_type,
-- worker_id, input_size, metadata) or a 'complete' (status, output_size,
-- step_timings) of p_task_ids[i] at p_event_times[i]; unused fields NULL.
-- The result equals sending the events one by one, in any order: a start
-- and its completion in the same batch become one finished row; a
-- completion whose start has not arrived yet (another process's buffer) is
-- parked in pending_task_completions and applied when the start comes.
-- All or nothing: the first invalid event raises its documented error, and
-- the client retries smaller parts of the batch to isolate it. Three
-- steps, each with one home: validation (assert_task_events), starts
-- (record_task_starts), completions of earlier starts (finish_tasks, else
-- park_task_completions, the concurrent-start probe).
DECLARE
    v_count integer := coalesce(cardinality(p_kinds), 0);
    v_later record;
    v_finished text[];
BEGIN
    PERFORM monitoring_internal.assert_task_events(p_kinds, p_task_ids, p_task_types, p_worker_ids, p_input_sizes,
                                          p_metadata, p_statuses, p_output_sizes, p_step_timings, p_event_times);
    IF v_count = 0 THEN
        RETURN 0;
    END IF;

    -- Starts, each with its completion when the batch holds it too (the
    -- validation allows one of each per task): finished at once.
    PERFORM monitoring_internal.record_task_starts(
        array_agg(s.task_id), array_agg(s.task_type), array_agg(s.worker_id), array_agg(s.input_size),
        array_agg(s.metadata), array_agg(s.event_time), array_agg(c.status), array_agg(c.output_size),
        array_agg(c.step_timings), array_agg(c.event_time))
    FROM unnest(p_kinds, p_task_ids, p_task_types, p_worker_ids, p_input_sizes, p_metadata, p_event_times)
         AS s(kind, task_id, task_type, worker_id, input_size, metadata, event_time)
    LEFT JOIN unnest(p_kinds, p_task_ids, p_statuses, p_output_sizes, p_step_timings, p_event_times)
         AS c(kind, task_id, status, output_size, step_timings, event_time)
      ON c.kind = 'complete' AND c.task_id = s.task_id
    WHERE s.kind = 'start'
    HAVING count(*) > 0;

    -- Completions of tasks started earlier: finished now if running here,
    -- else probed and parked until their start arrives.
    SELECT array_agg(c.task_id) AS task_ids, array_agg(c.status) AS statuses,
           array_agg(c.output_size) AS output_sizes, array_agg(c.step_timings) AS step_timings,
           array_agg(c.event_time) AS end_times
    INTO v_later
    FROM unnest(p_kinds, p_task_ids, p_statuses, p_output_sizes, p_step_timings, p_event_times)
         AS c(kind, task_id, status, output_size, step_timings, event_time)
    WHERE c.kind = 'complete'
      AND NOT EXISTS (SELECT FROM unnest(p_kinds, p_task_ids) AS s(kind, task_id)
                      WHERE s.kind = 'start' AND s.task_id = c.task_id);
    IF v_later.task_ids IS NOT NULL THEN
        SELECT coalesce(array_agg(f.task_id), '{}') INTO v_finished
        FROM monitoring_internal.finish_tasks(v_later.task_ids, v_later.statuses, v_later.output_sizes,
                                     v_later.step_timings, v_later.end_times) AS f;
        PERFORM monitoring_internal.park_task_completions(
            array_agg(c.task_id), array_agg(c.status), array_agg(c.output_size),
            array_agg(c.step_timings), array_agg(c.end_time))
        FROM unnest(v_later.task_ids, v_later.statuses, v_later.output_sizes, v_later.step_timings,
                    v_later.end_times) AS c(task_id, status, output_size, step_timings, end_time)
        WHERE c.task_id <> ALL (v_finished)
        HAVING count(*) > 0;
    END IF;
    RETURN v_count;
END;
$$;

COMMENT ON FUNCTION monitoring.record_task_events(p_kinds text[], p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_event_times timestamp with time zone[]) IS 'Buffered clients: applies a batch of task start and complete events (same result as one by one, in any order; completions before their start are parked). Returns the number of events. Errors: PV001, PV002, PV004, PV006, PV007, PV008, PV009, PV101, PV103.';

CREATE PROCEDURE monitoring.refresh_rollups()
    LANGUAGE plpgsql
    AS $$
-- The rollups job (pg_cron or `pgvigil scheduler`, every minute): advance
-- the watermark, COMMIT, then aggregate what is queued. The COMMIT between
-- the two is what makes late writes safe (see advance_rollup_watermark), so
-- this is a procedure; CALL it outside an explicit transaction block. Not
-- SECURITY DEFINER (a procedure with SET cannot COMMIT): it runs as its
-- caller, who needs EXECUTE on the two steps (pgvigil_admin). Cheap when
-- idle: one minute of each raw table; safe to run twice at once.
BEGIN
    IF pg_catalog.pg_is_in_recovery() THEN
        RETURN;
    END IF;
    PERFORM monitoring.advance_rollup_watermark();
    COMMIT;
    PERFORM monitoring.apply_rollup_pending();
END;
$$;

COMMENT ON PROCEDURE monitoring.refresh_rollups() IS 'Refreshes the rollups: advance_rollup_watermark(), COMMIT, apply_rollup_pending(). CALL monitoring.refresh_rollups() outside a transaction block; scheduled as pgvigil-rollups.';

CREATE FUNCTION monitoring.resolve_alert(p_alert_id bigint, p_resolved_by text DEFAULT NULL::text, p_note text DEFAULT NULL::text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Resolves an open alert by hand. If its condition still holds, the next
-- check run raises a new alert for the same key: resolving is not silencing.
DECLARE
    v_status text;
    v_severity text;
    v_actor text := coalesce(nullif(btrim(p_resolved_by), ''), session_user::text);
BEGIN
    IF p_alert_id IS NULL THEN
        RAISE EXCEPTION 'alert_id must not be NULL'
            USING ERRCODE = 'PV001', HINT = 'Pass an alert_id from monitoring.v_active_alerts.';
    END IF;
    PERFORM monitoring_internal.assert_text('resolved_by', v_actor, 200);
    SELECT a.status, a.severity INTO v_status, v_severity
    FROM monitoring.alerts AS a WHERE a.alert_id = p_alert_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown alert: %', p_alert_id
            USING ERRCODE = 'PV201', HINT = 'Pass an alert_id from monitoring.v_active_alerts.';
    END IF;
    IF v_status = 'resolved' THEN
        RAISE EXCEPTION 'alert % is already resolved', p_alert_id
            USING ERRCODE = 'PV202', HINT = 'Nothing to do: it is closed. See monitoring.alert_events for its history.';
    END IF;

    UPDATE monitoring.alerts AS a
    SET status = 'resolved', resolved_at = now(), resolved_by = v_actor,
        resolution_note = left(p_note, 2000)
    WHERE a.alert_id = p_alert_id;
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor, note)
    VALUES (p_alert_id, 'resolved', v_severity, v_actor, left(p_note, 2000));
    PERFORM monitoring_internal.write_audit_log('resolve_alert', p_alert_id::text, jsonb_build_object(
        'alert_id', p_alert_id, 'resolved_by', v_actor, 'note', left(p_note, 2000)));
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.resolve_alert(p_alert_id bigint, p_resolved_by text, p_note text) IS 'Resolves an open alert by hand (by default as the session user). If the condition persists the next check raises a new alert. Audited in monitoring.audit_log. Errors: PV001, PV008, PV201, PV202.';

CREATE FUNCTION monitoring.resolve_resolved_alerts() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Resolves open alerts whose condition cleared (acknowledged ones too) and
-- returns how many:
--  * a rule's alert whose group no longer fires: a check_*() function left
--    it open for this function, as the original design splits raising and
--    resolving (evaluate_alert_rules() resolves its own at once);
--  * an alert an old built-in check raised before the checks became rules,
--    that no rule took over, once its check ran again without seeing it
--    (last_seen_at < check_runs.last_run_at).
DECLARE
    v_source text := coalesce(nullif(current_setting('pgvigil.check_source', true), ''), 'manual');
    v_resolved integer;
BEGIN
    PERFORM monitoring_internal.lock_checks();
    WITH resolved AS (
        UPDATE monitoring.alerts AS a
        SET status = 'resolved',
            resolved_at = now(),
            resolved_by = v_source,
            resolution_note = 'condition cleared'
                || CASE WHEN a.rule_name IS NULL THEN ' at the check run of ' || c.last_run_at::text ELSE '' END
        FROM (SELECT a2.alert_id, c2.last_run_at
              FROM monitoring.alerts AS a2
              LEFT JOIN monitoring_internal.check_runs AS c2 ON c2.check_name = a2.alert_type
              WHERE a2.resolved_at IS NULL
                AND CASE WHEN a2.rule_name IS NULL THEN a2.last_seen_at < c2.last_run_at
                         ELSE NOT EXISTS (SELECT FROM monitoring_internal.rule_groups AS g
                                          WHERE g.alert_id = a2.alert_id AND g.state = 'firing') END
              FOR UPDATE OF a2) AS c
        WHERE a.alert_id = c.alert_id
        RETURNING a.alert_id, a.severity, a.current_value
    )
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, current_value, actor, note)
    SELECT r.alert_id, 'resolved', r.severity, r.current_value, v_source, 'condition cleared'
    FROM resolved AS r;
    GET DIAGNOSTICS v_resolved = ROW_COUNT;
    RETURN v_resolved;
END;
$$;

COMMENT ON FUNCTION monitoring.resolve_resolved_alerts() IS 'Resolves open alerts whose condition cleared: rule alerts whose group no longer fires (left open by the check_*() functions) and alerts of the pre-rule checks their check no longer found. Returns the number resolved.';

CREATE FUNCTION monitoring.revoke_api_key(p_key_id bigint) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Revokes an API key: from the next request on, pgvigil serve refuses it
-- (401). Returns false when it was revoked already. The row stays, so the
-- audit log's references keep a name. Audited as revoke_api_key.
-- Errors: PV702 an unknown id.
DECLARE
    v_key monitoring_internal.api_keys;
BEGIN
    SELECT * INTO v_key FROM monitoring_internal.api_keys AS k WHERE k.key_id = p_key_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown API key: %', coalesce(p_key_id::text, 'NULL')
            USING ERRCODE = 'PV702', HINT = monitoring_internal.api_key_error_hint('PV702');
    END IF;
    IF v_key.revoked_at IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE monitoring_internal.api_keys AS k
    SET revoked_at = now(),
        revoked_by = coalesce(nullif(current_setting('pgvigil.on_behalf_of', true), ''), session_user::text)
    WHERE k.key_id = p_key_id;
    PERFORM monitoring_internal.write_audit_log('revoke_api_key', p_key_id::text, jsonb_build_object(
        'key_id', p_key_id, 'name', v_key.name, 'role', v_key.role));
    PERFORM pg_notify('pgvigil_live', 'keys');  -- servers forget the keys they checked
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.revoke_api_key(p_key_id bigint) IS 'Revokes an API key (refused from the next request); false when it was revoked already. Audited. Errors: PV702.';

CREATE FUNCTION monitoring.rollup_boundary(p_source text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Where the trend views switch from rollups to raw rows for one raw table
-- (performance_monitoring or processing_metrics): the rollup watermark, or
-- the oldest minute still queued for re-aggregation if earlier; -infinity
-- before the first refresh (all raw). A function rather than a subquery in
-- each view: the planner evaluates a STABLE function when estimating, so it
-- sees how few raw rows lie past the boundary (a subquery's value is
-- unknown at plan time, estimated as a third of the table, which made plans
-- costly enough to trigger JIT compilation), and partitions are still
-- pruned at executor start. Runs in the calling query's snapshot; SECURITY
-- DEFINER because readers of the views may not read the rollup state.
DECLARE
    v_boundary timestamptz;
BEGIN
    SELECT least(s.watermark, (SELECT min(q.range_start) FROM monitoring_internal.rollup_pending AS q
                               WHERE q.source = p_source))
    INTO v_boundary
    FROM monitoring_internal.rollup_state AS s;
    RETURN coalesce(v_boundary, '-infinity');
END;
$$;

COMMENT ON FUNCTION monitoring.rollup_boundary(p_source text) IS 'Where the trend views switch from rollups to raw rows for a raw table: the rollup watermark or the oldest minute queued for re-aggregation; -infinity before the first refresh.';

CREATE FUNCTION monitoring.run_monitoring_checks(p_source text DEFAULT 'manual'::text) RETURNS TABLE(check_name text, alerts integer, duration_ms double precision)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Runs every check, then resolves what cleared, in one transaction. p_source
-- (pg_cron, scheduler, manual...) is recorded on the alerts it raises. If
-- another run keeps the lock for 5 s (pg_cron replaying missed minutes
-- while a DBA runs it by hand) this one returns no rows instead of
-- queueing; on a standby it does nothing.
DECLARE
    v_started timestamptz;
BEGIN
    IF pg_is_in_recovery() THEN
        RETURN;
    END IF;
    PERFORM monitoring_internal.assert_text('source', p_source, 200);
    -- Waits up to 5 s for the lock: the watchdog job (due the same minute)
    -- and a worker's evaluation hold it for moments only.
    IF NOT monitoring_internal.wait_for_checks_lock(5) THEN
        RAISE NOTICE 'pgvigil: monitoring checks already running in another session; skipped';
        RETURN;
    END IF;
    PERFORM set_config('pgvigil.check_source', p_source, true);

    -- Components seen since the last run join the registry first, so that
    -- the alerts below carry the labels admins gave them.
    v_started := clock_timestamp();
    check_name := 'register_components';
    alerts := monitoring_internal.register_components();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    v_started := clock_timestamp();
    check_name := 'check_error_rate_alerts';
    alerts := monitoring.check_error_rate_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    v_started := clock_timestamp();
    check_name := 'check_processing_performance_alerts';
    alerts := monitoring.check_processing_performance_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    v_started := clock_timestamp();
    check_name := 'check_system_health_alerts';
    alerts := monitoring.check_system_health_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    v_started := clock_timestamp();
    check_name := 'check_queue_backlog_alerts';
    alerts := monitoring.check_queue_backlog_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    -- The other alert rules (config alert_rules; the checks above evaluated
    -- theirs): pg_cron's minute job is their evaluator when no pgvigil
    -- worker runs.
    v_started := clock_timestamp();
    check_name := 'evaluate_alert_rules';
    alerts := (SELECT coalesce(sum(r.firing), 0)
               FROM monitoring_internal.evaluate_rules(
                        p_source, NULL,
                        ARRAY(SELECT unnest(b.rule_names) FROM monitoring_internal.builtin_check_rules() AS b)) AS r);
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;
    v_started := clock_timestamp();
    check_name := 'resolve_resolved_alerts';
    alerts := monitoring.resolve_resolved_alerts();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;

    -- The notifications now due (pg_cron is the fallback of the worker here
    -- too): written to the outbox, which the worker delivers.
    v_started := clock_timestamp();
    check_name := 'flush_notification_groups';
    alerts := monitoring.flush_notification_groups();
    duration_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;
    RETURN NEXT;
END;
$$;

COMMENT ON FUNCTION monitoring.run_monitoring_checks(p_source text) IS 'Registers components seen since the last run (register_components: alerts = components new), runs all alert checks, the alert rules (evaluate_alert_rules) resolve_resolved_alerts() and flush_notification_groups() (alerts = notifications written) in one transaction; one row per check with its duration in ms and alerts: for a check, the alerts it raised or updated; for evaluate_alert_rules, the alerts firing; for resolve_resolved_alerts, the alerts it resolved. Skips (no rows) when another run keeps the lock for 5 s.';

CREATE FUNCTION monitoring.run_partition_maintenance() RETURNS TABLE(table_name text, partitions_created integer, rows_moved_from_default bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Keeps daily partitions ready for every history table: from the oldest day
-- an event may still be recorded for (ingest.max_event_age_hours) to
-- partitioning.premake_days ahead, so writes never hit the default partition
-- even after days without maintenance. Rows found in the default partition
-- are moved into partitions of their own. Also expires buffered-ingest
-- state (expire_ingest_state). Idempotent; skips when another
-- maintenance run holds the lock or on a standby.
DECLARE
    v_premake_days integer := monitoring_internal.config_number('{partitioning,premake_days}')::integer;
    v_back_days integer := ceil(monitoring_internal.config_number('{ingest,max_event_age_hours}') / 24)::integer;
    v_today date := (now() AT TIME ZONE 'UTC')::date;
    v_day date;
    h record;
BEGIN
    IF pg_is_in_recovery() OR NOT pg_try_advisory_xact_lock(hashtext('pgvigil.partition_maintenance')) THEN
        RETURN;
    END IF;
    FOR h IN SELECT * FROM monitoring_internal.history_tables ORDER BY 1 LOOP
        table_name := h.table_name;
        partitions_created := 0;
        EXECUTE format('SELECT count(*) FROM monitoring.%I', h.table_name || '_default')
            INTO rows_moved_from_default;
        IF rows_moved_from_default > 0 THEN
            FOR v_day IN EXECUTE format('SELECT DISTINCT (%I AT TIME ZONE ''UTC'')::date FROM monitoring.%I',
                                        h.time_column, h.table_name || '_default') LOOP
                IF monitoring_internal.create_partition(h.table_name, v_day) THEN
                    partitions_created := partitions_created + 1;
                END IF;
            END LOOP;
        END IF;
        FOR v_day IN SELECT d::date FROM generate_series(v_today - v_back_days, v_today + v_premake_days,
                                                          interval '1 day') AS d LOOP
            IF monitoring_internal.create_partition(h.table_name, v_day) THEN
                partitions_created := partitions_created + 1;
            END IF;
        END LOOP;
        RETURN NEXT;
    END LOOP;
    PERFORM monitoring.expire_ingest_state();
END;
$$;

COMMENT ON FUNCTION monitoring.run_partition_maintenance() IS 'Creates the daily partitions of every history table from ingest.max_event_age_hours back to partitioning.premake_days ahead, and moves rows out of default partitions. One row per table.';

CREATE PROCEDURE monitoring.run_retention(INOUT partitions_dropped integer DEFAULT NULL::integer, INOUT partitions_busy integer DEFAULT NULL::integer, INOUT rows_removed bigint DEFAULT NULL::bigint, IN p_lock_timeout_ms integer DEFAULT 50, IN p_attempts integer DEFAULT 3)
    LANGUAGE plpgsql
    AS $$
-- The retention job (pg_cron or `pgvigil scheduler`, daily), as
-- pg_partman's run_maintenance_proc does it: one expired partition at a
-- time, DETACH then COMMIT (the history table's lock is held for
-- milliseconds), DROP of the now separate table then COMMIT, then the
-- row deletes (expire_old_rows). A partition whose lock is not had within
-- p_lock_timeout_ms (a reader keeps a transaction open on the table) is
-- tried again after the others, up to p_attempts rounds a second apart,
-- then left for the next run: no writer waits more than about
-- p_lock_timeout_ms because of retention. CALL it outside a transaction
-- block. Not SECURITY DEFINER (a procedure with SET cannot COMMIT): it runs
-- as its caller, who needs EXECUTE on the steps (pgvigil_admin). It holds
-- the cleanup advisory lock for the session (a transaction lock would end
-- at the first COMMIT), so run it on a connection of its own, as pg_cron
-- and `pgvigil scheduler` do: a run that fails keeps the lock until its
-- session ends.
-- Returns partitions dropped, partitions still busy, and rows removed.
DECLARE
    v_pending text[][];
    v_busy text[][];
    v_rows bigint;
    v_round integer := 0;
BEGIN
    partitions_dropped := 0;
    partitions_busy := 0;
    rows_removed := 0;
    IF pg_catalog.pg_is_in_recovery()
       OR NOT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext('pgvigil.cleanup')) THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(ARRAY[e.table_name, e.partition_name]), '{}') INTO v_pending
    FROM monitoring.expired_partitions() AS e;
    COMMIT;
    WHILE cardinality(v_pending) > 0 AND v_round < p_attempts LOOP
        IF v_round > 0 THEN
            PERFORM pg_catalog.pg_sleep(1);
        END IF;
        v_round := v_round + 1;
        v_busy := '{}';
        FOR i IN 1 .. pg_catalog.array_length(v_pending, 1) LOOP
            v_rows := monitoring.detach_expired_partition(v_pending[i][1], v_pending[i][2], p_lock_timeout_ms);
            COMMIT;
            IF v_rows IS NOT NULL AND monitoring.drop_detached_partition(v_pending[i][2], p_lock_timeout_ms) THEN
                partitions_dropped := partitions_dropped + 1;
                rows_removed := rows_removed + v_rows;
            ELSE
                v_busy := v_busy || v_pending[i:i][1:2];
            END IF;
            COMMIT;
        END LOOP;
        v_pending := v_busy;
    END LOOP;
    partitions_busy := coalesce(pg_catalog.array_length(v_pending, 1), 0);
    rows_removed := rows_removed + (SELECT coalesce(sum(e.rows_removed), 0) FROM monitoring.expire_old_rows() AS e);
    COMMIT;
    PERFORM pg_catalog.pg_advisory_unlock(pg_catalog.hashtext('pgvigil.cleanup'));
END;
$$;

COMMENT ON PROCEDURE monitoring.run_retention(INOUT partitions_dropped integer, INOUT partitions_busy integer, INOUT rows_removed bigint, IN p_lock_timeout_ms integer, IN p_attempts integer) IS 'The retention job (scheduled as pgvigil-cleanup): drops expired daily partitions one per transaction (DETACH, COMMIT, DROP, COMMIT) with a short lock_timeout so writers never queue behind it, retries busy ones, then deletes expired rows. CALL monitoring.run_retention() outside a transaction block; returns partitions_dropped, partitions_busy, rows_removed.';

CREATE FUNCTION monitoring.schedule_jobs() RETURNS TABLE(job_name text, schedule text, job_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Installs (or updates, by name) the pgvigil jobs in pg_cron. The checks run
-- every schedules.monitoring_checks_interval_seconds where pg_cron >= 1.5
-- supports seconds schedules, else on the cron expression (every minute).
-- Needs the pg_cron extension in this database (pgvigil migrate creates it
-- where the library is preloaded for it); otherwise raises PV401 with what
-- to do in the HINT.
DECLARE
    v_version text;
    v_version_parts integer[];
    v_interval_seconds jsonb;
    v_schedule text;
    v_jobs jsonb := '[]'::jsonb;
    j record;
BEGIN
    SELECT e.extversion INTO v_version FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron';
    IF NOT FOUND THEN
        -- Installing an extension is the DBA's (or migrate's) step, not a
        -- side effect of a function any admin may call.
        IF 'pg_cron' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
           AND current_setting('cron.database_name', true) = current_database() THEN
            RAISE EXCEPTION 'pg_cron is preloaded for database % but the extension is not created in it', current_database()
                USING ERRCODE = 'PV401',
                      HINT = 'Run pgvigil migrate (it creates the extension where pg_cron is preloaded), '
                             || 'or as a superuser: CREATE EXTENSION pg_cron; then SELECT monitoring.schedule_jobs() again.';
        END IF;
        RAISE EXCEPTION 'pg_cron is not available in database %', current_database()
            USING ERRCODE = 'PV401',
                  DETAIL = format('shared_preload_libraries = %L; cron.database_name = %L.',
                                  current_setting('shared_preload_libraries'),
                                  coalesce(current_setting('cron.database_name', true), '(unset)')),
                  HINT = format(E'Install pg_cron (Debian: postgresql-15-cron), add to postgresql.conf:\n'
                                || E'  shared_preload_libraries = ''pg_cron''\n'
                                || E'  cron.database_name = %L\n'
                                || 'restart PostgreSQL, run pgvigil migrate, then SELECT monitoring.schedule_jobs() again; '
                                || 'or run the same jobs from Python with: pgvigil scheduler',
                                current_database());
    END IF;
    v_version_parts := (regexp_match(v_version, '^(\d+)\.(\d+)'))::integer[];
    v_interval_seconds := monitoring_internal.config_value('{schedules}') -> 'monitoring_checks_interval_seconds';

    FOR j IN SELECT * FROM monitoring.job_definitions('pg_cron') LOOP
        v_schedule := j.schedule;
        IF j.job_name = 'pgvigil-monitoring-checks' AND jsonb_typeof(v_interval_seconds) = 'number' THEN
            IF v_version_parts >= ARRAY[1, 5] THEN
                v_schedule := (v_interval_seconds #>> '{}') || ' seconds';
            ELSE
                RAISE NOTICE 'pg_cron % has no seconds schedules (1.5+); checks run on "%" instead of every % seconds',
                    v_version, v_schedule, v_interval_seconds;
            END IF;
        END IF;
        BEGIN
            EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING j.job_name, v_schedule, j.command;
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE EXCEPTION 'invalid schedule for %: %', j.job_name, v_schedule
                USING ERRCODE = 'PV402',
                      DETAIL = SQLERRM,
                      HINT = 'Use a five-field cron expression in UTC, e.g. "* * * * *" or "17 3 * * *", in the config''s "schedules", then apply it.';
        END;
        job_name := j.job_name;
        schedule := v_schedule;
        v_jobs := v_jobs || jsonb_build_object('job_name', j.job_name, 'schedule', v_schedule, 'job_id', job_id);
        RETURN NEXT;
    END LOOP;
    PERFORM monitoring_internal.write_audit_log('schedule_jobs', 'pg_cron', jsonb_build_object('jobs', v_jobs));
END;
$_$;

COMMENT ON FUNCTION monitoring.schedule_jobs() IS 'Installs or updates the named pgvigil jobs in pg_cron (checks, rollups, partition maintenance, cleanup, cron history purge). Idempotent; audited in monitoring.audit_log. Errors: PV401 (pg_cron not available, HINT gives the postgresql.conf lines), PV402 (invalid schedule).';

CREATE FUNCTION monitoring.send_test_notification(p_receiver text) RETURNS SETOF bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Writes a test notification to the outbox for every integration of a
-- receiver (reason test: one firing alert PgvigilTestNotification, in the
-- webhook v4 shape), and returns their ids for the caller to deliver or
-- watch (pgvigil notify test RECEIVER); written as any notification is
-- (write_notifications: to a disabled integration, failed and saying why).
-- Errors: PV601 an unknown receiver,
-- PV608 a receiver with no integrations.
DECLARE
    v_receiver jsonb;
    v_payload jsonb;
    v_key text := 'pgvigil-test-' || gen_random_uuid();
    v_id bigint;
BEGIN
    PERFORM monitoring_internal.assert_text('receiver', p_receiver, 200);
    SELECT r INTO v_receiver
    FROM monitoring_internal.notification_config AS c, jsonb_array_elements(c.notifications -> 'receivers') AS r
    WHERE r ->> 'name' = p_receiver;
    IF v_receiver IS NULL THEN
        RAISE EXCEPTION 'unknown receiver: %', p_receiver
            USING ERRCODE = 'PV601', HINT = 'Receivers are notifications.receivers of the config: pgvigil config show.';
    END IF;
    v_payload := monitoring_internal.synthetic_payload(
        p_receiver, jsonb_build_object('alertname', 'PgvigilTestNotification', 'severity', 'low'),
        jsonb_build_object('summary', 'A test notification from pgvigil'), now());
    PERFORM monitoring_internal.write_notifications(
        p_receiver, NULL, NULL, v_payload ->> 'groupKey', 'test', v_key, v_payload, v_payload);
    FOR v_id IN
        SELECT n.notification_id FROM monitoring.notifications AS n
        WHERE n.receiver = p_receiver AND n.created_at = now() AND n.idempotency_key LIKE v_key || '-%'
        ORDER BY n.notification_id
    LOOP
        RETURN NEXT v_id;
    END LOOP;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'receiver % has no integrations to send to', p_receiver
            USING ERRCODE = 'PV608', HINT = 'Give it webhook_configs, slack_configs, msteamsv2_configs, email_configs or pagerduty_configs.';
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring.send_test_notification(p_receiver text) IS 'Writes a test notification (one firing alert PgvigilTestNotification) to the outbox for each integration of a receiver; returns their ids. Errors: PV601, PV608.';

CREATE FUNCTION monitoring.set_alert_rule_enabled(p_rule_name text, p_enabled boolean) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Enables or disables a rule in the active config. A disabled rule's open
-- alerts resolve and its groups are forgotten. Audited. Returns whether
-- anything changed.
DECLARE
    v_document jsonb;
    v_position integer;
BEGIN
    PERFORM monitoring_internal.assert_text('rule_name', p_rule_name, 100);
    IF p_enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must be true or false' USING ERRCODE = 'PV001', HINT = 'Pass true to enable the rule, false to disable it.';
    END IF;
    SELECT c.document INTO v_document FROM monitoring.config AS c FOR UPDATE;
    SELECT n - 1 INTO v_position FROM jsonb_array_elements(coalesce(v_document -> 'alert_rules', '[]')) WITH ORDINALITY AS x (r, n)
    WHERE r ->> 'name' = p_rule_name;
    IF v_position IS NULL THEN
        RAISE EXCEPTION 'unknown alert rule: %', p_rule_name
            USING ERRCODE = 'PV510', HINT = monitoring_internal.rule_error_hint('PV510');
    END IF;
    IF coalesce((v_document #>> ARRAY['alert_rules', v_position::text, 'enabled'])::boolean, true) = p_enabled THEN
        RETURN false;
    END IF;
    PERFORM monitoring.apply_config(jsonb_set(v_document, ARRAY['alert_rules', v_position::text, 'enabled'], to_jsonb(p_enabled)));
    PERFORM monitoring_internal.write_audit_log('change_alert_rule', p_rule_name, jsonb_build_object(
        'operation', CASE WHEN p_enabled THEN 'enable' ELSE 'disable' END));
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.set_alert_rule_enabled(p_rule_name text, p_enabled boolean) IS 'Enables or disables an alert rule in the active config; a disabled rule''s alerts resolve. Audited. Errors: PV001, PV008, PV510 (unknown rule).';

CREATE FUNCTION monitoring.start_task_tracking(p_task_id text, p_task_type text, p_input_size bigint DEFAULT NULL::bigint, p_worker_id text DEFAULT NULL::text, p_metadata jsonb DEFAULT NULL::jsonb, p_event_time timestamp with time zone DEFAULT now()) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Records that a task started: one 'running' row in the history, plus an
-- entry in running_tasks so completion never searches the history (see
-- record_task_starts, shared with the buffered path).
BEGIN
    PERFORM monitoring_internal.assert_task_start(p_task_id, p_task_type, p_input_size, p_worker_id, p_metadata);
    PERFORM monitoring_internal.assert_event_time(p_event_time);
    -- A buffered writer elsewhere may have delivered the completion first:
    -- record_task_starts finishes the task at once if so.
    PERFORM monitoring_internal.record_task_starts(
        ARRAY[p_task_id], ARRAY[p_task_type], ARRAY[p_worker_id], ARRAY[p_input_size], ARRAY[p_metadata],
        ARRAY[p_event_time], '{NULL}'::text[], '{NULL}'::bigint[], '{NULL}'::jsonb[], '{NULL}'::timestamptz[]);
    RETURN p_task_id;
END;
$$;

COMMENT ON FUNCTION monitoring.start_task_tracking(p_task_id text, p_task_type text, p_input_size bigint, p_worker_id text, p_metadata jsonb, p_event_time timestamp with time zone) IS 'Records the start of a task (input_size in bytes) at p_event_time (default now()). Returns the task id. Errors: PV001, PV004, PV005, PV006, PV007, PV008, PV101, PV103 (a replayed start of a finished task).';

CREATE FUNCTION monitoring.task_duration_bounds() RETURNS double precision[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    -- The fixed duration buckets of the task rollups, in seconds: bucket i
    -- counts durations d with bound[i-1] <= d < bound[i] (bound[0] = 0), the
    -- last bucket everything from an hour on. Stored histograms depend on
    -- these: changing them needs a migration that recomputes the rollups.
    SELECT '{0.1,0.25,0.5,1,2.5,5,10,30,60,120,300,600,1800,3600,Infinity}'::double precision[];
$$;

COMMENT ON FUNCTION monitoring.task_duration_bounds() IS 'Upper bounds (exclusive, seconds) of the task duration buckets counted in duration_buckets of the task rollups; the last is Infinity.';

CREATE FUNCTION monitoring.task_tail(p_since timestamp with time zone, p_width interval) RETURNS TABLE(bucket timestamp with time zone, task_type text, ended_count bigint, completed_count bigint, failed_count bigint, cancelled_count bigint, duration_sum double precision, duration_min double precision, duration_max double precision, duration_buckets bigint[])
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 100
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- The newest buckets of the task views: per UTC bucket of p_width (by
-- end_time, a whole number of minutes) and task type, every bucket from the
-- one holding rollup_boundary() (or from p_since if later) on, built from
-- minute rollups before the boundary and, from it on, the raw tasks'
-- minutes as task_minute_aggregate() defines them (the definition the
-- rollups are written with; each processing_metrics partition probed by
-- its end_time index: they are by start_time). Why a function: see
-- performance_tail.
DECLARE
    c_origin CONSTANT timestamptz := TIMESTAMPTZ '2000-01-01 00:00:00+00';
    v_boundary timestamptz := monitoring.rollup_boundary('processing_metrics');
    v_from timestamptz := greatest(p_since, date_bin(p_width, v_boundary, c_origin));
    v_raw_from timestamptz := greatest(p_since, v_boundary);
BEGIN
    RETURN QUERY
    SELECT date_bin(p_width, u.bucket, c_origin), u.task_type,
           sum(u.ended_count)::bigint, sum(u.completed_count)::bigint,
           sum(u.failed_count)::bigint, sum(u.cancelled_count)::bigint,
           sum(u.duration_sum), min(u.duration_min), max(u.duration_max),
           monitoring.sum_bucket_counts(u.duration_buckets)
    FROM (SELECT r.bucket, r.task_type, r.ended_count, r.completed_count, r.failed_count,
                 r.cancelled_count, r.duration_sum, r.duration_min, r.duration_max, r.duration_buckets
          FROM monitoring.task_rollup_minute AS r
          WHERE r.bucket >= v_from AND r.bucket < v_boundary
          UNION ALL
          SELECT a.bucket, a.task_type, a.ended_count, a.completed_count, a.failed_count,
                 a.cancelled_count, a.duration_sum, a.duration_min, a.duration_max, a.duration_buckets
          FROM monitoring_internal.task_minute_aggregate(v_raw_from, 'infinity') AS a) AS u
    GROUP BY 1, 2;
END;
$$;

COMMENT ON FUNCTION monitoring.task_tail(p_since timestamp with time zone, p_width interval) IS 'Internal to the task views: per UTC bucket of p_width (by end_time) and task type (the columns of the task rollups), the buckets from the one holding the rollup boundary (or p_since if later) on, from minute rollups before the boundary and the raw tasks'' minutes (task_minute_aggregate) after it.';

CREATE FUNCTION monitoring.test_alert_rule(p_rule jsonb) RETURNS TABLE(group_labels jsonb, value double precision, severity text, threshold double precision, state text, would_be text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Evaluates a rule now and shows, per group, what it measures and what an
-- evaluation would make of it, changing nothing: p_rule is a whole rule
-- (validated as if it were added to the active config, so an unsaved rule
-- can be tried) or {"name": ...} of a rule of the config. would_be is
-- firing, pending or inactive, from the group's current state and the
-- rule's for; no_data handling is not applied (groups without data are not
-- listed).
DECLARE
    v_document jsonb;
    v_rule monitoring.alert_rules;
    v_code text;
    v_problems text[];
BEGIN
    IF p_rule IS NULL OR jsonb_typeof(p_rule) <> 'object' OR jsonb_typeof(p_rule -> 'name') <> 'string' THEN
        RAISE EXCEPTION 'a rule must be a JSON object with a "name"'
            USING ERRCODE = 'PV509', HINT = monitoring_internal.rule_error_hint('PV509');
    END IF;
    SELECT c.document INTO v_document FROM monitoring.config AS c;
    IF (SELECT count(*) FROM jsonb_object_keys(p_rule)) = 1 THEN
        SELECT * INTO v_rule FROM monitoring.alert_rules AS r WHERE r.rule_name = p_rule ->> 'name';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown alert rule: %', p_rule ->> 'name'
                USING ERRCODE = 'PV510', HINT = monitoring_internal.rule_error_hint('PV510');
        END IF;
    ELSE
        v_document := jsonb_set(coalesce(v_document, '{}'), '{alert_rules}', coalesce(
            (SELECT jsonb_agg(r) FROM jsonb_array_elements(v_document -> 'alert_rules') AS r
             WHERE r ->> 'name' <> p_rule ->> 'name'), '[]') || jsonb_build_array(p_rule));
        SELECT array_agg(x.problem), (array_agg(x.code))[1] INTO v_problems, v_code
        FROM monitoring_internal.rule_problems(p_rule, v_document) AS x;
        IF v_problems IS NOT NULL THEN
            RAISE EXCEPTION 'invalid alert rule: % problem(s)', cardinality(v_problems)
                USING ERRCODE = v_code, DETAIL = array_to_string(v_problems, E'\n'),
                      HINT = monitoring_internal.rule_error_hint(v_code);
        END IF;
        SELECT * INTO v_rule FROM monitoring_internal.compiled_rules(v_document) AS c
        WHERE c.rule_name = p_rule ->> 'name';
    END IF;
    RETURN QUERY
    SELECT v.group_labels, v.value, v.severity, v.threshold, coalesce(g.state, 'inactive'),
           CASE WHEN v.severity IS NULL THEN
                    CASE WHEN g.state = 'firing' AND v_rule.keep_firing_for_seconds > 0
                              AND now() - g.last_breach_at < make_interval(secs => v_rule.keep_firing_for_seconds)
                         THEN 'firing' ELSE 'inactive' END
                WHEN g.state = 'firing' OR v_rule.for_seconds <= 0 THEN 'firing'
                WHEN g.state = 'pending' AND now() - g.breached_since >= make_interval(secs => v_rule.for_seconds) THEN 'firing'
                ELSE 'pending' END
    FROM monitoring_internal.rule_group_values(v_rule, now()) AS v
    LEFT JOIN monitoring_internal.rule_groups AS g
           ON g.rule_name = v_rule.rule_name AND g.group_key = v.group_key
    ORDER BY v.severity IS NULL, v.value DESC;
END;
$$;

COMMENT ON FUNCTION monitoring.test_alert_rule(p_rule jsonb) IS 'Evaluates a rule (a whole rule, or {"name": ...} of a configured one) now and lists its groups with value, severity reached, current state and what an evaluation would make of it; changes nothing. Errors: PV501-PV510.';

CREATE FUNCTION monitoring.test_route(p_labels jsonb) RETURNS TABLE(receiver text, route_key text, group_key text, group_labels jsonb, group_wait_seconds double precision, group_interval_seconds double precision, repeat_interval_seconds double precision, mute_time_intervals text[], active_time_intervals text[], escalation_policy text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 2
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Where an alert with these labels would be notified, through the active
-- config's notifications.route, as amtool config routes test shows it:
-- each receiver, its route's key, the group key (route key : the group's
-- labels, as in Alertmanager's webhook groupKey), the group's labels, the
-- timers and time intervals, and the escalation policy. No rows without notifications.route.
-- Changes nothing.
BEGIN
    IF p_labels IS NULL OR jsonb_typeof(p_labels) <> 'object'
       OR EXISTS (SELECT FROM jsonb_each(p_labels) AS e WHERE jsonb_typeof(e.value) <> 'string') THEN
        RAISE EXCEPTION 'labels must be a JSON object of strings'
            USING ERRCODE = 'PV007', HINT = 'For example {"alertname": "cpu_usage_high", "severity": "critical"}.';
    END IF;
    RETURN QUERY
    SELECT r.receiver, r.route_key,
           r.route_key || ':' || monitoring_internal.group_labels_text(g.labels),
           g.labels, r.group_wait_seconds, r.group_interval_seconds, r.repeat_interval_seconds,
           r.mute_time_intervals, r.active_time_intervals, r.escalation_policy
    -- One call of the router on the route tree, none without one (the
    -- one-row config table: the plan stays small, never JIT-compiled).
    FROM (SELECT c.notifications -> 'route' AS route FROM monitoring_internal.notification_config AS c
          WHERE c.notifications ? 'route') AS c,
         LATERAL monitoring_internal.route_alert(c.route, p_labels) AS r,
         LATERAL (SELECT CASE WHEN r.group_by_all THEN p_labels
                              ELSE coalesce((SELECT jsonb_object_agg(k, p_labels ->> k) FROM unnest(r.group_by) AS k
                                             WHERE p_labels ? k), '{}') END AS labels) AS g;
END;
$$;

COMMENT ON FUNCTION monitoring.test_route(p_labels jsonb) IS 'Where an alert with these labels would be notified (receiver, route key, group key and labels, timers, time intervals), as amtool config routes test shows it; changes nothing. Errors: PV007 (labels).';

CREATE FUNCTION monitoring.unschedule_jobs() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Removes the pgvigil jobs from pg_cron; returns how many were removed.
-- Idempotent, and a no-op where pg_cron is not installed. Removing jobs
-- writes an audit_log row with their names and schedules.
DECLARE
    v_removed jsonb;
BEGIN
    IF to_regclass('cron.job') IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE 'SELECT coalesce(jsonb_agg(jsonb_build_object(''job_name'', j.jobname, ''schedule'', j.schedule)'
            || ' ORDER BY j.jobname) FILTER (WHERE cron.unschedule(j.jobid)), ''[]'')'
            || ' FROM cron.job AS j WHERE j.jobname = ANY ($1)'
        INTO v_removed
        USING ARRAY(SELECT d.job_name FROM monitoring.job_definitions() AS d);
    IF jsonb_array_length(v_removed) > 0 THEN
        PERFORM monitoring_internal.write_audit_log('unschedule_jobs', 'pg_cron', jsonb_build_object('jobs', v_removed));
    END IF;
    RETURN jsonb_array_length(v_removed);
END;
$_$;

COMMENT ON FUNCTION monitoring.unschedule_jobs() IS 'Removes the pgvigil jobs from pg_cron; returns the number removed (0 when none or pg_cron is absent). Removals are audited in monitoring.audit_log.';

CREATE TABLE monitoring.silences (
    silence_id uuid DEFAULT gen_random_uuid() NOT NULL,
    matchers jsonb NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    ends_at timestamp with time zone NOT NULL,
    created_by text NOT NULL,
    comment text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT silences_ends_at_check CHECK ((ends_at >= starts_at)),
    CONSTRAINT silences_matchers_check CHECK (((jsonb_typeof(matchers) = 'array'::text) AND (jsonb_array_length(matchers) > 0)))
);

COMMENT ON TABLE monitoring.silences IS 'Alertmanager silences: matchers ({"name", "op", "value"}), starts_at, ends_at, created_by, comment. State: pending before starts_at, active until ends_at, expired after (monitoring.v_silences).';

CREATE FUNCTION monitoring.update_silence(p_silence_id uuid, p_ends_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_comment text DEFAULT NULL::text, p_matchers text[] DEFAULT NULL::text[], p_starts_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS monitoring.silences
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Changes a silence; what is not given stays. A pending silence may change
-- anything. An active one may only move its end (and change its comment):
-- to change what it matches or when it started, expire it and create
-- another, as Alertmanager does. An expired one cannot change. Validated
-- whole (PV602, PV604, PV609 an unknown id). Audited as change_silence.
DECLARE
    v_old monitoring.silences;
    v_new monitoring.silences;
    v_matchers jsonb;
BEGIN
    IF p_silence_id IS NULL THEN
        RAISE EXCEPTION 'silence_id must not be NULL'
            USING ERRCODE = 'PV609', HINT = monitoring_internal.silence_error_hint('PV609');
    END IF;
    SELECT * INTO v_old FROM monitoring.silences AS s WHERE s.silence_id = p_silence_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown silence: %', p_silence_id
            USING ERRCODE = 'PV609', HINT = monitoring_internal.silence_error_hint('PV609');
    END IF;
    IF v_old.ends_at <= now() THEN
        RAISE EXCEPTION 'silence % has expired and cannot change', p_silence_id
            USING ERRCODE = 'PV604', HINT = 'Create a new silence: monitoring.create_silence(...).';
    END IF;
    v_matchers := monitoring_internal.raise_silence_problems(p_matchers, coalesce(p_starts_at, v_old.starts_at),
                                                             coalesce(p_ends_at, v_old.ends_at), v_old.created_by,
                                                             coalesce(p_comment, v_old.comment));
    IF v_old.starts_at <= now()
       AND ((v_matchers IS NOT NULL AND v_matchers <> v_old.matchers)
            OR (p_starts_at IS NOT NULL AND p_starts_at <> v_old.starts_at)) THEN
        RAISE EXCEPTION 'silence % is active: only its end and comment may change', p_silence_id
            USING ERRCODE = 'PV604',
                  HINT = 'Expire it (monitoring.expire_silence) and create another with the new matchers or start.';
    END IF;
    v_new := v_old;
    v_new.matchers := coalesce(v_matchers, v_old.matchers);
    v_new.starts_at := coalesce(p_starts_at, v_old.starts_at);
    v_new.ends_at := coalesce(p_ends_at, v_old.ends_at);
    v_new.comment := coalesce(p_comment, v_old.comment);
    UPDATE monitoring.silences AS s
    SET matchers = v_new.matchers, starts_at = v_new.starts_at, ends_at = v_new.ends_at, comment = v_new.comment,
        updated_at = now()
    WHERE s.silence_id = p_silence_id
    RETURNING s.* INTO v_new;
    PERFORM monitoring_internal.write_audit_log('change_silence', p_silence_id::text, jsonb_build_object(
        'silence_id', p_silence_id,
        'before', jsonb_build_object('matchers', v_old.matchers, 'starts_at', v_old.starts_at, 'ends_at', v_old.ends_at,
                                     'comment', v_old.comment),
        'after', jsonb_build_object('matchers', v_new.matchers, 'starts_at', v_new.starts_at, 'ends_at', v_new.ends_at,
                                    'comment', v_new.comment)));
    RETURN v_new;
END;
$$;

COMMENT ON FUNCTION monitoring.update_silence(p_silence_id uuid, p_ends_at timestamp with time zone, p_comment text, p_matchers text[], p_starts_at timestamp with time zone) IS 'Changes a silence: pending ones anything, active ones only their end and comment, expired ones nothing. Audited. Errors: PV602, PV604, PV609.';

CREATE FUNCTION monitoring.update_system_health(p_component_type text, p_component_name text, p_status text, p_response_time_ms numeric DEFAULT NULL::numeric, p_failure_reason text DEFAULT NULL::text, p_details jsonb DEFAULT NULL::jsonb, p_event_time timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Records a health report for a component and returns true when its status
-- changed. Each change (and the first report) is kept in
-- system_health_history; a return to healthy records the recovery time.
-- A report older than the component's latest one is ignored (returns
-- false): it cannot rewrite what a newer report established.
DECLARE
    v_current monitoring.system_health%ROWTYPE;
BEGIN
    PERFORM monitoring_internal.assert_text('component_type', p_component_type, 200);
    PERFORM monitoring_internal.assert_text('component_name', p_component_name, 200);
    PERFORM monitoring_internal.assert_text('status', p_status, 200);
    IF p_status NOT IN ('healthy', 'degraded', 'unhealthy') THEN
        RAISE EXCEPTION 'unknown health status: %', p_status
            USING ERRCODE = 'PV002',
                  HINT = 'Use one of healthy, degraded, unhealthy.';
    END IF;
    -- Checked as a double (NaN, infinity, negative); a finite numeric beyond
    -- double's range (a float near DBL_MAX rounded up to 15 digits) or too
    -- close to zero for it (1e-400) is clamped for the check only, keeping
    -- its sign, not refused with a cast error. The column is numeric.
    PERFORM monitoring_internal.assert_count('response_time_ms',
        CASE WHEN p_response_time_ms > 1e300 AND p_response_time_ms < 'Infinity'::numeric THEN 1e300
             WHEN p_response_time_ms < -1e300 AND p_response_time_ms > '-Infinity'::numeric THEN -1e300
             WHEN p_response_time_ms <> 0 AND abs(p_response_time_ms) < 1e-300
                 THEN sign(p_response_time_ms) * 1e-300
             ELSE p_response_time_ms END::double precision);
    PERFORM monitoring_internal.assert_json_object('details', p_details);
    PERFORM monitoring_internal.assert_event_time(p_event_time);

    INSERT INTO monitoring.system_health AS h
        (component_type, component_name, status, response_time_ms, failure_reason, details,
         last_check_at, status_since, last_healthy_at, outage_started_at, consecutive_failures)
    VALUES
        (p_component_type, p_component_name, p_status, p_response_time_ms,
         left(p_failure_reason, 2000), p_details, p_event_time, p_event_time,
         CASE WHEN p_status = 'healthy' THEN p_event_time END,
         CASE WHEN p_status <> 'healthy' THEN p_event_time END,
         CASE WHEN p_status = 'unhealthy' THEN 1 ELSE 0 END)
    ON CONFLICT ON CONSTRAINT system_health_pkey DO NOTHING;
    IF FOUND THEN
        INSERT INTO monitoring.system_health_history
            (component_type, component_name, previous_status, status, response_time_ms,
             failure_reason, changed_at)
        VALUES
            (p_component_type, p_component_name, NULL, p_status, p_response_time_ms,
             left(p_failure_reason, 2000), p_event_time);
        IF p_status <> 'healthy' THEN
            PERFORM monitoring_internal.notify_evaluator('health');
        END IF;
        RETURN true;
    END IF;

    SELECT * INTO v_current
    FROM monitoring.system_health AS h
    WHERE h.component_type = p_component_type AND h.component_name = p_component_name
    FOR UPDATE;

    IF p_event_time < v_current.last_check_at THEN
        RETURN false;
    END IF;

    UPDATE monitoring.system_health AS h
    SET status = p_status,
        response_time_ms = p_response_time_ms,
        failure_reason = left(p_failure_reason, 2000),
        details = p_details,
        last_check_at = p_event_time,
        status_since = CASE WHEN h.status = p_status THEN h.status_since ELSE p_event_time END,
        last_healthy_at = CASE WHEN p_status = 'healthy' THEN p_event_time ELSE h.last_healthy_at END,
        outage_started_at = CASE
            WHEN p_status = 'healthy' THEN NULL
            ELSE coalesce(h.outage_started_at, p_event_time) END,
        consecutive_failures = CASE WHEN p_status = 'unhealthy' THEN h.consecutive_failures + 1 ELSE 0 END,
        check_count = h.check_count + 1
    WHERE h.component_type = p_component_type AND h.component_name = p_component_name;

    IF v_current.status = p_status THEN
        RETURN false;
    END IF;

    INSERT INTO monitoring.system_health_history
        (component_type, component_name, previous_status, status, previous_status_seconds,
         recovery_seconds, response_time_ms, failure_reason, changed_at)
    VALUES
        (p_component_type, p_component_name, v_current.status, p_status,
         extract(epoch FROM p_event_time - v_current.status_since)::double precision,
         CASE WHEN p_status = 'healthy' AND v_current.outage_started_at IS NOT NULL
              THEN extract(epoch FROM p_event_time - v_current.outage_started_at)::double precision END,
         p_response_time_ms, left(p_failure_reason, 2000), p_event_time);
    PERFORM monitoring_internal.notify_evaluator('health');
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring.update_system_health(p_component_type text, p_component_name text, p_status text, p_response_time_ms numeric, p_failure_reason text, p_details jsonb, p_event_time timestamp with time zone) IS 'Records a health report (healthy, degraded, unhealthy; response time in milliseconds as in the original design) and returns true when the status changed. Reports older than the latest one are ignored. Errors: PV001, PV002, PV004, PV005, PV006, PV007, PV008.';

CREATE FUNCTION monitoring.validate_config(p_document jsonb) RETURNS SETOF text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION monitoring.validate_config(p_document jsonb) IS 'Returns every problem of a config document (no rows when it is valid).';

CREATE FUNCTION monitoring.web_user_password_hash(p_name text) RETURNS TABLE(user_id bigint, password_hash text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- The id and argon2id password hash of the live (not disabled) web user
    -- of this name; no row otherwise. pgvigil serve verifies a login's
    -- password against it in its own process (argon2 is too slow for the
    -- database's backends), then opens the session with create_web_session().
    SELECT u.user_id, u.password_hash
    FROM monitoring_internal.web_users AS u
    WHERE u.name = p_name AND u.disabled_at IS NULL;
$$;

COMMENT ON FUNCTION monitoring.web_user_password_hash(p_name text) IS 'The id and argon2id password hash of the live web user of this name, for pgvigil serve to verify a login with; no row otherwise. Admin only.';

CREATE FUNCTION monitoring_internal.add_bucket_counts(p_counts bigint[], p_more bigint[]) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
-- Internal: element-wise sum of two bucket count arrays, the transition
-- function of monitoring.sum_bucket_counts() (and the combine function of
-- both histogram aggregates).
DECLARE
    v_counts bigint[] := p_counts;
BEGIN
    IF cardinality(p_counts) <> cardinality(p_more) THEN
        RAISE EXCEPTION 'cannot add bucket counts of different lengths (% and %)',
                        cardinality(p_counts), cardinality(p_more)
            USING ERRCODE = 'PV004',
                  HINT = 'Every histogram has one count per bucket of monitoring.task_duration_bounds().';
    END IF;
    FOR i IN 1 .. cardinality(p_more) LOOP
        v_counts[i] := v_counts[i] + p_more[i];
    END LOOP;
    RETURN v_counts;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.add_bucket_counts(p_counts bigint[], p_more bigint[]) IS 'Internal: element-wise sum of two bucket count arrays (transition function of monitoring.sum_bucket_counts).';

CREATE FUNCTION monitoring_internal.add_sample_sums(p_ordinary double precision, p_huge numeric) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    -- Internal: the sum of a group of samples (or of sums) given in two
    -- parts, the ordinary values summed as double precision and the huge
    -- ones (|v| >= 1e300) as numeric: sum(x) FILTER (WHERE abs(x) < 1e300)
    -- and sum(x::numeric) FILTER (WHERE abs(x) >= 1e300). Samples may be any
    -- finite double, and two near 1e308 overflow a float8 sum(), which would
    -- fail every rollup refresh from then on. Without huge values the sum
    -- is the plain float8 sum, to the last bit; with them it is computed in
    -- numeric and saturates at the largest finite double (that series'
    -- average is then wrong, never the refresh).
    SELECT CASE WHEN p_huge IS NULL THEN p_ordinary
                ELSE least(greatest(coalesce(p_ordinary::numeric, 0) + p_huge, -1.7976931348623157e308),
                           1.7976931348623157e308)::double precision END;
$$;

COMMENT ON FUNCTION monitoring_internal.add_sample_sums(p_ordinary double precision, p_huge numeric) IS 'Internal: a float8 sum of ordinary values plus a numeric sum of huge ones (|v| >= 1e300), saturating at the double range: the overflow-safe sums of the performance rollups.';

CREATE FUNCTION monitoring_internal.add_to_duration_histogram(p_counts bigint[], p_seconds double precision) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
-- Internal: transition function of monitoring.task_duration_histogram().
-- Counts one duration into its bucket of task_duration_bounds(); a NULL
-- duration is not counted.
DECLARE
    v_bounds CONSTANT double precision[] := monitoring.task_duration_bounds();
    v_counts bigint[] := coalesce(p_counts, array_fill(0::bigint, ARRAY[cardinality(v_bounds)]));
    v_index integer;
BEGIN
    IF p_seconds IS NOT NULL THEN
        -- width_bucket counts the bounds <= p_seconds: 0 below the first.
        v_index := least(width_bucket(p_seconds, v_bounds) + 1, cardinality(v_bounds));
        v_counts[v_index] := v_counts[v_index] + 1;
    END IF;
    RETURN v_counts;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.add_to_duration_histogram(p_counts bigint[], p_seconds double precision) IS 'Internal: transition function of the aggregate monitoring.task_duration_histogram(double precision).';

CREATE FUNCTION monitoring_internal.alert_rule_problems(p_document jsonb) RETURNS TABLE(code text, problem text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION monitoring_internal.alert_rule_problems(p_document jsonb) IS 'Internal: every problem of the alert_rules of a config document, with its code (PV501-PV509).';

CREATE FUNCTION monitoring_internal.alert_suppressions(p_alert_id bigint, p_labels jsonb, p_component text, p_inhibit_rules jsonb) RETURNS TABLE(reason text, suppressed_by text, silence_id uuid, detail text)
    LANGUAGE sql STABLE ROWS 1
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: everything that holds a firing alert's notifications back
    -- now, each with its cause (none: it is notified):
    -- - inhibited by an inhibit rule, as Alertmanager decides it: the alert
    --   meets target_matchers, and another firing alert meets
    --   source_matchers with the same values of the equal labels (a label
    --   both lack is equal); when the alert meets both sides, alerts that
    --   also meet both do not count, so that two such alerts never inhibit
    --   each other;
    -- - inhibited because a component it depends on (depends_on, at any
    --   depth) reports unhealthy;
    -- - silenced by each active silence whose matchers it meets.
    WITH rules AS (
        SELECT r.n, monitoring_internal.route_matchers(jsonb_build_object(
                   'match', r.rule -> 'source_match', 'match_re', r.rule -> 'source_match_re',
                   'matchers', r.rule -> 'source_matchers')) AS source,
               monitoring_internal.route_matchers(jsonb_build_object(
                   'match', r.rule -> 'target_match', 'match_re', r.rule -> 'target_match_re',
                   'matchers', r.rule -> 'target_matchers')) AS target,
               coalesce(ARRAY(SELECT jsonb_array_elements_text(r.rule -> 'equal')), '{}'::text[]) AS equal
        FROM jsonb_array_elements(CASE jsonb_typeof(p_inhibit_rules) WHEN 'array' THEN p_inhibit_rules ELSE '[]' END)
             WITH ORDINALITY AS r (rule, n)
    )
    SELECT 'inhibited', src.fingerprint,
           NULL::uuid,
           format('inhibited by %s (inhibit_rules[%s]%s)',
                  coalesce(src.labels ->> 'alertname', src.alert_key) || CASE WHEN r.equal = '{}' THEN '' ELSE
                      monitoring_internal.group_labels_text(coalesce((SELECT jsonb_object_agg(k, src.labels ->> k)
                                                                      FROM unnest(r.equal) AS k WHERE src.labels ? k), '{}')) END,
                  r.n - 1, CASE WHEN r.equal <> '{}' THEN ', equal ' || array_to_string(r.equal, ', ') ELSE '' END)
    FROM rules AS r
    CROSS JOIN LATERAL (
        SELECT a.fingerprint, a.labels, a.alert_key
        FROM monitoring.alerts AS a
        WHERE a.resolved_at IS NULL AND a.labels IS NOT NULL AND a.alert_id <> p_alert_id
          -- The equal labels this alert has, as a containment the planner can test cheaply.
          AND a.labels @> coalesce((SELECT jsonb_object_agg(k, p_labels -> k) FROM unnest(r.equal) AS k
                                    WHERE coalesce(p_labels ->> k, '') <> ''), '{}')
          AND NOT EXISTS (SELECT FROM unnest(r.equal) AS k WHERE coalesce(a.labels ->> k, '') <> coalesce(p_labels ->> k, ''))
          AND monitoring_internal.matchers_match(r.source, a.labels)
          AND NOT (monitoring_internal.matchers_match(r.source, p_labels) AND monitoring_internal.matchers_match(r.target, a.labels))
        ORDER BY a.triggered_at, a.alert_id
        LIMIT 1
    ) AS src
    WHERE monitoring_internal.matchers_match(r.target, p_labels)
    UNION ALL
    SELECT 'inhibited', 'component:' || d.component, NULL::uuid,
           format('inhibited: %s depends on %s, which is unhealthy%s', p_component, d.component,
                  coalesce(' (' || d.failure_reason || ')', ''))
    FROM (
        WITH RECURSIVE deps (component, depth) AS (
            SELECT unnest(c.depends_on), 1 FROM monitoring.components AS c WHERE c.component = p_component
            UNION
            SELECT unnest(c.depends_on), deps.depth + 1
            FROM deps JOIN monitoring.components AS c ON c.component = deps.component
            WHERE deps.depth < 20
        )
        SELECT DISTINCT ON (deps.component) deps.component, h.failure_reason
        FROM deps
        JOIN monitoring.system_health AS h ON h.component_name = deps.component AND h.status = 'unhealthy'
        ORDER BY deps.component, h.last_check_at DESC
    ) AS d
    WHERE p_component IS NOT NULL
    UNION ALL
    SELECT 'silenced', s.silence_id::text, s.silence_id,
           format('silenced by %s until %s: %s', s.silence_id, s.ends_at, s.comment)
    FROM monitoring.silences AS s
    WHERE s.ends_at > now() AND s.starts_at <= now() AND monitoring_internal.matchers_match(s.matchers, p_labels);
$$;

COMMENT ON FUNCTION monitoring_internal.alert_suppressions(p_alert_id bigint, p_labels jsonb, p_component text, p_inhibit_rules jsonb) IS 'Internal: what holds a firing alert''s notifications back now (inhibit rules, an unhealthy dependency, active silences), each with its cause.';

CREATE FUNCTION monitoring_internal.alertmanager_matchers(p_matchers jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: pgvigil's matchers ({"name", "op", "value"}) as the
    -- Alertmanager API writes them ({name, value, isRegex, isEqual}).
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'name', m ->> 'name', 'value', m ->> 'value',
               'isRegex', m ->> 'op' IN ('=~', '!~'), 'isEqual', m ->> 'op' IN ('=', '=~')) ORDER BY n), '[]')
    FROM jsonb_array_elements(p_matchers) WITH ORDINALITY AS x (m, n);
$$;

COMMENT ON FUNCTION monitoring_internal.alertmanager_matchers(p_matchers jsonb) IS 'Internal: matchers as the Alertmanager API writes them: name, value, isRegex, isEqual.';

CREATE FUNCTION monitoring_internal.alertmanager_time(p_at timestamp with time zone) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a time as Alertmanager's API writes it (RFC 3339 in UTC,
    -- microseconds); Go's zero time for none.
    SELECT coalesce(to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '0001-01-01T00:00:00.000Z');
$$;

COMMENT ON FUNCTION monitoring_internal.alertmanager_time(p_at timestamp with time zone) IS 'Internal: RFC 3339 UTC text of a time for the Alertmanager API (Go''s zero time for NULL).';

CREATE FUNCTION monitoring_internal.api_key_error_hint(p_code text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the hint of each API key error, in one place.
    SELECT CASE p_code
        WHEN 'PV701' THEN 'a key has a name (1 to 200 characters), a role (viewer, operator or admin), the 32-byte SHA-256 of the key, and an expiry in the future or none: pgvigil keys create --role viewer --name NAME [--expires 90d]'
        WHEN 'PV702' THEN 'list the keys: pgvigil keys list (or SELECT * FROM monitoring.v_api_keys)'
    END;
$$;

COMMENT ON FUNCTION monitoring_internal.api_key_error_hint(p_code text) IS 'Internal: the hint of API key errors PV701 and PV702.';

CREATE FUNCTION monitoring_internal.apply_parked_completions(p_task_ids text[]) RETURNS integer
    LANGUAGE plpgsql
    AS $$
-- Internal: finishes tasks among p_task_ids that are running and have a
-- parked completion. Called by record_task_starts in a statement after its
-- running_tasks insert (if that insert waited for another session's probe,
-- the completion that session parked is visible now) and by
-- park_task_completions (a start committed while the completion probed).
-- Returns the number of tasks finished.
DECLARE
    v_ids text[];
    v_statuses text[];
    v_output_sizes bigint[];
    v_step_timings jsonb[];
    v_end_times timestamptz[];
BEGIN
    WITH parked AS (
        DELETE FROM monitoring_internal.pending_task_completions AS p
        USING monitoring_internal.running_tasks AS r
        WHERE p.task_id = r.task_id AND p.task_id = ANY (p_task_ids)
        RETURNING p.task_id, p.status, p.output_size, p.step_timings, p.end_time
    )
    SELECT array_agg(p.task_id), array_agg(p.status), array_agg(p.output_size),
           array_agg(p.step_timings), array_agg(p.end_time)
    INTO v_ids, v_statuses, v_output_sizes, v_step_timings, v_end_times
    FROM parked AS p;
    IF v_ids IS NULL THEN
        RETURN 0;
    END IF;
    RETURN (SELECT count(*) FROM monitoring_internal.finish_tasks(v_ids, v_statuses, v_output_sizes,
                                                        v_step_timings, v_end_times));
END;
$$;

COMMENT ON FUNCTION monitoring_internal.apply_parked_completions(p_task_ids text[]) IS 'Internal: finishes the running tasks among the given ids that have a parked completion (a completion recorded by another session while their start was uncommitted).';

CREATE FUNCTION monitoring_internal.assert_count(p_argument text, p_value double precision) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
-- Internal: sizes, counts, ages and response times are finite and >= 0.
-- NULL passes: these arguments are optional.
BEGIN
    IF p_value IS NULL THEN
        RETURN;
    END IF;
    IF p_value = 'NaN'::double precision OR p_value IN ('Infinity', '-Infinity') THEN
        RAISE EXCEPTION '% must be a finite number, got %', p_argument, p_value
            USING ERRCODE = 'PV005',
                  HINT = format('Pass a finite value (or NULL) for %s.', p_argument);
    END IF;
    IF p_value < 0 THEN
        RAISE EXCEPTION '% must not be negative, got %', p_argument, p_value
            USING ERRCODE = 'PV004',
                  HINT = format('%s is a size, count or duration: pass 0 or more, or NULL when unknown.', p_argument);
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.assert_count(p_argument text, p_value double precision) IS 'Internal: raises PV005 for NaN or infinity, PV004 for a negative value; NULL passes.';

CREATE FUNCTION monitoring_internal.assert_event_time(p_event_time timestamp with time zone) RETURNS void
    LANGUAGE plpgsql STABLE
    AS $$
-- Internal: event times come from callers (a buffered client delivers late),
-- so they are bounded: not older than ingest.max_event_age_hours, not later
-- than ingest.max_future_skew_seconds ahead of the database clock.
DECLARE
    v_bounds record := monitoring_internal.event_time_bounds();
BEGIN
    IF p_event_time IS NULL THEN
        RAISE EXCEPTION 'event_time must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Omit event_time to use the current time, or pass the time the event happened.';
    END IF;
    IF p_event_time < v_bounds.earliest OR p_event_time > v_bounds.latest THEN
        RAISE EXCEPTION 'event_time % is outside the accepted range', p_event_time
            USING ERRCODE = 'PV006',
                  DETAIL = format('Accepted now: from %s to %s (ingest.max_event_age_hours and ingest.max_future_skew_seconds).',
                                  v_bounds.earliest, v_bounds.latest),
                  HINT = 'Check the caller''s clock, or raise ingest.max_event_age_hours in the config.';
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.assert_event_time(p_event_time timestamp with time zone) IS 'Internal: raises PV001 for a NULL event time and PV006 for one outside [now - ingest.max_event_age_hours, now + ingest.max_future_skew_seconds].';

CREATE FUNCTION monitoring_internal.assert_json_object(p_argument text, p_value jsonb) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
-- Internal: optional jsonb arguments (metadata, context, tags, details) are
-- objects of bounded size, so one caller cannot bloat every row.
BEGIN
    IF p_value IS NULL THEN
        RETURN;
    END IF;
    IF jsonb_typeof(p_value) <> 'object' THEN
        RAISE EXCEPTION '% must be a JSON object, got a %', p_argument, jsonb_typeof(p_value)
            USING ERRCODE = 'PV007',
                  HINT = format('Pass a JSON object such as {"key": "value"} (or NULL) for %s.', p_argument);
    END IF;
    IF pg_column_size(p_value) > 65536 THEN
        RAISE EXCEPTION '% is % bytes; the limit is 65536', p_argument, pg_column_size(p_value)
            USING ERRCODE = 'PV008',
                  HINT = format('Keep %s small: it is stored on every row.', p_argument);
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.assert_json_object(p_argument text, p_value jsonb) IS 'Internal: raises PV007 unless the value is a JSON object, PV008 when it is over 64 KiB; NULL passes.';

CREATE FUNCTION monitoring_internal.assert_task_completion(p_task_id text, p_status text, p_output_size bigint, p_step_timings jsonb) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
-- Internal: the argument rules of a task completion, shared by
-- complete_task_tracking() and the buffered record_task_events().
BEGIN
    PERFORM monitoring_internal.assert_text('task_id', p_task_id, 200);
    PERFORM monitoring_internal.assert_text('status', p_status, 200);
    IF p_status NOT IN ('completed', 'failed', 'cancelled', 'timeout') THEN
        RAISE EXCEPTION 'unknown task status: %', p_status
            USING ERRCODE = 'PV002',
                  HINT = 'Use one of completed, failed, cancelled, timeout.';
    END IF;
    PERFORM monitoring_internal.assert_count('output_size', p_output_size);
    PERFORM monitoring_internal.assert_json_object('step_timings', p_step_timings);
    IF EXISTS (SELECT FROM jsonb_each(p_step_timings) AS s
               WHERE jsonb_typeof(s.value) <> 'number' OR s.value::text::numeric < 0) THEN
        RAISE EXCEPTION 'step_timings must map step names to seconds'
            USING ERRCODE = 'PV007',
                  DETAIL = format('Got %s.', left(p_step_timings::text, 200)),
                  HINT = 'Pass an object such as {"parse": 1.2, "store": 0.4}: each value a number of seconds >= 0.';
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.assert_task_completion(p_task_id text, p_status text, p_output_size bigint, p_step_timings jsonb) IS 'Internal: raises PV001, PV002, PV004, PV007 or PV008 for invalid task completion arguments (event time not included).';

CREATE FUNCTION monitoring_internal.assert_task_events(p_kinds text[], p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_event_times timestamp with time zone[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
-- Internal: the argument and state rules of a buffered batch of task
-- events (record_task_events), checked before anything is written: every
-- event's arguments (the same rules as the synchronous calls), its kind and
-- event time; one start and one completion per task and batch; no
-- completion of a task already completed (parked earlier, or finished in
-- the history). The rules about what exists at write time (already
-- running, replayed starts, an end before its start) are raised by the
-- writes themselves (record_task_starts, finish_tasks).
DECLARE
    v_count integer := coalesce(cardinality(p_kinds), 0);
    v_bounds record := monitoring_internal.event_time_bounds();
    v_bad record;
BEGIN
    IF cardinality(p_task_ids) IS DISTINCT FROM v_count OR cardinality(p_task_types) IS DISTINCT FROM v_count
       OR cardinality(p_worker_ids) IS DISTINCT FROM v_count OR cardinality(p_input_sizes) IS DISTINCT FROM v_count
       OR cardinality(p_metadata) IS DISTINCT FROM v_count OR cardinality(p_statuses) IS DISTINCT FROM v_count
       OR cardinality(p_output_sizes) IS DISTINCT FROM v_count OR cardinality(p_step_timings) IS DISTINCT FROM v_count
       OR cardinality(p_event_times) IS DISTINCT FROM v_count THEN
        RAISE EXCEPTION 'malformed task event batch: the arrays have different lengths'
            USING ERRCODE = 'PV009',
                  HINT = 'Pass one element per event in every array, NULL where a field does not apply.';
    END IF;

    FOR v_bad IN
        SELECT e.* FROM unnest(p_kinds, p_task_ids, p_task_types, p_worker_ids, p_input_sizes, p_metadata,
                               p_statuses, p_output_sizes, p_step_timings, p_event_times)
                        AS e(kind, task_id, task_type, worker_id, input_size, metadata,
                             status, output_size, step_timings, event_time)
    LOOP
        IF v_bad.kind = 'start' THEN
            PERFORM monitoring_internal.assert_task_start(v_bad.task_id, v_bad.task_type, v_bad.input_size,
                                                 v_bad.worker_id, v_bad.metadata);
        ELSIF v_bad.kind = 'complete' THEN
            PERFORM monitoring_internal.assert_task_completion(v_bad.task_id, v_bad.status, v_bad.output_size,
                                                      v_bad.step_timings);
        ELSE
            RAISE EXCEPTION 'unknown task event kind: %', coalesce(v_bad.kind, 'NULL')
                USING ERRCODE = 'PV009',
                      HINT = 'Each event is a ''start'' or a ''complete''.';
        END IF;
        IF v_bad.event_time IS NULL OR v_bad.event_time < v_bounds.earliest OR v_bad.event_time > v_bounds.latest THEN
            PERFORM monitoring_internal.assert_event_time(v_bad.event_time);
        END IF;
    END LOOP;

    -- One start and one completion per task and batch; repeats are applied
    -- one by one by the client (a task id may be reused after completion).
    SELECT e.task_id, e.kind INTO v_bad
    FROM unnest(p_task_ids, p_kinds) AS e(task_id, kind)
    GROUP BY e.task_id, e.kind HAVING count(*) > 1
    LIMIT 1;
    IF FOUND THEN
        IF v_bad.kind = 'start' THEN
            RAISE EXCEPTION 'task % is already running', v_bad.task_id
                USING ERRCODE = 'PV101', DETAIL = 'The batch starts it twice.',
                      HINT = 'Complete it with complete_task_tracking() first, or use a new task id.';
        END IF;
        RAISE EXCEPTION 'task % is already completed', v_bad.task_id
            USING ERRCODE = 'PV103', DETAIL = 'The batch completes it twice.',
                  HINT = 'A task is completed once; start a new task id for a retry.';
    END IF;

    SELECT c.task_id INTO v_bad
    FROM unnest(p_kinds, p_task_ids) AS c(kind, task_id)
    JOIN monitoring_internal.pending_task_completions AS p ON p.task_id = c.task_id
    WHERE c.kind = 'complete'
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % is already completed', v_bad.task_id
            USING ERRCODE = 'PV103', DETAIL = 'A completion for it arrived earlier, before its start.',
                  HINT = 'A task is completed once; start a new task id for a retry.';
    END IF;

    -- A completion with no start in sight may be early (parked below) or a
    -- repeat: only the latter has a finished row. Probes the history per
    -- partition, for these rare completions only.
    SELECT c.task_id INTO v_bad
    FROM unnest(p_kinds, p_task_ids) AS c(kind, task_id)
    WHERE c.kind = 'complete'
      AND NOT EXISTS (SELECT FROM unnest(p_kinds, p_task_ids) AS s(kind, task_id)
                      WHERE s.kind = 'start' AND s.task_id = c.task_id)
      AND NOT EXISTS (SELECT FROM monitoring_internal.running_tasks AS r WHERE r.task_id = c.task_id)
      AND EXISTS (SELECT FROM monitoring.processing_metrics AS m
                  WHERE m.task_id = c.task_id AND m.end_time IS NOT NULL)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % is already completed', v_bad.task_id
            USING ERRCODE = 'PV103',
                  HINT = 'A task is completed once; start a new task id for a retry.';
    END IF;

END;
$$;

COMMENT ON FUNCTION monitoring_internal.assert_task_events(p_kinds text[], p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_event_times timestamp with time zone[]) IS 'Internal: raises PV001, PV002, PV004-PV009 or PV103 for an invalid batch of task events (record_task_events), before anything is written.';

CREATE FUNCTION monitoring_internal.assert_task_start(p_task_id text, p_task_type text, p_input_size bigint, p_worker_id text, p_metadata jsonb) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
-- Internal: the argument rules of a task start, shared by
-- start_task_tracking() and the buffered record_task_events().
BEGIN
    PERFORM monitoring_internal.assert_text('task_id', p_task_id, 200);
    PERFORM monitoring_internal.assert_text('task_type', p_task_type, 200);
    IF p_worker_id IS NOT NULL THEN
        PERFORM monitoring_internal.assert_text('worker_id', p_worker_id, 200);
    END IF;
    PERFORM monitoring_internal.assert_count('input_size', p_input_size);
    PERFORM monitoring_internal.assert_json_object('metadata', p_metadata);
END;
$$;

COMMENT ON FUNCTION monitoring_internal.assert_task_start(p_task_id text, p_task_type text, p_input_size bigint, p_worker_id text, p_metadata jsonb) IS 'Internal: raises PV001, PV004, PV007 or PV008 for invalid task start arguments (event time not included).';

CREATE FUNCTION monitoring_internal.assert_text(p_argument text, p_value text, p_max_length integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    AS $$
-- Internal: a required identifier-like argument (ids, types, names) must be
-- present, not blank, and at most p_max_length characters.
BEGIN
    IF p_value IS NULL OR btrim(p_value) = '' THEN
        RAISE EXCEPTION '% must not be NULL or empty', p_argument
            USING ERRCODE = 'PV001',
                  HINT = format('Pass a non-empty value for %s.', p_argument);
    END IF;
    IF length(p_value) > p_max_length THEN
        RAISE EXCEPTION '% is % characters long; the limit is %', p_argument, length(p_value), p_max_length
            USING ERRCODE = 'PV008',
                  HINT = format('Use a shorter %s; identifiers are names, not payloads.', p_argument);
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.assert_text(p_argument text, p_value text, p_max_length integer) IS 'Internal: raises PV001 for a NULL or blank argument, PV008 when it is longer than the limit.';

CREATE FUNCTION monitoring_internal.assert_time_range(p_since timestamp with time zone, p_until timestamp with time zone, p_longest interval) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Raises PV001 or PV004 unless [p_since, p_until) is a range a listing or a
-- report can cover: both given, since before until, at most p_longest long.
BEGIN
    IF p_since IS NULL OR p_until IS NULL THEN
        RAISE EXCEPTION 'a range needs both ends: since and until must not be NULL'
            USING ERRCODE = 'PV001',
                  HINT = 'Pass since and until, e.g. now() - interval ''7 days'' and now().';
    END IF;
    IF p_since >= p_until THEN
        RAISE EXCEPTION 'since (%) must be before until (%)', p_since, p_until
            USING ERRCODE = 'PV004',
                  HINT = 'Swap them, or widen the range.';
    END IF;
    IF p_until - p_since > p_longest THEN
        RAISE EXCEPTION 'this range covers at most %, got %', p_longest, p_until - p_since
            USING ERRCODE = 'PV004',
                  HINT = format('Ask for %s or less.', p_longest);
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.assert_time_range(p_since timestamp with time zone, p_until timestamp with time zone, p_longest interval) IS 'Raises PV001 (a NULL end) or PV004 (since not before until, or longer than p_longest) for a time range; returns nothing otherwise.';

CREATE FUNCTION monitoring_internal.builtin_check_rules() RETURNS TABLE(check_function text, rule_names text[])
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the original design's check functions and the shipped rules
    -- each now evaluates (config/monitoring_config.json). The rule names are
    -- the alert types the checks raised, so alert keys stay what they were.
    VALUES ('check_error_rate_alerts', ARRAY['error_rate']),
           ('check_processing_performance_alerts', ARRAY['slow_processing', 'task_failure_rate', 'stuck_tasks']),
           ('check_system_health_alerts', ARRAY['component_health']),
           ('check_queue_backlog_alerts', ARRAY['queue_backlog']);
$$;

COMMENT ON FUNCTION monitoring_internal.builtin_check_rules() IS 'Internal: which shipped alert rules each check_*_alerts() function evaluates.';

CREATE FUNCTION monitoring_internal.capped_severity(p_severity text, p_caps jsonb, p_details jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a group's severity after its rule's severity_caps: the
    -- lowest max of the caps whose when its details contain, if below it.
    -- (A degraded component is held at alert_settings.degraded_max_severity.)
    SELECT coalesce(
        (SELECT c ->> 'max'
         FROM jsonb_array_elements(p_caps) AS c
         WHERE p_details @> (c -> 'when')
           AND monitoring_internal.severity_rank(c ->> 'max') < monitoring_internal.severity_rank(p_severity)
         ORDER BY monitoring_internal.severity_rank(c ->> 'max')
         LIMIT 1),
        p_severity);
$$;

COMMENT ON FUNCTION monitoring_internal.capped_severity(p_severity text, p_caps jsonb, p_details jsonb) IS 'Internal: a severity lowered to the max of the first matching severity cap (by the group''s details), if any.';

CREATE FUNCTION monitoring_internal.compact_value_sketch(p_entries bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    -- Internal: final function of monitoring_internal.merge_value_sketches(). Takes
    -- the entries of several value sketches, concatenated, and returns the
    -- one sketch they make: one entry per key, counts added, in key order,
    -- so equal samples give equal arrays whatever the merge order.
    -- An entry packs a key of value_sketch_key() and its count as
    -- key * 2^47 + count (0 < count < 2^47); a bucket whose merged count
    -- would not fit makes the whole result NULL (unknown) rather than wrong:
    -- 1.4e14 samples of one series in one bucket of one rollup row.
    SELECT CASE WHEN max(e.n) < 140737488355328 THEN array_agg(e.key * 140737488355328 + e.n ORDER BY e.key) END
    FROM (SELECT x >> 47 AS key, sum(x & 140737488355327)::bigint AS n
          FROM unnest(p_entries) AS x
          GROUP BY 1) AS e;
$$;

COMMENT ON FUNCTION monitoring_internal.compact_value_sketch(p_entries bigint[]) IS 'Internal: final function of monitoring_internal.merge_value_sketches(): one entry per key (counts added), in key order; NULL if a count reaches 2^47.';

CREATE FUNCTION monitoring_internal.compile_alert_rules(p_document jsonb) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION monitoring_internal.compile_alert_rules(p_document jsonb) IS 'Internal: syncs monitoring.alert_rules with a validated config''s alert_rules; ends the alerts of rules removed or disabled.';

CREATE TABLE monitoring.alert_rules (
    rule_name text NOT NULL,
    description text,
    source_kind text,
    source_filter jsonb DEFAULT '{}'::jsonb NOT NULL,
    aggregate text,
    window_seconds double precision,
    group_by text[] DEFAULT '{}'::text[] NOT NULL,
    comparison text DEFAULT '>='::text NOT NULL,
    thresholds jsonb DEFAULT '{}'::jsonb NOT NULL,
    composite_match text,
    conditions jsonb,
    for_seconds double precision DEFAULT 0 NOT NULL,
    keep_firing_for_seconds double precision DEFAULT 0 NOT NULL,
    min_samples integer DEFAULT 1 NOT NULL,
    no_data text DEFAULT 'ok'::text NOT NULL,
    labels jsonb DEFAULT '{}'::jsonb NOT NULL,
    annotations jsonb DEFAULT '{}'::jsonb NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    definition jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    severity_caps jsonb DEFAULT '[]'::jsonb NOT NULL,
    CONSTRAINT alert_rules_comparison_check CHECK ((comparison = ANY (ARRAY['>'::text, '>='::text, '<'::text, '<='::text]))),
    CONSTRAINT alert_rules_composite_match_check CHECK ((composite_match = ANY (ARRAY['all'::text, 'any'::text]))),
    CONSTRAINT alert_rules_no_data_check CHECK ((no_data = ANY (ARRAY['ok'::text, 'alerting'::text, 'keep_last'::text, 'nodata'::text]))),
    CONSTRAINT alert_rules_shape_check CHECK (((composite_match IS NULL) = ((source_kind IS NOT NULL) AND (aggregate IS NOT NULL) AND (window_seconds IS NOT NULL)))),
    CONSTRAINT alert_rules_source_kind_check CHECK ((source_kind = ANY (ARRAY['metric'::text, 'task'::text, 'error'::text, 'queue'::text, 'health'::text, 'pgvigil'::text])))
);

COMMENT ON TABLE monitoring.alert_rules IS 'The alert rules of the active config (alert_rules), compiled by apply_config(): durations in seconds, thresholds resolved, defaults filled in; definition is the rule as written. Change them through the config or the rule functions, never here.';

COMMENT ON COLUMN monitoring.alert_rules.severity_caps IS 'The rule''s severity_caps: [{"when": {DETAIL: VALUE...}, "max": SEVERITY}], a group whose details contain when is held at max.';

CREATE FUNCTION monitoring_internal.compiled_rules(p_document jsonb) RETURNS SETOF monitoring.alert_rules
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the alert_rules of a validated config as the evaluator reads
    -- them: durations in seconds (window 5m, for and keep_firing_for 0 when
    -- not given), thresholds named from alert_thresholds and fields naming
    -- an alert_settings value resolved, a composite's one severity as its
    -- thresholds, defaults filled in. A quantile goes with the source's
    -- filters: it is part of what the source measures (and of its key).
    SELECT r ->> 'name',
           r ->> 'description',
           r #>> '{source,kind}',
           coalesce(r -> 'source', '{}') - 'kind'
               || CASE WHEN r ? 'quantile'
                       THEN jsonb_build_object('quantile', monitoring_internal.rule_setting(r -> 'quantile', p_document))
                       ELSE '{}' END,
           r ->> 'aggregate',
           CASE WHEN r ? 'source' THEN coalesce(monitoring_internal.rule_duration(r -> 'window', p_document), 300) END,
           ARRAY(SELECT jsonb_array_elements_text(coalesce(r -> 'group_by', '[]'))),
           coalesce(r ->> 'comparison', '>='),
           CASE WHEN jsonb_typeof(r -> 'thresholds') = 'string'
                THEN p_document #> string_to_array(r ->> 'thresholds', '.')
                WHEN r ? 'thresholds' THEN r -> 'thresholds'
                ELSE jsonb_build_object(r ->> 'severity', 0) END,
           CASE WHEN r ? 'all_of' THEN 'all' WHEN r ? 'any_of' THEN 'any' END,
           (SELECT jsonb_agg(CASE WHEN c ? 'rule' THEN c
                                  ELSE jsonb_build_object(
                                      'kind', c #>> '{source,kind}', 'filter', (c -> 'source') - 'kind',
                                      'aggregate', c ->> 'aggregate',
                                      'window_seconds', coalesce(monitoring_internal.parse_duration(c -> 'window'), 300),
                                      'comparison', coalesce(c ->> 'comparison', '>='),
                                      'threshold', c -> 'threshold') END ORDER BY n)
            FROM jsonb_array_elements(coalesce(r -> 'all_of', r -> 'any_of')) WITH ORDINALITY AS x (c, n)),
           coalesce(monitoring_internal.rule_duration(r -> 'for', p_document), 0),
           coalesce(monitoring_internal.rule_duration(r -> 'keep_firing_for', p_document), 0),
           coalesce((monitoring_internal.rule_setting(r -> 'min_samples', p_document) #>> '{}')::integer, 1),
           coalesce(r ->> 'no_data', 'ok'),
           coalesce(r -> 'labels', '{}'),
           coalesce(r -> 'annotations', '{}'),
           coalesce((r ->> 'enabled')::boolean, true),
           r,
           now(),
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                                'when', c -> 'when', 'max', monitoring_internal.rule_setting(c -> 'max', p_document))
                            ORDER BY n)
                     FROM jsonb_array_elements(r -> 'severity_caps') WITH ORDINALITY AS x (c, n)), '[]')
    FROM jsonb_array_elements(coalesce(p_document -> 'alert_rules', '[]')) AS r;
$$;

COMMENT ON FUNCTION monitoring_internal.compiled_rules(p_document jsonb) IS 'Internal: the compiled rows of a validated config''s alert_rules (what compile_alert_rules stores).';

CREATE FUNCTION monitoring_internal.component_error_hint(p_code text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the HINT of each component error code (docs/error-codes.md).
    SELECT CASE p_code
        WHEN 'PV521' THEN 'A component''s settings are an object of component_type (text), labels (an object of strings, label names of letters, digits and _, not alertname or severity), criticality (low, medium, high, critical), depends_on (a list of component names) and description; null clears one.'
        WHEN 'PV522' THEN 'List the components with pgvigil components list, or SELECT component FROM monitoring.v_components; they register on first sight in health reports, errors and metrics, or with monitoring.put_component().'
        WHEN 'PV523' THEN 'Dependencies cannot go round in a circle, and a component others depend on cannot be deleted: change their depends_on first.'
    END;
$$;

COMMENT ON FUNCTION monitoring_internal.component_error_hint(p_code text) IS 'Internal: the HINT that goes with a component error code PV521-PV523.';

CREATE FUNCTION monitoring_internal.config_changed_keys(p_old jsonb, p_new jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
-- Internal: the dotted paths of the leaves (values that are not both objects)
-- that differ between two config documents, added or removed ones included,
-- sorted. For the audit row of apply_config().
WITH RECURSIVE walk (path, old_value, new_value) AS (
    SELECT ARRAY[]::text[], p_old, p_new
    UNION ALL
    SELECT w.path || k.key, w.old_value -> k.key, w.new_value -> k.key
    FROM walk AS w,
         LATERAL (SELECT o.key FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(w.old_value) = 'object' THEN w.old_value END) AS o
                  UNION
                  SELECT n.key FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(w.new_value) = 'object' THEN w.new_value END) AS n) AS k
    WHERE pg_catalog.jsonb_typeof(w.old_value) = 'object'
      AND pg_catalog.jsonb_typeof(w.new_value) = 'object'
      AND w.old_value IS DISTINCT FROM w.new_value
)
SELECT coalesce(pg_catalog.array_agg(pg_catalog.array_to_string(w.path, '.') ORDER BY w.path), '{}')
FROM walk AS w
WHERE w.old_value IS DISTINCT FROM w.new_value
  AND NOT (coalesce(pg_catalog.jsonb_typeof(w.old_value) = 'object', false)
           AND coalesce(pg_catalog.jsonb_typeof(w.new_value) = 'object', false));
$$;

COMMENT ON FUNCTION monitoring_internal.config_changed_keys(p_old jsonb, p_new jsonb) IS 'Internal: dotted paths of the config values that differ between two documents (for the audit log).';

CREATE FUNCTION monitoring_internal.config_merge(p_base jsonb, p_overlay jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: p_overlay over p_base, object by object: a key of the
    -- overlay replaces the base's, except that two objects are merged key
    -- by key, and two lists of named objects (alert_rules) by name: an
    -- element of the overlay replaces the base's of the same name whole, and
    -- the base's other elements follow the overlay's. Other arrays and
    -- scalars are replaced whole. migrate uses it to add the shipped
    -- config's new keys and rules under an existing config (the stored
    -- values win), so defaults live in config/monitoring_config.json only.
    SELECT CASE
        WHEN jsonb_typeof(p_base) = 'object' AND jsonb_typeof(p_overlay) = 'object' THEN
            (SELECT coalesce(jsonb_object_agg(
                        coalesce(b.key, o.key),
                        CASE WHEN b.key IS NULL THEN o.value
                             WHEN o.key IS NULL THEN b.value
                             ELSE monitoring_internal.config_merge(b.value, o.value) END), '{}'::jsonb)
             FROM jsonb_each(p_base) AS b
             FULL JOIN jsonb_each(p_overlay) AS o ON o.key = b.key)
        WHEN monitoring_internal.is_named_list(p_base) AND monitoring_internal.is_named_list(p_overlay) THEN
            p_overlay || coalesce((SELECT jsonb_agg(b.element ORDER BY b.position)
                                   FROM jsonb_array_elements(p_base) WITH ORDINALITY AS b (element, position)
                                   WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(p_overlay) AS o (element)
                                                     WHERE o.element -> 'name' = b.element -> 'name')),
                                  '[]'::jsonb)
        ELSE coalesce(p_overlay, p_base)
    END;
$$;

COMMENT ON FUNCTION monitoring_internal.config_merge(p_base jsonb, p_overlay jsonb) IS 'Internal: deep merge of two config documents, the overlay winning except where both hold an object (merged key by key) or a list of named objects (merged by name, elements whole).';

CREATE FUNCTION monitoring_internal.config_number(p_path text[]) RETURNS double precision
    LANGUAGE plpgsql STABLE
    AS $$
-- Internal: a numeric config value (thresholds, windows, retention days).
DECLARE
    v_value jsonb := monitoring_internal.config_value(p_path);
BEGIN
    IF jsonb_typeof(v_value) <> 'number' THEN
        RAISE EXCEPTION 'config value % must be a number, got %', array_to_string(p_path, '.'), v_value
            USING ERRCODE = 'PV301',
                  HINT = 'Fix the config file and run pgvigil config apply FILE.';
    END IF;
    RETURN v_value::text::double precision;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.config_number(p_path text[]) IS 'Internal: a numeric value of the active config document; raises PV301 when it is missing or not a number.';

CREATE FUNCTION monitoring_internal.config_patch(p_document jsonb, p_patch jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a partial config file applied over the current document,
    -- JSON Merge Patch style (RFC 7386): an object merges key by key, null
    -- removes a key, anything else replaces the current value. Lists of
    -- named objects (alert_rules) merge by name, so a file may hold one
    -- rule, or one key of one rule ({"name": "cpu", "for": "5m"}); a name the
    -- document lacks is appended. Other arrays are replaced whole.
    SELECT CASE
        WHEN jsonb_typeof(p_patch) = 'object' THEN
            (SELECT coalesce(jsonb_object_agg(
                        coalesce(d.key, p.key),
                        CASE WHEN p.key IS NULL THEN d.value
                             ELSE monitoring_internal.config_patch(d.value, p.value) END)
                        FILTER (WHERE p.value IS NULL OR jsonb_typeof(p.value) <> 'null'), '{}'::jsonb)
             FROM jsonb_each(CASE WHEN jsonb_typeof(p_document) = 'object' THEN p_document ELSE '{}' END) AS d
             FULL JOIN jsonb_each(p_patch) AS p ON p.key = d.key)
        WHEN monitoring_internal.is_named_list(p_document) AND monitoring_internal.is_named_list(p_patch) THEN
            coalesce((SELECT jsonb_agg(coalesce(monitoring_internal.config_patch(d.element, p.element), d.element)
                                       ORDER BY d.position)
                      FROM jsonb_array_elements(p_document) WITH ORDINALITY AS d (element, position)
                      LEFT JOIN LATERAL (SELECT q.element FROM jsonb_array_elements(p_patch) AS q (element)
                                         WHERE q.element -> 'name' = d.element -> 'name'
                                         LIMIT 1) AS p ON true), '[]'::jsonb)
            || coalesce((SELECT jsonb_agg(monitoring_internal.config_patch('{}', p.element) ORDER BY p.position)
                         FROM jsonb_array_elements(p_patch) WITH ORDINALITY AS p (element, position)
                         WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(p_document) AS d (element)
                                           WHERE d.element -> 'name' = p.element -> 'name')), '[]'::jsonb)
        ELSE p_patch
    END;
$$;

COMMENT ON FUNCTION monitoring_internal.config_patch(p_document jsonb, p_patch jsonb) IS 'Internal: p_patch applied over p_document as a JSON Merge Patch (RFC 7386: objects merge, null removes a key), lists of named objects merged by name.';

CREATE FUNCTION monitoring_internal.config_value(p_path text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
-- Internal: one value of the active config document, by path. A missing
-- value is a broken install (config not loaded), never a silent default.
DECLARE
    v_value jsonb;
BEGIN
    SELECT c.document #> p_path INTO v_value FROM monitoring.config AS c;
    IF v_value IS NULL OR jsonb_typeof(v_value) = 'null' THEN
        RAISE EXCEPTION 'config value % is missing', array_to_string(p_path, '.')
            USING ERRCODE = 'PV301',
                  HINT = 'Load a complete config with pgvigil config apply FILE (or pgvigil migrate on a fresh install).';
    END IF;
    RETURN v_value;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.config_value(p_path text[]) IS 'Internal: the value at a path of the active config document; raises PV301 when it is missing.';

CREATE FUNCTION monitoring_internal.copy_notification_config(p_document jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the router's copy of a config's notifications section
    -- (notification_config: small, read for every alert that fires), kept
    -- by apply_config(). A config without the section has none. Also
    -- enables integrations the new config changed.
    DELETE FROM monitoring_internal.notification_config WHERE NOT p_document ? 'notifications';
    INSERT INTO monitoring_internal.notification_config AS n (config_id, notifications)
    SELECT true, p_document -> 'notifications' WHERE p_document ? 'notifications'
    ON CONFLICT ON CONSTRAINT notification_config_pkey DO UPDATE SET notifications = excluded.notifications
    WHERE n.notifications IS DISTINCT FROM excluded.notifications;
    -- An integration disabled after a 410 Gone is enabled again when the
    -- config changes it (a new URL) or no longer has it.
    DELETE FROM monitoring.disabled_integrations AS d
    WHERE d.config_digest IS DISTINCT FROM monitoring_internal.integration_config_digest(
              p_document -> 'notifications', d.receiver, d.integration, d.integration_index)
       OR monitoring_internal.integration_config(p_document -> 'notifications', d.receiver, d.integration,
                                                 d.integration_index) IS NULL;
$$;

COMMENT ON FUNCTION monitoring_internal.copy_notification_config(p_document jsonb) IS 'Internal: keeps monitoring_internal.notification_config the notifications section of the config just applied.';

CREATE FUNCTION monitoring_internal.create_partition(p_table_name text, p_day date) RETURNS boolean
    LANGUAGE plpgsql
    AS $_$
-- Internal: creates the partition of a history table for one UTC day, named
-- <table>_pYYYYMMDD, unless it exists. Rows of that day that landed in the
-- default partition (a partition was missing) are moved into it first, so
-- nothing is lost and the default stays empty. Returns true if created.
DECLARE
    v_time_column text;
    v_partition text := p_table_name || '_p' || to_char(p_day, 'YYYYMMDD');
    v_from timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
    v_to timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    SELECT h.time_column INTO STRICT v_time_column
    FROM monitoring_internal.history_tables AS h WHERE h.table_name = p_table_name;
    IF to_regclass(format('monitoring.%I', v_partition)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE monitoring.%I (LIKE monitoring.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   v_partition, p_table_name);
    EXECUTE format('WITH moved AS (DELETE FROM monitoring.%I WHERE %I >= $1 AND %I < $2 RETURNING *) '
                   'INSERT INTO monitoring.%I SELECT * FROM moved',
                   p_table_name || '_default', v_time_column, v_time_column, v_partition)
        USING v_from, v_to;
    EXECUTE format('ALTER TABLE monitoring.%I ATTACH PARTITION monitoring.%I FOR VALUES FROM (%L) TO (%L)',
                   p_table_name, v_partition, v_from, v_to);
    -- The privileges sql/grants.sql gives every table of the schema, so a
    -- partition's ACL is the same whether it was made before or after the
    -- grants were last applied (a fresh install equals an upgraded one).
    EXECUTE format('REVOKE ALL ON monitoring.%I FROM PUBLIC', v_partition);
    EXECUTE format('GRANT SELECT ON monitoring.%I TO pgvigil_admin', v_partition);
    RETURN true;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.create_partition(p_table_name text, p_day date) IS 'Internal: creates the daily (UTC) partition of a history table, moving that day''s rows out of the default partition.';

CREATE FUNCTION monitoring_internal.database_role(p_role text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the database role the requests of a pgvigil serve role run
    -- as (viewer: pgvigil_reader, operator: pgvigil_operator, admin:
    -- pgvigil_admin), in one place for API keys and web sessions.
    SELECT CASE p_role WHEN 'viewer' THEN 'pgvigil_reader' WHEN 'operator' THEN 'pgvigil_operator'
                       WHEN 'admin' THEN 'pgvigil_admin' END;
$$;

COMMENT ON FUNCTION monitoring_internal.database_role(p_role text) IS 'Internal: the database role of a pgvigil serve role (viewer: pgvigil_reader, operator: pgvigil_operator, admin: pgvigil_admin); NULL for anything else.';

CREATE FUNCTION monitoring_internal.email_config_problems(p_where text, p_config jsonb, p_global jsonb) RETURNS TABLE(code text, problem text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: what an email config needs beyond its keys (PV608): a
    -- smarthost as host:port and a from address, its own or global's
    -- smtp_smarthost / smtp_from; headers as literal strings (pgvigil does
    -- not run Alertmanager's Go templates, and says so rather than mail
    -- "{{ .Status }}" to people); a tls_config of known keys.
    SELECT 'PV608', format('%s needs smarthost (host:port), here or as global.smtp_smarthost', p_where)
    WHERE coalesce(p_config ->> 'smarthost', p_global ->> 'smtp_smarthost') IS NULL
    UNION ALL
    SELECT 'PV608', format('%s.smarthost must be host:port, such as "smtp.example.com:587"', p_where)
    WHERE coalesce(p_config ->> 'smarthost', p_global ->> 'smtp_smarthost') !~ '^\S+:[0-9]{1,5}$'
    UNION ALL
    SELECT 'PV608', format('%s needs from (the sender), here or as global.smtp_from', p_where)
    WHERE coalesce(p_config ->> 'from', p_global ->> 'smtp_from') IS NULL
    UNION ALL
    SELECT 'PV608', format('%s.headers must be an object of header names and values', p_where)
    WHERE p_config ? 'headers' AND (jsonb_typeof(p_config -> 'headers') <> 'object'
          OR EXISTS (SELECT FROM jsonb_each(p_config -> 'headers') AS h
                     WHERE jsonb_typeof(h.value) <> 'string' OR h.key !~ '^[!-9;-~]+$'))
    UNION ALL
    SELECT 'PV606', format('%s.headers.%s: templates are not supported by pgvigil; write the value itself', p_where, h.key)
    FROM jsonb_each(CASE jsonb_typeof(p_config -> 'headers') WHEN 'object' THEN p_config -> 'headers' ELSE '{}' END) AS h
    WHERE h.value #>> '{}' LIKE '%{{%'
    UNION ALL
    SELECT k.code, k.problem
    FROM monitoring_internal.notification_key_problems(p_where || '.tls_config', 'tls_config', p_config -> 'tls_config') AS k
    WHERE p_config ? 'tls_config';
$_$;

COMMENT ON FUNCTION monitoring_internal.email_config_problems(p_where text, p_config jsonb, p_global jsonb) IS 'Internal: an email config''s smarthost, sender, headers and tls_config problems (PV606, PV608), with the global SMTP defaults.';

CREATE FUNCTION monitoring_internal.end_rule_alerts(p_rule_names text[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: a rule was removed or disabled: its open alerts resolve (by
-- 'config', with a note saying why) and the evaluator forgets its groups,
-- so a rule enabled again starts its for clock afresh. Returns the number
-- of alerts resolved.
DECLARE
    v_resolved integer;
BEGIN
    WITH ended AS (
        UPDATE monitoring.alerts AS a
        SET status = 'resolved', resolved_at = now(), resolved_by = 'config',
            resolution_note = 'its rule was removed or disabled'
        WHERE a.rule_name = ANY (p_rule_names) AND a.resolved_at IS NULL
        RETURNING a.alert_id, a.severity, a.current_value
    )
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, current_value, actor, note)
    SELECT e.alert_id, 'resolved', e.severity, e.current_value, 'config', 'its rule was removed or disabled'
    FROM ended AS e;
    GET DIAGNOSTICS v_resolved = ROW_COUNT;
    DELETE FROM monitoring_internal.rule_groups AS g WHERE g.rule_name = ANY (p_rule_names);
    RETURN v_resolved;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.end_rule_alerts(p_rule_names text[]) IS 'Internal: resolves the open alerts of removed or disabled rules and forgets their groups.';

CREATE FUNCTION monitoring_internal.escalation_policy_problems(p_section jsonb, p_receivers text[]) RETURNS TABLE(code text, problem text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: the problems of the notifications section's escalation
-- policies and of the routes naming them: PV605 a policy unnamed or named
-- twice, without tiers, a tier's delay negative or not a duration, a
-- repeat that is not a count, an ack_timeout that is not a duration, a
-- route naming a policy that does not exist; PV601 a tier's receiver that
-- is not a receiver; PV606 an unknown key.
DECLARE
    v_policy jsonb;
    v_tier jsonb;
    v_names text[] := '{}'::text[];
    v_where text;
    v_n integer := 0;
    v_t integer;
    v_name text;
BEGIN
    IF p_section ? 'escalation_policies' AND jsonb_typeof(p_section -> 'escalation_policies') <> 'array' THEN
        RETURN QUERY SELECT 'PV605', 'notifications.escalation_policies must be a list of policies'::text;
        RETURN;
    END IF;
    FOR v_policy IN SELECT p FROM jsonb_array_elements(coalesce(p_section -> 'escalation_policies', '[]')) AS p LOOP
        v_where := format('notifications.escalation_policies[%s]', coalesce(v_policy ->> 'name', v_n::text));
        v_n := v_n + 1;
        IF jsonb_typeof(v_policy) <> 'object' OR jsonb_typeof(v_policy -> 'name') IS DISTINCT FROM 'string'
           OR length(v_policy ->> 'name') NOT BETWEEN 1 AND 200 THEN
            RETURN QUERY SELECT 'PV605', format('%s needs a name', v_where);
            CONTINUE;
        END IF;
        IF v_policy ->> 'name' = ANY (v_names) THEN
            RETURN QUERY SELECT 'PV605', format('%s is defined twice', v_where);
        END IF;
        v_names := v_names || (v_policy ->> 'name');
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(v_where, 'escalation_policy', v_policy);
        IF jsonb_typeof(v_policy -> 'tiers') IS DISTINCT FROM 'array' OR jsonb_array_length(v_policy -> 'tiers') = 0 THEN
            RETURN QUERY SELECT 'PV605', format('%s needs tiers: a list of {receiver, delay}', v_where);
        ELSE
            v_t := 0;
            FOR v_tier IN SELECT t FROM jsonb_array_elements(v_policy -> 'tiers') AS t LOOP
                RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
                    format('%s.tiers[%s]', v_where, v_t), 'escalation_tier', v_tier);
                IF jsonb_typeof(v_tier) = 'object' THEN
                    IF jsonb_typeof(v_tier -> 'receiver') IS DISTINCT FROM 'string' OR NOT (v_tier ->> 'receiver') = ANY (p_receivers) THEN
                        RETURN QUERY SELECT 'PV601', format('%s.tiers[%s].receiver %s is not a receiver of notifications.receivers',
                                                            v_where, v_t, coalesce(v_tier -> 'receiver', 'null'::jsonb));
                    END IF;
                    IF v_tier ? 'delay' AND coalesce(monitoring_internal.parse_duration(v_tier -> 'delay') < 0, true) THEN
                        RETURN QUERY SELECT 'PV605', format('%s.tiers[%s].delay must be a duration of 0 or more such as "10m", got %s',
                                                            v_where, v_t, v_tier -> 'delay');
                    END IF;
                END IF;
                v_t := v_t + 1;
            END LOOP;
        END IF;
        IF v_policy ? 'repeat' AND (jsonb_typeof(v_policy -> 'repeat') <> 'number'
                                    OR (v_policy ->> 'repeat')::numeric NOT BETWEEN 0 AND 100
                                    OR (v_policy ->> 'repeat')::numeric <> trunc((v_policy ->> 'repeat')::numeric)) THEN
            RETURN QUERY SELECT 'PV605', format('%s.repeat must be a whole number of times, 0 to 100', v_where);
        END IF;
        IF v_policy ? 'ack_timeout' AND coalesce(monitoring_internal.parse_duration(v_policy -> 'ack_timeout') <= 0, true) THEN
            RETURN QUERY SELECT 'PV605', format('%s.ack_timeout must be a duration such as "1h"', v_where);
        END IF;
    END LOOP;
    -- The routes that name a policy, at any depth.
    FOR v_name IN SELECT DISTINCT x #>> '{}' FROM jsonb_path_query(coalesce(p_section -> 'route', '{}'), 'lax $.**.escalation_policy') AS x LOOP
        IF NOT v_name = ANY (v_names) THEN
            RETURN QUERY SELECT 'PV605', format('notifications.route: escalation_policy %s is not one of notifications.escalation_policies', to_jsonb(v_name));
        END IF;
    END LOOP;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.escalation_policy_problems(p_section jsonb, p_receivers text[]) IS 'Internal: the problems of the escalation policies and of the routes naming them (PV605, PV601, PV606).';

CREATE FUNCTION monitoring_internal.estimate_value_percentile(p_sketch bigint[], p_fraction double precision, p_min double precision, p_max double precision) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
-- Estimates the p_fraction percentile of the samples summarized by a value
-- sketch (value_sketch of the performance rollups), with the definition of
-- percentile_cont: the value at position h = p_fraction * (n - 1) of the n
-- sorted samples, interpolated linearly between the samples at ranks
-- floor(h) and ceil(h). Each of those two is taken as the value of its
-- bucket (value_sketch_value: within 2% of it), clamped to
-- [p_min, p_max], the exact extremes (the rollups' value_min and
-- value_max), which are returned as they are for ranks 0 and n - 1.
-- Error bound: |estimate - exact| <= 2% * ((1 - w) |x_low| + w |x_high|)
-- for the two samples and the weight w of the interpolation, which is 2% of
-- the exact percentile whenever x_low and x_high do not have opposite
-- signs; between a negative and a positive sample it is 2% of the larger
-- magnitude. Samples of magnitude below 2.2250738585072014e-308 count as 0.
-- (Plus floating-point rounding of ln and exp at the bucket boundaries:
-- below 1e-12 relative.)
-- Returns NULL for a NULL sketch (rollups older than their sketches) or an
-- empty one. A loop over the array, no query: the refresh calls it once per
-- 5-minute and hour rollup row.
DECLARE
    c_count_mask CONSTANT bigint := 140737488355327;  -- 2^47 - 1: the count of an entry
    v_entry bigint;
    v_total bigint := 0;
    v_cumulative bigint := 0;
    v_position double precision;
    v_weight double precision;
    v_rank_low bigint;
    v_rank_high bigint;
    v_low double precision;
    v_high double precision;
BEGIN
    IF p_fraction IS NULL OR NOT (p_fraction BETWEEN 0 AND 1) THEN
        RAISE EXCEPTION 'fraction must be from 0 to 1, got %', coalesce(p_fraction::text, 'NULL')
            USING ERRCODE = 'PV004',
                  HINT = 'Pass 0.95 for the 95th percentile.';
    END IF;
    IF p_sketch IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH v_entry IN ARRAY p_sketch LOOP
        v_total := v_total + (v_entry & c_count_mask);
    END LOOP;
    IF v_total = 0 THEN
        RETURN NULL;
    END IF;

    v_position := p_fraction * (v_total - 1)::double precision;
    v_rank_low := floor(v_position)::bigint;
    v_rank_high := ceil(v_position)::bigint;
    v_weight := v_position - v_rank_low::double precision;
    FOREACH v_entry IN ARRAY p_sketch LOOP
        v_cumulative := v_cumulative + (v_entry & c_count_mask);
        IF v_low IS NULL AND v_cumulative > v_rank_low THEN
            v_low := monitoring_internal.value_sketch_value((v_entry >> 47)::integer);
        END IF;
        IF v_cumulative > v_rank_high THEN
            v_high := monitoring_internal.value_sketch_value((v_entry >> 47)::integer);
            EXIT;
        END IF;
    END LOOP;

    -- Ranks 0 and n - 1 are the exact extremes.
    IF v_rank_low = 0 AND p_min IS NOT NULL THEN
        v_low := p_min;
    ELSIF v_rank_low = v_total - 1 AND p_max IS NOT NULL THEN
        v_low := p_max;
    END IF;
    IF v_rank_high = v_total - 1 AND p_max IS NOT NULL THEN
        v_high := p_max;
    ELSIF v_rank_high = 0 AND p_min IS NOT NULL THEN
        v_high := p_min;
    END IF;
    -- The exact samples lie in [p_min, p_max]: clamping only brings the
    -- estimate closer (least/greatest ignore a NULL bound).
    v_low := least(greatest(v_low, p_min), p_max);
    v_high := least(greatest(v_high, p_min), p_max);
    IF v_weight = 0 THEN
        RETURN v_low;
    END IF;
    -- Not v_low + (v_high - v_low) * w: the difference of two large
    -- doubles of opposite signs can overflow.
    RETURN v_low * (1 - v_weight) + v_high * v_weight;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.estimate_value_percentile(p_sketch bigint[], p_fraction double precision, p_min double precision, p_max double precision) IS 'Estimates the p_fraction percentile (0 to 1, as percentile_cont) of the samples of a value sketch (value_sketch of the performance rollups; pass their value_min and value_max, the exact extremes): within 2% of the exact value when the two samples it interpolates between do not have opposite signs (else within 2% of the larger magnitude); samples below 2.2250738585072014e-308 in magnitude count as 0. NULL for a NULL or empty sketch. Errors: PV004.';

CREATE FUNCTION monitoring_internal.evaluate_rules(p_source text, p_only text[] DEFAULT NULL::text[], p_skip text[] DEFAULT NULL::text[], p_resolve boolean DEFAULT true) RETURNS TABLE(rule_name text, groups integer, pending integer, firing integer, transitions integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: one evaluation of the enabled rules named in p_only (all when
-- NULL) but not in p_skip, at the transaction's time; one row per rule:
-- groups with data, groups pending and firing after this evaluation, state
-- changes made. The caller holds the checks' advisory lock (one evaluation
-- at a time, so two evaluators never make the same transition twice).
-- p_source (worker, pg_cron, manual...) is recorded on the alerts it
-- raises and resolves. evaluate_alert_rules() evaluates them all; each
-- check_*() function, its built-in rules, with p_resolve false: the alerts
-- that cleared are left for resolve_resolved_alerts(), as in the original
-- design.
-- Set-based, so that its cost follows the data, not the number of rules:
-- each distinct source is computed once into evaluation_values (then each
-- composite's groups, from those); one query then meets every rule's
-- groups with their stored state, and only the groups that hold, or have
-- a state, go through step_rule_group(). A quiet group of a rule costs a
-- row of that query and nothing else.
DECLARE
    v_whole boolean;
    v_rules text[];
    v_sources text[];
    d record;
    v_step record;
    v_transitions jsonb := '{}'::jsonb;
BEGIN
    -- A whole evaluation (both NULL) filters nothing: the usual case, and
    -- the one whose cost counts (1,000 rules compared with a list of
    -- 1,000 names in every query would be a million comparisons).
    v_whole := p_only IS NULL AND p_skip IS NULL;
    IF NOT v_whole THEN
        v_rules := ARRAY(SELECT r.rule_name FROM monitoring.alert_rules AS r
                         WHERE r.enabled AND (p_only IS NULL OR r.rule_name = ANY (p_only))
                           AND NOT r.rule_name = ANY (coalesce(p_skip, '{}')));
        -- Their sources, and those of the rules their composites refer to.
        v_sources := v_rules || ARRAY(SELECT x.c ->> 'rule' FROM monitoring.alert_rules AS r,
                                             jsonb_array_elements(r.conditions) AS x (c)
                                      WHERE r.rule_name = ANY (v_rules) AND x.c ? 'rule');
    END IF;
    PERFORM set_config('pgvigil.check_source', p_source, true);
    IF p_only IS NULL THEN
        -- A whole evaluation, recorded first (it commits or rolls back with
        -- the rest): PgvigilEvaluationStalled, evaluated below, reads it.
        PERFORM monitoring_internal.finish_check('alert_rules');
    END IF;
    DELETE FROM monitoring_internal.evaluation_values;
    INSERT INTO monitoring_internal.evaluation_values (source_key, group_key, group_labels, value, samples, details)
    SELECT k.source_key, md5(v.group_labels::text), v.group_labels, v.value, v.samples, v.details
    FROM (SELECT DISTINCT ON (1) monitoring_internal.rule_source_key(r) AS source_key,
                 r.source_kind, r.source_filter, r.aggregate, r.window_seconds, r.group_by
          FROM monitoring.alert_rules AS r
          WHERE r.enabled AND r.composite_match IS NULL AND (v_whole OR r.rule_name = ANY (v_sources))
          ORDER BY 1) AS k,
         LATERAL monitoring_internal.source_values(k.source_kind, k.source_filter, k.aggregate,
                                                   k.window_seconds, k.group_by, now()) AS v;
    -- Composites read the simple sources just computed.
    INSERT INTO monitoring_internal.evaluation_values (source_key, group_key, group_labels, value, samples, severity)
    SELECT 'composite:' || r.rule_name, g.group_key, g.group_labels, g.value, 1, g.severity
    FROM monitoring.alert_rules AS r,
         LATERAL monitoring_internal.rule_group_values(r, now(), true) AS g
    WHERE r.enabled AND r.composite_match IS NOT NULL AND (v_whole OR r.rule_name = ANY (v_rules));
    ANALYZE monitoring_internal.evaluation_values;

    FOR d IN
        WITH rules AS (
            SELECT r AS rule, r.rule_name, r.no_data, r.group_by,
                   monitoring_internal.rule_source_key(r) AS source_key,
                   r.composite_match IS NOT NULL AS composite, r.min_samples, r.thresholds, r.comparison,
                   r.severity_caps
            FROM monitoring.alert_rules AS r WHERE r.enabled AND (v_whole OR r.rule_name = ANY (v_rules))
        ), current_values AS (
            SELECT q.rule_name, v.group_key, v.group_labels, v.value,
                   CASE WHEN q.composite THEN v.severity
                        WHEN q.severity_caps = '[]' THEN monitoring_internal.severity_reached(v.value, q.thresholds, q.comparison)
                        ELSE monitoring_internal.capped_severity(
                                 monitoring_internal.severity_reached(v.value, q.thresholds, q.comparison),
                                 q.severity_caps, v.details) END AS severity,
                   v.details
            FROM rules AS q
            JOIN monitoring_internal.evaluation_values AS v ON v.source_key = q.source_key
            WHERE q.composite OR (v.samples >= q.min_samples AND v.value IS NOT NULL)
        ), stored AS (
            SELECT g.* FROM monitoring_internal.rule_groups AS g
            WHERE g.rule_name IN (SELECT q.rule_name FROM rules AS q)
        ), real_groups AS (
            SELECT coalesce(c.rule_name, s.rule_name) AS rule_name,
                   coalesce(c.group_key, s.group_key) AS group_key,
                   coalesce(c.group_labels, s.group_labels) AS group_labels,
                   coalesce(c.has_data, false) AS has_data,
                   c.value, c.severity, c.details,
                   s.state, s.severity AS last_severity, s.value AS last_value, s.threshold AS last_threshold,
                   s.breached_since, s.last_breach_at, s.alert_id, s.group_key IS NOT NULL AS known
            FROM (SELECT *, true AS has_data FROM current_values
                  UNION ALL
                  -- The one group of an ungrouped rule exists even without data.
                  SELECT q.rule_name, md5('{}'), '{}'::jsonb, NULL, NULL, NULL, false
                  FROM rules AS q
                  WHERE q.group_by = '{}' AND q.no_data <> 'ok'
                    AND NOT EXISTS (SELECT FROM current_values AS c WHERE c.rule_name = q.rule_name)) AS c
            FULL JOIN (SELECT * FROM stored WHERE stored.group_key NOT LIKE 'nodata:%') AS s
                   ON s.rule_name = c.rule_name AND s.group_key = c.group_key
        ), decisions AS (
            SELECT g.*, false AS is_nodata FROM real_groups AS g
            UNION ALL
            -- no_data = nodata: a group of its own per group without data.
            SELECT coalesce(r.rule_name, s.rule_name), 'nodata:' || coalesce(r.group_key, substr(s.group_key, 8)),
                   coalesce(r.group_labels, s.group_labels),
                   r.rule_name IS NULL, NULL, CASE WHEN r.rule_name IS NOT NULL THEN 'nodata' END, NULL,
                   s.state, s.severity, s.value, s.threshold, s.breached_since, s.last_breach_at, s.alert_id,
                   s.group_key IS NOT NULL, true
            FROM (SELECT g.* FROM real_groups AS g JOIN rules AS q USING (rule_name)
                  WHERE q.no_data = 'nodata' AND NOT g.has_data) AS r
            FULL JOIN (SELECT * FROM stored WHERE stored.group_key LIKE 'nodata:%') AS s
                   ON s.rule_name = r.rule_name AND s.group_key = 'nodata:' || r.group_key
        )
        SELECT q.rule, x.*
        FROM decisions AS x JOIN rules AS q USING (rule_name)
        -- A quiet group of a rule that ignores missing data needs nothing.
        WHERE x.severity IS NOT NULL OR x.known OR q.no_data <> 'ok'
    LOOP
        v_step := monitoring_internal.step_rule_group(
            d.rule, now(), p_source, d.group_key, d.group_labels, d.has_data, d.is_nodata, d.value,
            CASE WHEN d.is_nodata AND d.severity IS NOT NULL
                 THEN monitoring_internal.top_severity((d.rule).thresholds) ELSE d.severity END,
            CASE WHEN NOT d.is_nodata THEN ((d.rule).thresholds ->> d.severity)::double precision END,
            d.details, d.known, d.state, d.last_severity, d.last_value, d.last_threshold, d.breached_since,
            d.last_breach_at, d.alert_id, p_resolve);
        IF v_step.transitioned THEN
            v_transitions := jsonb_set(v_transitions, ARRAY[d.rule_name],
                                       to_jsonb(coalesce((v_transitions ->> d.rule_name)::integer, 0) + 1));
        END IF;
    END LOOP;

    RETURN QUERY
    SELECT r.rule_name,
           (SELECT count(*) FROM monitoring_internal.evaluation_values AS v
            WHERE v.source_key = monitoring_internal.rule_source_key(r)
              AND (r.composite_match IS NOT NULL OR (v.samples >= r.min_samples AND v.value IS NOT NULL)))::integer,
           (SELECT count(*) FROM monitoring_internal.rule_groups AS g
            WHERE g.rule_name = r.rule_name AND g.state = 'pending')::integer,
           (SELECT count(*) FROM monitoring_internal.rule_groups AS g
            WHERE g.rule_name = r.rule_name AND g.state = 'firing')::integer,
           coalesce((v_transitions ->> r.rule_name)::integer, 0)
    FROM monitoring.alert_rules AS r
    WHERE r.enabled AND (v_whole OR r.rule_name = ANY (v_rules))
    ORDER BY r.composite_match IS NOT NULL, r.rule_name;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.evaluate_rules(p_source text, p_only text[], p_skip text[], p_resolve boolean) IS 'Internal: evaluates the enabled rules of p_only (all when NULL) except p_skip, under the checks'' lock; one row per rule (groups, pending, firing, transitions).';

CREATE FUNCTION monitoring_internal.event_time_bounds(OUT earliest timestamp with time zone, OUT latest timestamp with time zone) RETURNS record
    LANGUAGE sql STABLE
    AS $$
    -- Internal: the accepted range of caller-supplied event times, from the
    -- config (ingest.max_event_age_hours back, ingest.max_future_skew_seconds ahead).
    SELECT now() - make_interval(hours => 1) * monitoring_internal.config_number('{ingest,max_event_age_hours}'),
           now() + make_interval(secs => monitoring_internal.config_number('{ingest,max_future_skew_seconds}'));
$$;

COMMENT ON FUNCTION monitoring_internal.event_time_bounds(OUT earliest timestamp with time zone, OUT latest timestamp with time zone) IS 'Internal: earliest and latest event time accepted now (ingest.max_event_age_hours, ingest.max_future_skew_seconds).';

CREATE FUNCTION monitoring_internal.expire_posted_alerts() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: posted alerts whose end passed without a new post resolve, at
-- their end, as Alertmanager resolves them. Called by
-- flush_notification_groups() before it decides, so the resolve is
-- notified in the same flush. Returns how many.
DECLARE
    v_count integer;
BEGIN
    WITH gone AS (
        UPDATE monitoring.alerts AS a
        SET status = 'resolved', resolved_at = greatest(a.ends_at, a.triggered_at), resolved_by = 'pgvigil',
            resolution_note = 'not posted again before its end'
        WHERE a.alert_type = 'posted' AND a.resolved_at IS NULL AND a.ends_at <= now()
        RETURNING a.alert_id, a.severity
    ), events AS (
        INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor)
        SELECT g.alert_id, 'resolved', g.severity, 'pgvigil' FROM gone AS g
        RETURNING 1
    )
    SELECT count(*) INTO v_count FROM events;
    RETURN v_count;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.expire_posted_alerts() IS 'Internal: resolves posted alerts whose end passed without a new post; returns how many.';

CREATE FUNCTION monitoring_internal.finish_check(p_check_name text) RETURNS void
    LANGUAGE sql
    AS $$
    -- Internal: marks an evaluation of one alert type as done at now(). Open
    -- alerts of that type not seen by it are cleared (resolve_resolved_alerts).
    INSERT INTO monitoring_internal.check_runs AS c (check_name, last_run_at, last_source)
    VALUES (p_check_name, now(),
            coalesce(nullif(current_setting('pgvigil.check_source', true), ''), 'manual'))
    ON CONFLICT ON CONSTRAINT check_runs_pkey DO UPDATE
    SET last_run_at = excluded.last_run_at,
        last_source = excluded.last_source,
        runs_total = c.runs_total + 1;
$$;

COMMENT ON FUNCTION monitoring_internal.finish_check(p_check_name text) IS 'Internal: records that the check for one alert type evaluated at now().';

CREATE FUNCTION monitoring_internal.finish_tasks(p_task_ids text[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_end_times timestamp with time zone[]) RETURNS TABLE(task_id text, duration_seconds double precision)
    LANGUAGE plpgsql
    AS $$
-- Internal: the one home of "a running task ends", for every path that
-- finishes one (complete_task_tracking, record_task_events,
-- apply_parked_completions). Element i ends p_task_ids[i] at
-- p_end_times[i]. Tasks that are not running are skipped: the caller tells
-- "never started" from "finished already". The start time comes from
-- running_tasks by primary key, so each history row is updated in exactly
-- one partition, without a search. Raises PV006 for an end before its
-- start (the caller's statement is rolled back: nothing is written).
-- Returns the tasks finished and their durations in seconds.
DECLARE
    v_ids text[];
    v_durations double precision[];
    v_first timestamptz;
    v_last timestamptz;
    v_early_id text;
    v_early_start timestamptz;
    v_early_end timestamptz;
    v_start timestamptz;
BEGIN
    IF cardinality(p_task_ids) = 1 THEN
        -- One task (complete_task_tracking): with the start time in a
        -- variable, the UPDATE is planned against the one partition that
        -- holds it. The set-based statement below joins start times from a
        -- CTE, which no plan can prune by: it probes every partition.
        DELETE FROM monitoring_internal.running_tasks AS r
        WHERE r.task_id = p_task_ids[1]
        RETURNING r.start_time INTO v_start;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        IF p_end_times[1] < v_start THEN
            RAISE EXCEPTION 'task % cannot end at %, before it started at %', p_task_ids[1], p_end_times[1], v_start
                USING ERRCODE = 'PV006',
                      HINT = 'Pass the completion time as event_time, from the same clock as the start.';
        END IF;
        task_id := p_task_ids[1];
        duration_seconds := extract(epoch FROM p_end_times[1] - v_start)::double precision;
        UPDATE monitoring.processing_metrics AS m
        SET status = p_statuses[1],
            output_size = p_output_sizes[1],
            step_timings = p_step_timings[1],
            end_time = p_end_times[1],
            duration_seconds = finish_tasks.duration_seconds
        WHERE m.task_id = p_task_ids[1] AND m.start_time = v_start;
        PERFORM monitoring_internal.note_ingest('processing_metrics', p_end_times[1], p_end_times[1]);
        RETURN NEXT;
        RETURN;
    END IF;
    WITH c AS (
        SELECT * FROM unnest(p_task_ids, p_statuses, p_output_sizes, p_step_timings, p_end_times)
                      AS c(task_id, status, output_size, step_timings, end_time)
    ), finished AS (
        DELETE FROM monitoring_internal.running_tasks AS r
        USING c
        WHERE r.task_id = c.task_id
        RETURNING r.task_id, r.start_time
    ), updated AS (
        UPDATE monitoring.processing_metrics AS m
        SET status = c.status,
            output_size = c.output_size,
            step_timings = c.step_timings,
            end_time = c.end_time,
            duration_seconds = extract(epoch FROM c.end_time - f.start_time)::double precision
        FROM finished AS f
        JOIN c ON c.task_id = f.task_id
        WHERE m.task_id = f.task_id AND m.start_time = f.start_time
          AND c.end_time >= f.start_time  -- an early end is raised below, not written
        RETURNING m.task_id, m.end_time, m.duration_seconds
    ), early AS (
        SELECT f.task_id, f.start_time, c.end_time
        FROM finished AS f
        JOIN c ON c.task_id = f.task_id
        WHERE c.end_time < f.start_time
        LIMIT 1
    )
    SELECT coalesce(array_agg(u.task_id), '{}'), coalesce(array_agg(u.duration_seconds), '{}'),
           min(u.end_time), max(u.end_time),
           (SELECT e.task_id FROM early AS e), (SELECT e.start_time FROM early AS e),
           (SELECT e.end_time FROM early AS e)
    INTO v_ids, v_durations, v_first, v_last, v_early_id, v_early_start, v_early_end
    FROM updated AS u;
    IF v_early_id IS NOT NULL THEN
        RAISE EXCEPTION 'task % cannot end at %, before it started at %', v_early_id, v_early_end, v_early_start
            USING ERRCODE = 'PV006',
                  HINT = 'Pass the completion time as event_time, from the same clock as the start.';
    END IF;
    IF v_first IS NOT NULL THEN
        -- Task rollups are by end time: a late completion changes a rolled-up minute.
        PERFORM monitoring_internal.note_ingest('processing_metrics', v_first, v_last);
    END IF;
    RETURN QUERY SELECT * FROM unnest(v_ids, v_durations);
END;
$$;

COMMENT ON FUNCTION monitoring_internal.finish_tasks(p_task_ids text[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_end_times timestamp with time zone[]) IS 'Internal: ends the running tasks among p_task_ids (status, output size, step timings, end time per element) and returns those finished with their durations; skips tasks not running; PV006 for an end before its start.';

CREATE FUNCTION monitoring_internal.flap_changes(p_fingerprint text, p_window_seconds double precision) RETURNS TABLE(changes integer, last_change_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: how many times the alert with this fingerprint changed
    -- state (fired, resolved) in the last p_window_seconds, and when it last
    -- did (within a day).
    SELECT count(*) FILTER (WHERE v.at > now() - make_interval(secs => p_window_seconds))::integer, max(v.at)
    FROM monitoring.alerts AS a,
         LATERAL (VALUES (a.triggered_at), (a.resolved_at)) AS v (at)
    WHERE a.fingerprint = p_fingerprint AND a.triggered_at > now() - interval '1 day' AND v.at IS NOT NULL;
$$;

COMMENT ON FUNCTION monitoring_internal.flap_changes(p_fingerprint text, p_window_seconds double precision) IS 'Internal: an alert''s state changes (by fingerprint) in a window, and its last change.';

CREATE FUNCTION monitoring_internal.flap_detection_settings(p_notifications jsonb) RETURNS TABLE(enabled boolean, changes integer, window_seconds double precision, stable_seconds double precision)
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the notifications section's flap_detection (pgvigil's own)
    -- with its defaults: on, more than 4 changes in 10 minutes is flapping,
    -- stable again after 15 minutes without a change.
    SELECT coalesce((f ->> 'enabled')::boolean, true),
           coalesce((f ->> 'changes')::integer, 4),
           coalesce(monitoring_internal.parse_duration(f -> 'window'), 600),
           coalesce(monitoring_internal.parse_duration(f -> 'stable_for'), 900)
    FROM (SELECT CASE jsonb_typeof(p_notifications -> 'flap_detection') WHEN 'object'
                      THEN p_notifications -> 'flap_detection' ELSE '{}' END AS f) AS x;
$$;

COMMENT ON FUNCTION monitoring_internal.flap_detection_settings(p_notifications jsonb) IS 'Internal: flap_detection with its defaults (on, more than 4 changes in 10 min, stable after 15 min).';

CREATE FUNCTION monitoring_internal.format_number(p_value double precision) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a measured value for people: whole numbers as they are, others
    -- with up to 4 decimals and no trailing zeros; huge or tiny ones in
    -- exponent form (float8 output).
    SELECT CASE
        WHEN p_value IS NULL THEN NULL
        WHEN p_value = trunc(p_value) AND abs(p_value) < 1e15 THEN trunc(p_value)::numeric::text
        WHEN abs(p_value) >= 1e15 OR abs(p_value) < 0.0001 THEN p_value::text
        ELSE rtrim(rtrim(round(p_value::numeric, 4)::text, '0'), '.')
    END;
$$;

COMMENT ON FUNCTION monitoring_internal.format_number(p_value double precision) IS 'Internal: a value as templates print it: 42, 3.1416, 1e+20.';

CREATE FUNCTION monitoring_internal.group_alert(p_alert_id bigint) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: puts an open alert into the notification groups its labels
-- route it to (route_alert over notifications.route), creating a group
-- (first flush after its group_wait) where there is none, and takes it out
-- of groups it no longer routes to (its labels changed); starts the
-- escalation of a route with an escalation_policy. Called when an
-- alert fires and when its labels change. Returns the number of groups it
-- is in.
DECLARE
    v_labels jsonb;
    v_groups bigint[] := '{}'::bigint[];
    v_group_id bigint;
    r record;
BEGIN
    SELECT a.labels INTO v_labels FROM monitoring.alerts AS a
    WHERE a.alert_id = p_alert_id AND a.resolved_at IS NULL AND a.labels IS NOT NULL;
    IF v_labels IS NOT NULL THEN
        FOR r IN SELECT * FROM monitoring.test_route(v_labels) LOOP
            INSERT INTO monitoring.notification_groups AS g
                (receiver, group_key, route_key, group_labels, group_wait_seconds, group_interval_seconds,
                 repeat_interval_seconds, mute_time_intervals, active_time_intervals, next_flush_at)
            VALUES (r.receiver, r.group_key, r.route_key, r.group_labels, r.group_wait_seconds,
                    r.group_interval_seconds, r.repeat_interval_seconds, r.mute_time_intervals,
                    r.active_time_intervals, now() + make_interval(secs => r.group_wait_seconds))
            ON CONFLICT ON CONSTRAINT notification_groups_receiver_group_key_key
            DO UPDATE SET group_interval_seconds = excluded.group_interval_seconds,
                          repeat_interval_seconds = excluded.repeat_interval_seconds,
                          mute_time_intervals = excluded.mute_time_intervals,
                          active_time_intervals = excluded.active_time_intervals
            RETURNING g.group_id INTO v_group_id;
            INSERT INTO monitoring.notification_group_alerts (group_id, alert_id)
            VALUES (v_group_id, p_alert_id)
            ON CONFLICT ON CONSTRAINT notification_group_alerts_pkey DO NOTHING;
            v_groups := v_groups || v_group_id;
            -- An incident on a route with an escalation policy: a snapshot of
            -- the policy starts paging its first tier now.
            IF r.escalation_policy IS NOT NULL THEN
                INSERT INTO monitoring.escalations (alert_id, policy_name, policy, next_at)
                SELECT p_alert_id, r.escalation_policy, p, now()
                FROM monitoring_internal.notification_config AS c,
                     jsonb_array_elements(c.notifications -> 'escalation_policies') AS p
                WHERE p ->> 'name' = r.escalation_policy
                ON CONFLICT ON CONSTRAINT escalations_alert_id_policy_name_key DO NOTHING;
            END IF;
        END LOOP;
    END IF;
    DELETE FROM monitoring.notification_group_alerts AS m
    WHERE m.alert_id = p_alert_id AND NOT m.group_id = ANY (v_groups);
    RETURN cardinality(v_groups);
END;
$$;

COMMENT ON FUNCTION monitoring_internal.group_alert(p_alert_id bigint) IS 'Internal: syncs an open alert''s notification groups with where its labels route it; returns how many groups it is in.';

CREATE FUNCTION monitoring_internal.group_labels_text(p_labels jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a label set as Alertmanager prints one in a group key
    -- (model.LabelSet.String()): {a="x", b="y"}, sorted by name (bytes).
    SELECT '{' || coalesce(string_agg(
               e.key || '="' || replace(replace(replace(e.value #>> '{}', '\', '\\'), '"', '\"'), E'\n', '\n') || '"',
               ', ' ORDER BY e.key COLLATE "C"), '') || '}'
    FROM jsonb_each(coalesce(p_labels, '{}')) AS e;
$$;

COMMENT ON FUNCTION monitoring_internal.group_labels_text(p_labels jsonb) IS 'Internal: labels printed as Alertmanager prints them in a group key: {a="x", b="y"}.';

CREATE FUNCTION monitoring_internal.history_retention_cutoff(p_retention jsonb) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the time before which a history table's rows have expired,
    -- from its retention setting in days: a number, or an object of
    -- numbers by severity (errors), where the longest wins (partitions are
    -- kept for it; shorter severities are deleted row by row). The one
    -- rule for expired_partitions() and expire_old_rows().
    SELECT now() - make_interval(days => 1) * (
        SELECT max(value::text::double precision)
        FROM jsonb_each(CASE jsonb_typeof(p_retention)
                        WHEN 'object' THEN p_retention
                        ELSE jsonb_build_object('all', p_retention) END));
$$;

COMMENT ON FUNCTION monitoring_internal.history_retention_cutoff(p_retention jsonb) IS 'Internal: now() minus a history table''s retention in days (the longest severity''s where retention is per severity).';

CREATE FUNCTION monitoring_internal.integration_config(p_notifications jsonb, p_receiver text, p_integration text, p_index integer) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: one integration's config as its sender uses it, with what
    -- it inherits from global, as in Alertmanager: an email config its
    -- smtp_* settings, a Slack config slack_api_url, a PagerDuty config
    -- pagerduty_url, any HTTP one http_timeout. Its own keys win. Secrets
    -- stay references (KEY_file, KEY_env) for the worker to read.
    SELECT jsonb_strip_nulls(CASE p_integration
               WHEN 'email_configs' THEN jsonb_build_object(
                   'from', g -> 'smtp_from', 'smarthost', g -> 'smtp_smarthost', 'hello', g -> 'smtp_hello',
                   'auth_username', g -> 'smtp_auth_username', 'require_tls', g -> 'smtp_require_tls',
                   'auth_password_file', g -> 'smtp_auth_password_file', 'auth_password_env', g -> 'smtp_auth_password_env')
               WHEN 'slack_configs' THEN jsonb_build_object(
                   'api_url_file', g -> 'slack_api_url_file', 'api_url_env', g -> 'slack_api_url_env',
                   'timeout', g -> 'http_timeout')
               WHEN 'pagerduty_configs' THEN jsonb_build_object('url', g -> 'pagerduty_url', 'timeout', g -> 'http_timeout')
               ELSE jsonb_build_object('timeout', g -> 'http_timeout') END)
           -- A config's own secret reference replaces global's, whichever form each uses.
           - CASE WHEN c ?| ARRAY['api_url_file', 'api_url_env'] THEN ARRAY['api_url_file', 'api_url_env']
                  WHEN c ?| ARRAY['auth_password_file', 'auth_password_env'] THEN ARRAY['auth_password_file', 'auth_password_env']
                  ELSE '{}'::text[] END
           || c
    FROM (SELECT coalesce(p_notifications -> 'global', '{}') AS g,
                 (SELECT r -> p_integration -> p_index FROM jsonb_array_elements(p_notifications -> 'receivers') AS r
                  WHERE r ->> 'name' = p_receiver) AS c) AS x
    WHERE x.c IS NOT NULL;
$$;

COMMENT ON FUNCTION monitoring_internal.integration_config(p_notifications jsonb, p_receiver text, p_integration text, p_index integer) IS 'Internal: a receiver integration''s config with what it inherits from global (smtp_*, slack_api_url, pagerduty_url, http_timeout); secrets stay references.';

CREATE FUNCTION monitoring_internal.integration_config_digest(p_notifications jsonb, p_receiver text, p_integration text, p_index integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a digest of one integration's config as its sender uses it
    -- (its secrets are only references), to tell when the config changed it.
    SELECT md5(coalesce(monitoring_internal.integration_config(p_notifications, p_receiver, p_integration, p_index)::text, ''));
$$;

COMMENT ON FUNCTION monitoring_internal.integration_config_digest(p_notifications jsonb, p_receiver text, p_integration text, p_index integer) IS 'Internal: md5 of an integration''s effective config, to see when a config change touches it.';

CREATE FUNCTION monitoring_internal.is_named_list(p_value jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: an array whose elements are all objects with a string
    -- "name" (alert_rules): config files merge such lists by name.
    SELECT jsonb_typeof(p_value) = 'array'
       AND NOT EXISTS (SELECT FROM jsonb_array_elements(p_value) AS e (element)
                       WHERE jsonb_typeof(e.element) IS DISTINCT FROM 'object'
                          OR jsonb_typeof(e.element -> 'name') IS DISTINCT FROM 'string');
$$;

COMMENT ON FUNCTION monitoring_internal.is_named_list(p_value jsonb) IS 'Internal: true for an array of objects that each have a string "name" (merged by name by config_merge and config_patch).';

CREATE FUNCTION monitoring_internal.lock_checks() RETURNS void
    LANGUAGE sql
    AS $$
    -- Internal: serialises the alert checks (pg_cron catching up while a DBA
    -- runs them by hand) for the rest of the transaction.
    SELECT pg_advisory_xact_lock(hashtext('pgvigil.monitoring_checks'));
$$;

COMMENT ON FUNCTION monitoring_internal.lock_checks() IS 'Internal: takes the transaction-scoped advisory lock shared by all alert checks.';

CREATE FUNCTION monitoring_internal.matcher_problems(p_object jsonb, p_where text, p_prefix text DEFAULT ''::text) RETURNS TABLE(code text, problem text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: PV602 for each malformed matcher of a route or an inhibit
    -- rule side: matchers strings that do not parse, match / match_re maps
    -- that are not objects of strings, regular expressions that do not
    -- compile. p_prefix is the keys' prefix in the message (source_, target_).
    SELECT 'PV602', format('%s.%smatchers: %s is not a matcher such as severity="critical" or service=~"api|web"', p_where, p_prefix, s)
    FROM jsonb_array_elements(CASE jsonb_typeof(p_object -> 'matchers') WHEN 'array' THEN p_object -> 'matchers' END) AS s
    WHERE jsonb_typeof(s) <> 'string' OR monitoring_internal.parse_matcher(s #>> '{}') IS NULL
    UNION ALL
    SELECT 'PV602', format('%s.%smatchers must be a list of strings', p_where, p_prefix)
    WHERE p_object ? 'matchers' AND jsonb_typeof(p_object -> 'matchers') NOT IN ('array', 'null')
    UNION ALL
    SELECT 'PV602', format('%s.%s%s must be an object of label names to strings', p_where, p_prefix, k)
    FROM unnest(ARRAY['match', 'match_re']) AS k
    WHERE jsonb_typeof(p_object -> k) NOT IN ('object', 'null')
       OR EXISTS (SELECT FROM jsonb_each(CASE jsonb_typeof(p_object -> k) WHEN 'object' THEN p_object -> k END) AS e
                  WHERE jsonb_typeof(e.value) <> 'string' OR e.key !~ '^[A-Za-z_][A-Za-z0-9_]*$')
    UNION ALL
    SELECT 'PV602', format('%s: the regular expression %s of %s does not compile: %s', p_where,
                           to_jsonb(m ->> 'value'), m ->> 'name', monitoring_internal.regex_problem(m ->> 'value'))
    FROM jsonb_array_elements(monitoring_internal.route_matchers(p_object)) AS m
    WHERE m ->> 'op' IN ('=~', '!~') AND monitoring_internal.regex_problem(m ->> 'value') IS NOT NULL;
$_$;

COMMENT ON FUNCTION monitoring_internal.matcher_problems(p_object jsonb, p_where text, p_prefix text) IS 'Internal: PV602 problems of the matchers, match and match_re of a route or an inhibit rule side.';

CREATE FUNCTION monitoring_internal.matchers_match(p_matchers jsonb, p_labels jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: whether a label set meets every matcher (a list of
    -- {"name", "op", "value"}), with Alertmanager's semantics: a label the
    -- set lacks is the empty string, and regular expressions match the
    -- whole value (^(?:re)$).
    SELECT coalesce(bool_and(CASE m ->> 'op'
               WHEN '=' THEN coalesce(p_labels ->> (m ->> 'name'), '') = m ->> 'value'
               WHEN '!=' THEN coalesce(p_labels ->> (m ->> 'name'), '') <> m ->> 'value'
               WHEN '=~' THEN coalesce(p_labels ->> (m ->> 'name'), '') ~ ('^(?:' || (m ->> 'value') || ')$')
               ELSE coalesce(p_labels ->> (m ->> 'name'), '') !~ ('^(?:' || (m ->> 'value') || ')$') END), true)
    FROM jsonb_array_elements(coalesce(p_matchers, '[]')) AS m;
$_$;

COMMENT ON FUNCTION monitoring_internal.matchers_match(p_matchers jsonb, p_labels jsonb) IS 'Internal: true when the labels meet every matcher (Alertmanager semantics: missing label = "", regexes anchored).';

CREATE FUNCTION monitoring_internal.matchers_text(p_matchers jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: matchers printed as Alertmanager prints them in a route's
    -- key: {name="value",other=~"re"}, values quoted with \ and " escaped.
    SELECT '{' || coalesce(string_agg(
               (m ->> 'name') || (m ->> 'op') || '"'
               || replace(replace(replace(m ->> 'value', '\', '\\'), '"', '\"'), E'\n', '\n') || '"',
               ',' ORDER BY n), '') || '}'
    FROM jsonb_array_elements(coalesce(p_matchers, '[]')) WITH ORDINALITY AS x (m, n);
$$;

COMMENT ON FUNCTION monitoring_internal.matchers_text(p_matchers jsonb) IS 'Internal: a matcher list as Alertmanager prints it: {name="value",...}.';

CREATE FUNCTION monitoring_internal.note_ingest(p_table text, p_first_event_time timestamp with time zone, p_last_event_time timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    AS $$
-- Internal, called by every function that writes raw rows the rollups read
-- (performance_monitoring by recorded_at, processing_metrics by end_time),
-- in the writing transaction, with the earliest and latest event time
-- written. Events before the rollup watermark fall into minutes already
-- rolled up: their minutes are queued in rollup_pending for
-- apply_rollup_pending() to recompute.
-- Why this is race-free: the shared advisory lock is held until this
-- transaction commits, and advance_rollup_watermark() takes the same lock
-- exclusively. So either this transaction read the watermark before it
-- moved, and the advance waited for its commit (its rows are visible to the
-- aggregation, which runs in a later transaction), or it reads the new
-- watermark and notes its late minutes itself. The watermark is read by a
-- statement after the lock is granted, so in READ COMMITTED it is current.
-- Under REPEATABLE READ or SERIALIZABLE the snapshot may predate the advance,
-- so the range is noted whatever the watermark (apply_rollup_pending()
-- drops the part that is not below the watermark by then).
-- On the per-call hot path: a shared lock and a one-row read; an insert
-- only for late events, and once per transaction and minute.
DECLARE
    v_watermark timestamptz;
    v_start timestamptz;
    v_end timestamptz;
BEGIN
    IF p_table IS NULL OR p_table NOT IN ('performance_monitoring', 'processing_metrics') THEN
        RAISE EXCEPTION 'note_ingest: unknown table %', coalesce(p_table, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass performance_monitoring or processing_metrics.';
    END IF;
    IF p_first_event_time IS NULL OR p_last_event_time IS NULL OR p_last_event_time < p_first_event_time THEN
        RAISE EXCEPTION 'note_ingest: invalid event time range [%, %]', p_first_event_time, p_last_event_time
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the earliest and the latest event time written, both not NULL.';
    END IF;
    v_start := date_bin('1 minute', p_first_event_time, TIMESTAMPTZ '2000-01-01 00:00:00+00');
    v_end := date_bin('1 minute', p_last_event_time, TIMESTAMPTZ '2000-01-01 00:00:00+00') + interval '1 minute';

    IF current_setting('transaction_isolation') = 'read committed' THEN
        PERFORM pg_advisory_xact_lock_shared(hashtext('pgvigil.rollup_watermark'));
        SELECT s.watermark INTO v_watermark FROM monitoring_internal.rollup_state AS s;
        IF v_watermark IS NULL OR p_first_event_time >= v_watermark THEN
            RETURN;  -- not rolled up yet (or never): the next advance covers it
        END IF;
        v_end := least(v_end, v_watermark);
    END IF;

    -- Once per transaction and minute: a row this transaction inserted is
    -- invisible to apply_rollup_pending() until commit, so it cannot be
    -- taken away before this transaction's rows are visible too.
    IF NOT EXISTS (SELECT FROM monitoring_internal.rollup_pending AS p
                   WHERE p.source = p_table AND p.range_start = v_start AND p.range_end >= v_end
                     AND p.xmin = pg_catalog.xid(pg_current_xact_id())) THEN
        INSERT INTO monitoring_internal.rollup_pending (source, range_start, range_end)
        VALUES (p_table, v_start, v_end);
    END IF;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.note_ingest(p_table text, p_first_event_time timestamp with time zone, p_last_event_time timestamp with time zone) IS 'Internal: called in every transaction that writes performance_monitoring or processing_metrics rows, with the earliest and latest event time (recorded_at, end_time); queues the minutes that are already rolled up for recomputation.';

CREATE FUNCTION monitoring_internal.notification_error_hint(p_code text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION monitoring_internal.notification_error_hint(p_code text) IS 'Internal: the HINT that goes with a notification config error code PV601-PV608.';

CREATE FUNCTION monitoring_internal.notification_key_problems(p_where text, p_context text, p_object jsonb) RETURNS TABLE(code text, problem text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: the keys of one object of the notifications config against
-- notification_keys(): PV606 for a key pgvigil does not support (named, so
-- an Alertmanager user knows what to remove), PV607 for a secret written
-- as a value, PV608 for a KEY_file / KEY_env that is not a path or a
-- variable name, or a receiver config without where to send.
DECLARE
    v_catalog record;
    v_key text;
    v_secret text;
BEGIN
    IF jsonb_typeof(p_object) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV608', format('%s must be an object', p_where);
        RETURN;
    END IF;
    SELECT * INTO v_catalog FROM monitoring_internal.notification_keys() AS c WHERE c.context = p_context;
    FOR v_key IN SELECT k FROM jsonb_object_keys(p_object) AS k ORDER BY 1 LOOP
        CONTINUE WHEN v_key = ANY (v_catalog.keys);
        IF v_key = ANY (v_catalog.secrets) THEN
            RETURN QUERY SELECT 'PV607', format('%s.%s is a secret and cannot be written in the config: give %s_file (a file) or %s_env (an environment variable) instead',
                                                p_where, v_key, v_key, v_key);
        ELSIF v_key ~ '_file$' AND regexp_replace(v_key, '_file$', '') = ANY (v_catalog.secrets) THEN
            IF jsonb_typeof(p_object -> v_key) <> 'string' OR length(p_object ->> v_key) NOT BETWEEN 1 AND 4096 THEN
                RETURN QUERY SELECT 'PV608', format('%s.%s must be a file path', p_where, v_key);
            END IF;
        ELSIF v_key ~ '_env$' AND regexp_replace(v_key, '_env$', '') = ANY (v_catalog.secrets) THEN
            IF jsonb_typeof(p_object -> v_key) <> 'string' OR (p_object ->> v_key) !~ '^[A-Za-z_][A-Za-z0-9_]{0,199}$' THEN
                RETURN QUERY SELECT 'PV608', format('%s.%s must be an environment variable name', p_where, v_key);
            END IF;
        ELSIF p_context = 'receiver' AND v_key LIKE '%\_configs' THEN
            RETURN QUERY SELECT 'PV606', format('%s.%s is not supported: pgvigil delivers webhook_configs, slack_configs, msteamsv2_configs, email_configs and pagerduty_configs',
                                                p_where, v_key);
        ELSE
            RETURN QUERY SELECT 'PV606', format('%s.%s is not supported by pgvigil', p_where, v_key);
        END IF;
    END LOOP;
    -- Where to send: each channel's endpoint secret, from a file or the environment
    -- (Slack's may come from global: notification_problems checks it).
    FOREACH v_secret IN ARRAY CASE p_context WHEN 'webhook_configs' THEN ARRAY['url']
                                             WHEN 'msteamsv2_configs' THEN ARRAY['webhook_url']
                                             ELSE ARRAY[]::text[] END LOOP
        IF NOT p_object ?| ARRAY[v_secret, v_secret || '_file', v_secret || '_env'] THEN
            RETURN QUERY SELECT 'PV608', format('%s needs %s_file or %s_env: where to send', p_where, v_secret, v_secret);
        END IF;
    END LOOP;
    IF p_context = 'pagerduty_configs'
       AND NOT p_object ?| ARRAY['routing_key', 'routing_key_file', 'routing_key_env', 'service_key', 'service_key_file', 'service_key_env'] THEN
        RETURN QUERY SELECT 'PV608', format('%s needs routing_key_file or routing_key_env (Events API v2)', p_where);
    END IF;
    IF p_context = 'email_configs' AND jsonb_typeof(p_object -> 'to') IS DISTINCT FROM 'string' THEN
        RETURN QUERY SELECT 'PV608', format('%s needs to: the address(es) to send to', p_where);
    END IF;
    IF p_object ? 'timeout' AND 'timeout' = ANY (v_catalog.keys)
       AND coalesce(monitoring_internal.parse_duration(p_object -> 'timeout') <= 0, true) THEN
        RETURN QUERY SELECT 'PV608', format('%s.timeout must be a duration > 0 such as "10s"', p_where);
    END IF;
    FOREACH v_key IN ARRAY ARRAY['send_resolved', 'continue', 'require_tls', 'smtp_require_tls', 'insecure_skip_verify', 'enabled'] LOOP
        IF p_object ? v_key AND v_key = ANY (v_catalog.keys) AND jsonb_typeof(p_object -> v_key) <> 'boolean' THEN
            RETURN QUERY SELECT 'PV608', format('%s.%s must be true or false', p_where, v_key);
        END IF;
    END LOOP;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.notification_key_problems(p_where text, p_context text, p_object jsonb) IS 'Internal: unsupported keys (PV606), secrets written as values (PV607) and malformed secret references (PV608) of one object of the notifications config.';

CREATE FUNCTION monitoring_internal.notification_keys() RETURNS TABLE(context text, keys text[], secrets text[])
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the keys of Alertmanager's config that pgvigil supports,
    -- per place, and which hold secrets. A secret is never written in the
    -- config (it would sit in the database): KEY_file names a file and
    -- KEY_env an environment variable, read by the process that delivers.
    -- Any other key is refused by name (PV606): nothing is silently ignored.
    VALUES
        ('notifications', ARRAY['global', 'route', 'receivers', 'inhibit_rules', 'time_intervals', 'mute_time_intervals',
                                'escalation_policies', 'flap_detection'], ARRAY[]::text[]),
        ('global', ARRAY['resolve_timeout', 'smtp_from', 'smtp_smarthost', 'smtp_hello', 'smtp_auth_username',
                         'smtp_require_tls', 'pagerduty_url', 'http_timeout'],
                   ARRAY['smtp_auth_password', 'slack_api_url']),
        ('route', ARRAY['receiver', 'group_by', 'group_wait', 'group_interval', 'repeat_interval', 'match', 'match_re',
                        'matchers', 'routes', 'continue', 'mute_time_intervals', 'active_time_intervals',
                        'escalation_policy'], ARRAY[]::text[]),
        ('receiver', ARRAY['name', 'webhook_configs', 'slack_configs', 'msteamsv2_configs', 'email_configs',
                           'pagerduty_configs', 'flood_control'], ARRAY[]::text[]),
        ('flood_control', ARRAY['max_per_minute'], ARRAY[]::text[]),
        ('webhook_configs', ARRAY['send_resolved', 'max_alerts', 'timeout'], ARRAY['url', 'signing_secret']),
        ('slack_configs', ARRAY['send_resolved', 'channel', 'username', 'icon_emoji', 'icon_url'], ARRAY['api_url']),
        ('msteamsv2_configs', ARRAY['send_resolved'], ARRAY['webhook_url']),
        ('email_configs', ARRAY['send_resolved', 'to', 'from', 'smarthost', 'hello', 'auth_username', 'require_tls',
                                'headers', 'tls_config', 'timeout'],
                          ARRAY['auth_password']),
        ('tls_config', ARRAY['ca_file', 'insecure_skip_verify'], ARRAY[]::text[]),
        ('pagerduty_configs', ARRAY['send_resolved', 'url', 'client', 'client_url', 'severity', 'class', 'component',
                                    'group', 'source'], ARRAY['routing_key', 'service_key']),
        ('inhibit_rule', ARRAY['source_matchers', 'target_matchers', 'source_match', 'source_match_re', 'target_match',
                               'target_match_re', 'equal'], ARRAY[]::text[]),
        ('time_interval', ARRAY['name', 'time_intervals'], ARRAY[]::text[]),
        -- pgvigil's own: escalation policies, which Alertmanager lacks.
        ('escalation_policy', ARRAY['name', 'tiers', 'repeat', 'ack_timeout'], ARRAY[]::text[]),
        ('escalation_tier', ARRAY['receiver', 'delay'], ARRAY[]::text[]),
        ('flap_detection', ARRAY['enabled', 'changes', 'window', 'stable_for'], ARRAY[]::text[]),
        ('time_range', ARRAY['times', 'weekdays', 'days_of_month', 'months', 'years', 'location'], ARRAY[]::text[]);
$$;

COMMENT ON FUNCTION monitoring_internal.notification_keys() IS 'Internal: the supported keys of each part of the notifications config, and the secret ones (given as KEY_file or KEY_env).';

CREATE TABLE monitoring.notification_groups (
    group_id bigint NOT NULL,
    receiver text NOT NULL,
    group_key text NOT NULL,
    route_key text NOT NULL,
    group_labels jsonb NOT NULL,
    group_wait_seconds double precision NOT NULL,
    group_interval_seconds double precision NOT NULL,
    repeat_interval_seconds double precision NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    next_flush_at timestamp with time zone NOT NULL,
    last_notified_at timestamp with time zone,
    notified_firing text[] DEFAULT '{}'::text[] NOT NULL,
    notifications_sent integer DEFAULT 0 NOT NULL,
    mute_time_intervals text[] DEFAULT '{}'::text[] NOT NULL,
    active_time_intervals text[] DEFAULT '{}'::text[] NOT NULL
);

COMMENT ON TABLE monitoring.notification_groups IS 'Alertmanager''s aggregation groups, durable: per receiver and group key, the timers, when it next flushes, and the fingerprints its last notification reported firing.';

CREATE FUNCTION monitoring_internal.notification_payload(p_group monitoring.notification_groups, p_alert_ids bigint[]) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the notification of a group's alerts as Alertmanager's
    -- webhook sends it (version 4): groupKey, status (firing while any alert
    -- fires), receiver, groupLabels, commonLabels and commonAnnotations (the
    -- pairs every alert shares), and alerts[] with status, labels,
    -- annotations, startsAt, endsAt (0001-01-01T00:00:00Z while firing),
    -- generatorURL and fingerprint, in Alertmanager's order. The other
    -- channels are rendered from it.
    WITH alerts AS (
        SELECT a.*, a.resolved_at IS NULL AS firing
        FROM monitoring.alerts AS a WHERE a.alert_id = ANY (p_alert_ids)
    ), common_labels AS (
        SELECT coalesce(jsonb_object_agg(l.key, l.value), '{}') AS labels
        FROM (SELECT e.key, e.value FROM alerts AS a, jsonb_each(coalesce(a.labels, '{}')) AS e
              GROUP BY e.key, e.value HAVING count(*) = (SELECT count(*) FROM alerts)) AS l
    ), common_annotations AS (
        SELECT coalesce(jsonb_object_agg(l.key, l.value), '{}') AS annotations
        FROM (SELECT e.key, e.value FROM alerts AS a, jsonb_each(coalesce(a.annotations, '{}')) AS e
              GROUP BY e.key, e.value HAVING count(*) = (SELECT count(*) FROM alerts)) AS l
    )
    SELECT jsonb_build_object(
        'version', '4',
        'groupKey', p_group.group_key,
        'truncatedAlerts', 0,
        'status', CASE WHEN EXISTS (SELECT FROM alerts WHERE firing) THEN 'firing' ELSE 'resolved' END,
        'receiver', p_group.receiver,
        'groupLabels', p_group.group_labels,
        'commonLabels', (SELECT labels FROM common_labels),
        'commonAnnotations', (SELECT annotations FROM common_annotations),
        'externalURL', '',
        'alerts', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'status', CASE WHEN a.firing THEN 'firing' ELSE 'resolved' END,
                       'labels', coalesce(a.labels, '{}'),
                       'annotations', coalesce(a.annotations, '{}'),
                       'startsAt', to_char(a.triggered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                       'endsAt', CASE WHEN a.firing THEN '0001-01-01T00:00:00Z'
                                      ELSE to_char(a.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END,
                       'generatorURL', '',
                       'fingerprint', a.fingerprint)
                   -- Alertmanager's order (types.AlertSlice): by job, then
                   -- instance (alerts with one first), then LabelSet.Before:
                   -- fewer labels first, then the values by label name,
                   -- compared bytewise as Go compares strings.
                   ORDER BY a.labels ? 'job' DESC, a.labels ->> 'job' COLLATE "C",
                            a.labels ? 'instance' DESC, a.labels ->> 'instance' COLLATE "C",
                            (SELECT count(*) FROM jsonb_object_keys(a.labels)),
                            ARRAY(SELECT l.value COLLATE "C" FROM jsonb_each_text(a.labels) AS l
                                  ORDER BY l.key COLLATE "C"),
                            ARRAY(SELECT k COLLATE "C" FROM jsonb_object_keys(a.labels) AS k ORDER BY 1) DESC,
                            a.alert_id)
            FROM alerts AS a), '[]'));
$$;

COMMENT ON FUNCTION monitoring_internal.notification_payload(p_group monitoring.notification_groups, p_alert_ids bigint[]) IS 'Internal: a group''s notification as Alertmanager''s webhook v4 JSON body.';

CREATE FUNCTION monitoring_internal.notification_problems(p_document jsonb) RETURNS TABLE(code text, problem text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: every problem of the config's notifications section (an
-- Alertmanager config: route, receivers, inhibit_rules, time_intervals,
-- global), each with its code: PV601 a receiver unknown or named twice,
-- PV602 a malformed matcher or regular expression, PV603 a time interval
-- (unknown, an unknown time zone, impossible times or days), PV606 a key
-- pgvigil does not support, PV607 a secret written in the config, PV608
-- any other malformed value; PV605 an escalation policy's.
DECLARE
    v_section jsonb := p_document -> 'notifications';
    v_receivers text[];
    v_intervals text[];
    v_receiver jsonb;
    v_kind text;
    v_config jsonb;
    v_rule jsonb;
    v_interval jsonb;
    v_range jsonb;
    v_where text;
    v_key text;
    v_n integer;
    v_m integer;
    v_i integer;
BEGIN
    IF v_section IS NULL THEN
        RETURN;
    END IF;
    IF jsonb_typeof(v_section) <> 'object' THEN
        RETURN QUERY SELECT 'PV608', 'notifications must be an object: an Alertmanager config (route, receivers, ...)'::text;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems('notifications', 'notifications', v_section);
    IF v_section ? 'global' THEN
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems('notifications.global', 'global', v_section -> 'global');
        IF v_section #> '{global,resolve_timeout}' IS NOT NULL
           AND coalesce(monitoring_internal.parse_duration(v_section #> '{global,resolve_timeout}') <= 0, true) THEN
            RETURN QUERY SELECT 'PV608', 'notifications.global.resolve_timeout must be a duration such as "5m"'::text;
        END IF;
        IF v_section #> '{global,http_timeout}' IS NOT NULL
           AND coalesce(monitoring_internal.parse_duration(v_section #> '{global,http_timeout}') <= 0, true) THEN
            RETURN QUERY SELECT 'PV608', 'notifications.global.http_timeout must be a duration > 0 such as "10s"'::text;
        END IF;
    END IF;

    -- Receivers: named once each; their configs' keys and secrets.
    IF jsonb_typeof(coalesce(v_section -> 'receivers', '[]')) <> 'array' THEN
        RETURN QUERY SELECT 'PV608', 'notifications.receivers must be a list'::text;
    ELSE
        v_n := 0;
        FOR v_receiver IN SELECT r FROM jsonb_array_elements(coalesce(v_section -> 'receivers', '[]')) AS r LOOP
            v_n := v_n + 1;
            v_where := format('notifications.receivers[%s]', coalesce(v_receiver ->> 'name', v_n::text));
            IF jsonb_typeof(v_receiver) <> 'object' OR jsonb_typeof(v_receiver -> 'name') IS DISTINCT FROM 'string'
               OR length(v_receiver ->> 'name') NOT BETWEEN 1 AND 200 THEN
                RETURN QUERY SELECT 'PV608', format('%s needs a name', v_where);
                CONTINUE;
            END IF;
            IF v_receiver ->> 'name' = ANY (v_receivers) THEN
                RETURN QUERY SELECT 'PV601', format('%s: the receiver %s is defined twice', v_where, v_receiver ->> 'name');
            END IF;
            v_receivers := v_receivers || (v_receiver ->> 'name');
            RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(v_where, 'receiver', v_receiver);
            IF v_receiver ? 'flood_control' THEN
                RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
                    v_where || '.flood_control', 'flood_control', v_receiver -> 'flood_control');
                IF jsonb_typeof(v_receiver #> '{flood_control,max_per_minute}') IS DISTINCT FROM 'number'
                   OR (v_receiver #>> '{flood_control,max_per_minute}')::numeric NOT BETWEEN 1 AND 10000
                   OR (v_receiver #>> '{flood_control,max_per_minute}')::numeric
                      <> trunc((v_receiver #>> '{flood_control,max_per_minute}')::numeric) THEN
                    RETURN QUERY SELECT 'PV608', format('%s.flood_control.max_per_minute must be a whole number, 1 to 10000', v_where);
                END IF;
            END IF;
            FOR v_kind IN SELECT k FROM jsonb_object_keys(v_receiver) AS k WHERE k LIKE '%\_configs' ORDER BY 1 LOOP
                CONTINUE WHEN NOT EXISTS (SELECT FROM monitoring_internal.notification_keys() AS c WHERE c.context = v_kind);
                IF jsonb_typeof(v_receiver -> v_kind) <> 'array' THEN
                    RETURN QUERY SELECT 'PV608', format('%s.%s must be a list', v_where, v_kind);
                    CONTINUE;
                END IF;
                v_m := 0;
                FOR v_config IN SELECT c FROM jsonb_array_elements(v_receiver -> v_kind) AS c LOOP
                    RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
                        format('%s.%s[%s]', v_where, v_kind, v_m), v_kind, v_config);
                    IF v_kind = 'slack_configs' AND jsonb_typeof(v_config) = 'object'
                       AND NOT v_config ?| ARRAY['api_url', 'api_url_file', 'api_url_env']
                       AND NOT coalesce(v_section -> 'global', '{}') ?| ARRAY['slack_api_url_file', 'slack_api_url_env'] THEN
                        RETURN QUERY SELECT 'PV608', format('%s.%s[%s] needs api_url_file or api_url_env (or global.slack_api_url_file): where to send',
                                                            v_where, v_kind, v_m);
                    END IF;
                    IF v_kind = 'email_configs' AND jsonb_typeof(v_config) = 'object' THEN
                        RETURN QUERY SELECT * FROM monitoring_internal.email_config_problems(
                            format('%s.%s[%s]', v_where, v_kind, v_m), v_config, coalesce(v_section -> 'global', '{}'));
                    END IF;
                    v_m := v_m + 1;
                END LOOP;
            END LOOP;
        END LOOP;
    END IF;

    -- Time intervals (Alertmanager's time_intervals, and the older name).
    v_n := 0;
    FOR v_interval IN SELECT i FROM jsonb_array_elements(
                          CASE WHEN jsonb_typeof(v_section -> 'time_intervals') = 'array' THEN v_section -> 'time_intervals' ELSE '[]' END
                          || CASE WHEN jsonb_typeof(v_section -> 'mute_time_intervals') = 'array' THEN v_section -> 'mute_time_intervals' ELSE '[]' END) AS i LOOP
        v_n := v_n + 1;
        v_where := format('notifications.time_intervals[%s]', coalesce(v_interval ->> 'name', v_n::text));
        IF jsonb_typeof(v_interval -> 'name') IS DISTINCT FROM 'string' THEN
            RETURN QUERY SELECT 'PV603', format('%s needs a name', v_where);
            CONTINUE;
        END IF;
        IF v_interval ->> 'name' = ANY (v_intervals) THEN
            RETURN QUERY SELECT 'PV603', format('%s is defined twice', v_where);
        END IF;
        v_intervals := v_intervals || (v_interval ->> 'name');
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(v_where, 'time_interval', v_interval);
        v_i := 0;
        FOR v_range IN SELECT r FROM jsonb_array_elements(
                           CASE jsonb_typeof(v_interval -> 'time_intervals') WHEN 'array' THEN v_interval -> 'time_intervals' ELSE '[]' END) AS r LOOP
            RETURN QUERY SELECT 'PV603', format('%s.time_intervals[%s]%s', v_where, v_i, p.problem)
            FROM monitoring_internal.time_range_problems(v_range) AS p;
            RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
                format('%s.time_intervals[%s]', v_where, v_i), 'time_range', v_range);
            v_i := v_i + 1;
        END LOOP;
    END LOOP;

    -- Flap damping (pgvigil's own).
    IF v_section ? 'flap_detection' THEN
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
            'notifications.flap_detection', 'flap_detection', v_section -> 'flap_detection');
        IF jsonb_typeof(v_section -> 'flap_detection') = 'object' THEN
            IF v_section #> '{flap_detection,changes}' IS NOT NULL
               AND (jsonb_typeof(v_section #> '{flap_detection,changes}') <> 'number'
                    OR (v_section #>> '{flap_detection,changes}')::numeric NOT BETWEEN 1 AND 1000
                    OR (v_section #>> '{flap_detection,changes}')::numeric <> trunc((v_section #>> '{flap_detection,changes}')::numeric)) THEN
                RETURN QUERY SELECT 'PV608', 'notifications.flap_detection.changes must be a whole number of state changes, 1 to 1000'::text;
            END IF;
            FOREACH v_key IN ARRAY ARRAY['window', 'stable_for'] LOOP
                IF v_section -> 'flap_detection' ? v_key
                   AND coalesce(monitoring_internal.parse_duration(v_section -> 'flap_detection' -> v_key) <= 0, true) THEN
                    RETURN QUERY SELECT 'PV608', format('notifications.flap_detection.%s must be a duration such as "10m"', v_key);
                END IF;
            END LOOP;
        END IF;
    END IF;

    -- Escalation policies (pgvigil's own): PV605, and PV601 for a tier's receiver.
    RETURN QUERY SELECT * FROM monitoring_internal.escalation_policy_problems(v_section, coalesce(v_receivers, '{}'));

    -- The route tree: receivers and time intervals it names, its matchers.
    IF jsonb_typeof(v_section -> 'route') IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV608', 'notifications.route must be an object with a receiver (the root route)'::text;
    ELSE
        IF v_section #> '{route,receiver}' IS NULL THEN
            RETURN QUERY SELECT 'PV601', 'notifications.route: the root route needs a receiver'::text;
        END IF;
        IF v_section -> 'route' ?| ARRAY['match', 'match_re', 'matchers', 'continue', 'mute_time_intervals', 'active_time_intervals'] THEN
            RETURN QUERY SELECT 'PV608', 'notifications.route: the root route matches every alert: no matchers, continue or time intervals'::text;
        END IF;
        RETURN QUERY SELECT * FROM monitoring_internal.route_problems(v_section -> 'route', 'notifications.route',
                                                                      coalesce(v_receivers, '{}'), coalesce(v_intervals, '{}'));
    END IF;

    -- Inhibit rules.
    v_n := 0;
    FOR v_rule IN SELECT r FROM jsonb_array_elements(
                      CASE jsonb_typeof(v_section -> 'inhibit_rules') WHEN 'array' THEN v_section -> 'inhibit_rules' ELSE '[]' END) AS r LOOP
        v_where := format('notifications.inhibit_rules[%s]', v_n);
        v_n := v_n + 1;
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(v_where, 'inhibit_rule', v_rule);
        FOREACH v_key IN ARRAY ARRAY['source', 'target'] LOOP
            RETURN QUERY SELECT * FROM monitoring_internal.matcher_problems(
                jsonb_build_object('match', v_rule -> (v_key || '_match'), 'match_re', v_rule -> (v_key || '_match_re'),
                                   'matchers', v_rule -> (v_key || '_matchers')),
                v_where, v_key || '_');
        END LOOP;
        IF v_rule ? 'equal' AND (jsonb_typeof(v_rule -> 'equal') <> 'array'
                                 OR EXISTS (SELECT FROM jsonb_array_elements(v_rule -> 'equal') AS e
                                            WHERE jsonb_typeof(e) <> 'string' OR (e #>> '{}') !~ '^[A-Za-z_][A-Za-z0-9_]*$')) THEN
            RETURN QUERY SELECT 'PV608', format('%s.equal must be a list of label names', v_where);
        END IF;
    END LOOP;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.notification_problems(p_document jsonb) IS 'Internal: every problem of a config''s notifications section (PV601-PV608), with the path of the field.';

CREATE FUNCTION monitoring_internal.notify_evaluator(p_reason text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: wakes `pgvigil worker` for an event that matters at once (a
    -- health status change, a critical error), instead of waiting for its
    -- next cycle. Delivered at commit, and only then; the same reason twice
    -- in one transaction is one notification.
    SELECT pg_notify('pgvigil_evaluate', p_reason);
$$;

COMMENT ON FUNCTION monitoring_internal.notify_evaluator(p_reason text) IS 'Internal: NOTIFY pgvigil_evaluate (payload: why), which pgvigil worker LISTENs to.';

CREATE FUNCTION monitoring_internal.notify_live() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION monitoring_internal.notify_live() IS 'Internal: statement trigger: NOTIFY pgvigil_live with the kind of change (alert, health) for pgvigil serve''s live updates.';

CREATE FUNCTION monitoring_internal.park_task_completions(p_task_ids text[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_end_times timestamp with time zone[]) RETURNS integer
    LANGUAGE plpgsql
    AS $$
-- Internal: the concurrent-start probe of record_task_events, for
-- completions whose task is not running here. Another session may be
-- recording the start, invisible until it commits. Both meet on
-- running_tasks' key: a probe row per completion waits for such a start to
-- commit and then conflicts (the task is running: finish it now); an
-- inserted probe means no start anywhere (remove it; the completion stays
-- parked in pending_task_completions until its start arrives). A start
-- that waited on a probe sees the parked completion afterwards (see
-- record_task_starts). Returns the number of completions still parked.
DECLARE
    v_unknown text[];
BEGIN
    WITH probe AS (
        INSERT INTO monitoring_internal.running_tasks (task_id, task_type, start_time)
        SELECT u.task_id, '', '-infinity'
        FROM unnest(p_task_ids) AS u(task_id)
        ON CONFLICT (task_id) DO NOTHING
        RETURNING task_id
    )
    SELECT coalesce(array_agg(probe.task_id), '{}') INTO v_unknown FROM probe;
    DELETE FROM monitoring_internal.running_tasks AS r
    WHERE r.task_id = ANY (v_unknown) AND r.start_time = '-infinity';

    -- Park them all; those whose start has committed meanwhile (the probe
    -- conflicted) are finished at once.
    INSERT INTO monitoring_internal.pending_task_completions (task_id, status, output_size, step_timings, end_time)
    SELECT * FROM unnest(p_task_ids, p_statuses, p_output_sizes, p_step_timings, p_end_times)
    ON CONFLICT (task_id) DO NOTHING;
    RETURN cardinality(p_task_ids) - monitoring_internal.apply_parked_completions(p_task_ids);
END;
$$;

COMMENT ON FUNCTION monitoring_internal.park_task_completions(p_task_ids text[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_end_times timestamp with time zone[]) IS 'Internal: parks completions whose task is not running here, after probing running_tasks for a start another session has not committed yet (finished at once if so). Returns how many stay parked.';

CREATE FUNCTION monitoring_internal.parse_duration(p_value jsonb) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: a rule duration in seconds, as Prometheus writes them: a
    -- string of one or more <number><unit> parts, units ms, s, m, h, d, w
    -- ("90s", "5m", "1h30m"), or a plain number of seconds. NULL for
    -- anything else (the caller reports it).
    SELECT CASE
        WHEN jsonb_typeof(p_value) = 'number' THEN (p_value #>> '{}')::double precision
        WHEN jsonb_typeof(p_value) = 'string'
             AND (p_value #>> '{}') ~ '^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$' THEN
            (SELECT sum(m[1]::double precision * CASE m[2] WHEN 'ms' THEN 0.001 WHEN 's' THEN 1 WHEN 'm' THEN 60
                                                     WHEN 'h' THEN 3600 WHEN 'd' THEN 86400 ELSE 604800 END)
             FROM regexp_matches(p_value #>> '{}', '([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)', 'g') AS m)
    END;
$_$;

COMMENT ON FUNCTION monitoring_internal.parse_duration(p_value jsonb) IS 'Internal: "90s", "5m", "1h30m", "2d", "1w" (or a number of seconds) in seconds; NULL when malformed.';

CREATE FUNCTION monitoring_internal.parse_matcher(p_text text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: one matcher as Alertmanager and amtool write it:
    -- name, an operator (=, !=, =~, !~), and a value, bare or double-quoted
    -- with \" \\ \n escapes: 'severity="critical"', 'service=~api|web',
    -- 'team != ops'. {"name", "op", "value"}; NULL when malformed (the
    -- caller says so). A regex's validity is checked by regex_problem().
    SELECT CASE WHEN m IS NULL THEN NULL
                WHEN m[3] ~ '^".*"$' AND m[3] !~ '^"(?:[^"\\]|\\.)*"$' THEN NULL
                ELSE jsonb_build_object(
                    'name', m[1], 'op', m[2],
                    'value', CASE WHEN m[3] ~ '^".*"$'
                                  THEN replace(replace(replace(regexp_replace(substr(m[3], 2, length(m[3]) - 2),
                                                                              '\\\\', E'\x01', 'g'),
                                                               '\"', '"'), '\n', E'\n'), E'\x01', '\')
                                  ELSE m[3] END)
           END
    FROM (SELECT regexp_match(p_text, '^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$') AS m) AS x;
$_$;

COMMENT ON FUNCTION monitoring_internal.parse_matcher(p_text text) IS 'Internal: an Alertmanager matcher string (name, =, !=, =~ or !~, value, quoted or not) as {"name", "op", "value"}; NULL when malformed.';

CREATE FUNCTION monitoring_internal.performance_minute_aggregate(p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(bucket timestamp with time zone, metric_name text, metric_type text, component text, unit text, sample_count bigint, value_sum double precision, value_min double precision, value_max double precision, value_sketch bigint[])
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    -- The one definition of a minute of performance samples: per UTC minute
    -- of recorded_at and series, the samples recorded in [p_from, p_to)
    -- (pass whole minutes) as rows of performance_rollup_minute. Written to
    -- the minute rollups by apply_rollup_pending() and read, for the minutes
    -- past the rollup boundary, by performance_tail(), so the views and the
    -- rollups cannot disagree on what a minute holds.
    -- value_sketch: counts per bucket of value_sketch_key(), packed as
    -- key * 2^47 + count in key order (see compact_value_sketch), from a
    -- first grouping by minute, series and key; count, sum, min and max are
    -- summed up from the same groups.
    -- SQL, STABLE, not STRICT, not SECURITY DEFINER, no SET: the planner
    -- inlines it into the calling query, which is planned with its
    -- arguments (only the raw partitions of [p_from, p_to) are read) and
    -- checked with the caller's privileges (internal: its callers are
    -- SECURITY DEFINER).
    SELECT k.bucket, k.metric_name, k.metric_type, k.component, k.unit,
           sum(k.n)::bigint,
           -- Overflow-safe sums: see add_sample_sums.
           monitoring_internal.add_sample_sums(sum(k.value_sum) FILTER (WHERE abs(k.value_sum) < 1e300), sum(k.value_sum::numeric) FILTER (WHERE abs(k.value_sum) >= 1e300)),
           min(k.value_min), max(k.value_max),
           CASE WHEN max(k.n) < 140737488355328
                THEN array_agg(k.key::bigint * 140737488355328 + k.n ORDER BY k.key) END
    FROM (SELECT date_bin('1 minute', p.recorded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
                 p.metric_name, p.metric_type, p.component, p.unit,
                 monitoring_internal.value_sketch_key(p.metric_value) AS key,
                 count(*) AS n,
                 monitoring_internal.add_sample_sums(sum(p.metric_value) FILTER (WHERE abs(p.metric_value) < 1e300), sum(p.metric_value::numeric) FILTER (WHERE abs(p.metric_value) >= 1e300)) AS value_sum,
                 min(p.metric_value) AS value_min, max(p.metric_value) AS value_max
          FROM monitoring.performance_monitoring AS p
          WHERE p.recorded_at >= p_from AND p.recorded_at < p_to
          GROUP BY 1, 2, 3, 4, 5, 6) AS k
    GROUP BY 1, 2, 3, 4, 5;
$$;

COMMENT ON FUNCTION monitoring_internal.performance_minute_aggregate(p_from timestamp with time zone, p_to timestamp with time zone) IS 'Internal: the minute aggregate of performance samples recorded in [p_from, p_to): per UTC minute and series, the columns of performance_rollup_minute (count, sum, min, max, value_sketch). Used by apply_rollup_pending() and performance_tail().';

CREATE FUNCTION monitoring_internal.posted_alert_problems(p_alerts jsonb) RETURNS TABLE(problem text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: what is wrong with alerts posted as Alertmanager's API takes
    -- them ([{labels, annotations, startsAt, endsAt, generatorURL}]), one
    -- row per problem, each naming the alert's index: labels an object of
    -- at least one string with valid names (Prometheus's [a-zA-Z_][a-zA-Z0-9_]*),
    -- annotations an object of strings, times RFC 3339, an end not before
    -- the start.
    SELECT 'the body must be a JSON array of alerts' WHERE jsonb_typeof(p_alerts) IS DISTINCT FROM 'array'
    UNION ALL
    SELECT p.problem
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_alerts) = 'array' THEN p_alerts ELSE '[]' END)
         WITH ORDINALITY AS a (alert, n),
         LATERAL (
             SELECT format('alerts[%s]: an alert is an object', a.n - 1) WHERE jsonb_typeof(a.alert) <> 'object'
             UNION ALL
             SELECT format('alerts[%s].labels: an object with at least one label is required', a.n - 1)
             WHERE jsonb_typeof(a.alert) = 'object'
               AND (jsonb_typeof(a.alert -> 'labels') IS DISTINCT FROM 'object' OR a.alert -> 'labels' = '{}')
             UNION ALL
             SELECT format('alerts[%s].labels.%s: %s', a.n - 1, l.key,
                           CASE WHEN l.key !~ '^[a-zA-Z_][a-zA-Z0-9_]*$' THEN 'not a valid label name'
                                ELSE 'a label value is a string' END)
             FROM jsonb_each(CASE WHEN jsonb_typeof(a.alert -> 'labels') = 'object' THEN a.alert -> 'labels' ELSE '{}' END) AS l
             WHERE l.key !~ '^[a-zA-Z_][a-zA-Z0-9_]*$' OR jsonb_typeof(l.value) <> 'string'
             UNION ALL
             SELECT format('alerts[%s].annotations: an object of strings', a.n - 1)
             WHERE jsonb_typeof(a.alert) = 'object' AND a.alert ? 'annotations' AND jsonb_typeof(a.alert -> 'annotations') <> 'null'
               AND (jsonb_typeof(a.alert -> 'annotations') <> 'object'
                    OR EXISTS (SELECT FROM jsonb_each(a.alert -> 'annotations') AS x WHERE jsonb_typeof(x.value) <> 'string'))
             UNION ALL
             SELECT format('alerts[%s].%s: not an RFC 3339 time: %s', a.n - 1, t.key, a.alert -> t.key)
             FROM (VALUES ('startsAt'), ('endsAt')) AS t (key)
             WHERE jsonb_typeof(a.alert) = 'object' AND jsonb_typeof(a.alert -> t.key) IS NOT NULL
               AND jsonb_typeof(a.alert -> t.key) <> 'null'
               AND (jsonb_typeof(a.alert -> t.key) <> 'string'
                    OR (a.alert ->> t.key) !~ '^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$')
             UNION ALL
             SELECT format('alerts[%s]: endsAt is before startsAt', a.n - 1)
             WHERE jsonb_typeof(a.alert) = 'object'
               AND (a.alert ->> 'startsAt') ~ '^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$'
               AND (a.alert ->> 'endsAt') ~ '^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$'
               AND (a.alert ->> 'startsAt') NOT LIKE '0001-%' AND (a.alert ->> 'endsAt') NOT LIKE '0001-%'
               AND (a.alert ->> 'endsAt')::timestamptz < (a.alert ->> 'startsAt')::timestamptz
         ) AS p (problem);
$_$;

COMMENT ON FUNCTION monitoring_internal.posted_alert_problems(p_alerts jsonb) IS 'Internal: the problems of alerts posted through the Alertmanager API, one row each (none: valid).';

CREATE FUNCTION monitoring_internal.posted_alert_severity(p_labels jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a posted alert's pgvigil severity, from its severity label
    -- as Prometheus rules write it: critical, page -> critical; error,
    -- high, major -> high; info, low, none, minor -> low; warning and
    -- anything else (or none) -> medium. The label itself is kept as it is.
    SELECT CASE lower(coalesce(p_labels ->> 'severity', ''))
               WHEN 'critical' THEN 'critical' WHEN 'page' THEN 'critical'
               WHEN 'error' THEN 'high' WHEN 'high' THEN 'high' WHEN 'major' THEN 'high'
               WHEN 'info' THEN 'low' WHEN 'low' THEN 'low' WHEN 'none' THEN 'low' WHEN 'minor' THEN 'low'
               ELSE 'medium' END;
$$;

COMMENT ON FUNCTION monitoring_internal.posted_alert_severity(p_labels jsonb) IS 'Internal: the pgvigil severity of a posted alert, from its severity label (critical, high, medium, low).';

CREATE FUNCTION monitoring_internal.prometheus_escape(p_value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a label value as the text exposition format writes it:
    -- backslash, double quote and line feed escaped.
    SELECT replace(replace(replace(coalesce(p_value, ''), E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n');
$$;

COMMENT ON FUNCTION monitoring_internal.prometheus_escape(p_value text) IS 'Internal: escapes a label value for the Prometheus text format.';

CREATE FUNCTION monitoring_internal.prometheus_number(p_value double precision) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a sample value or a bucket bound as the text format writes
    -- it: the shortest exact decimal, +Inf, -Inf and NaN.
    SELECT CASE WHEN p_value = 'Infinity' THEN '+Inf' WHEN p_value = '-Infinity' THEN '-Inf'
                WHEN p_value = 'NaN' THEN 'NaN' ELSE p_value::text END;
$$;

COMMENT ON FUNCTION monitoring_internal.prometheus_number(p_value double precision) IS 'Internal: a number in the Prometheus text format (+Inf, -Inf, NaN).';

CREATE FUNCTION monitoring_internal.raise_rule_alert(p_rule monitoring.alert_rules, p_group_labels jsonb, p_no_data boolean, p_severity text, p_value double precision, p_threshold double precision, p_breached_since timestamp with time zone, p_source text, p_details jsonb DEFAULT NULL::jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION monitoring_internal.raise_rule_alert(p_rule monitoring.alert_rules, p_group_labels jsonb, p_no_data boolean, p_severity text, p_value double precision, p_threshold double precision, p_breached_since timestamp with time zone, p_source text, p_details jsonb) IS 'Internal: fires or updates the alert of one group of a rule, with its labels, annotations and fingerprint; returns its id.';

CREATE FUNCTION monitoring_internal.raise_silence_problems(p_matchers text[], p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_created_by text, p_comment text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: raises every problem of a silence at once (the first one's
-- code, all in DETAIL), or returns its matchers parsed and sorted, as
-- Alertmanager keeps them: a list of {"name", "op", "value"} (NULL for
-- NULL matchers: a change that keeps them).
DECLARE
    v_code text;
    v_problems text[];
BEGIN
    SELECT min(p.code), array_agg(p.problem ORDER BY p.code, p.problem) INTO v_code, v_problems
    FROM monitoring_internal.silence_problems(p_matchers, p_starts_at, p_ends_at, p_created_by, p_comment) AS p;
    IF v_code IS NOT NULL THEN
        RAISE EXCEPTION 'invalid silence: %', v_problems[1]
            USING ERRCODE = v_code, DETAIL = array_to_string(v_problems, E'\n'),
                  HINT = monitoring_internal.silence_error_hint(v_code);
    END IF;
    RETURN (SELECT jsonb_agg(p ORDER BY p ->> 'name', p ->> 'op', p ->> 'value')
            FROM unnest(p_matchers) AS m, LATERAL (SELECT monitoring_internal.parse_matcher(m) AS p) AS x);
END;
$$;

COMMENT ON FUNCTION monitoring_internal.raise_silence_problems(p_matchers text[], p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_created_by text, p_comment text) IS 'Internal: raises a silence''s problems (PV602, PV604; all in DETAIL) or returns its matchers parsed and sorted.';

CREATE FUNCTION monitoring_internal.record_task_starts(p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_start_times timestamp with time zone[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_end_times timestamp with time zone[]) RETURNS integer
    LANGUAGE plpgsql
    AS $$
-- Internal: the one home of "a task starts", for start_task_tracking and
-- record_task_events. Element i starts p_task_ids[i] at p_start_times[i];
-- a completion given with it (the same buffered batch: status, output
-- size, step timings, end time; NULL otherwise), or one parked earlier in
-- pending_task_completions, finishes it at once: one finished history row,
-- nothing in running_tasks. Errors, raised before anything stays written:
-- PV006 for an end before its start, PV101 for a task already running,
-- PV103 for a replayed start of a task that has finished (the same task id
-- and start time are in the history). Returns the number of starts.
DECLARE
    v_missing_running text[];
    v_missing_history text[];
    v_early timestamptz[];  -- task start and end of a completion that precedes its start
    v_early_id text;
    v_first timestamptz;
    v_last timestamptz;
BEGIN
    WITH s AS (
        SELECT * FROM unnest(p_task_ids, p_task_types, p_worker_ids, p_input_sizes, p_metadata, p_start_times,
                             p_statuses, p_output_sizes, p_step_timings, p_end_times)
                      AS s(task_id, task_type, worker_id, input_size, metadata, start_time,
                           status, output_size, step_timings, end_time)
    ), parked AS (
        DELETE FROM monitoring_internal.pending_task_completions AS p
        USING s
        WHERE p.task_id = s.task_id
        RETURNING p.task_id, p.status, p.output_size, p.step_timings, p.end_time
    ), t AS (
        SELECT s.task_id, s.task_type, s.worker_id, s.input_size, s.metadata, s.start_time,
               coalesce(s.status, p.status) AS status, coalesce(s.output_size, p.output_size) AS output_size,
               coalesce(s.step_timings, p.step_timings) AS step_timings,
               coalesce(s.end_time, p.end_time) AS end_time
        FROM s
        LEFT JOIN parked AS p ON p.task_id = s.task_id
    ), history AS (
        -- A conflict here is a replay: the same task id and start time.
        INSERT INTO monitoring.processing_metrics
            (task_id, task_type, worker_id, status, input_size, output_size, start_time, end_time,
             duration_seconds, step_timings, metadata)
        SELECT t.task_id, t.task_type, t.worker_id, coalesce(t.status, 'running'), t.input_size, t.output_size,
               t.start_time, t.end_time, extract(epoch FROM t.end_time - t.start_time)::double precision,
               t.step_timings, t.metadata
        FROM t
        ON CONFLICT ON CONSTRAINT processing_metrics_pkey DO NOTHING
        RETURNING task_id
    ), running AS (
        -- Waits for another session's uncommitted probe of this key (see
        -- park_task_completions); a conflict is a task already running.
        INSERT INTO monitoring_internal.running_tasks (task_id, task_type, worker_id, start_time)
        SELECT t.task_id, t.task_type, t.worker_id, t.start_time
        FROM t
        WHERE t.end_time IS NULL
        ON CONFLICT (task_id) DO NOTHING
        RETURNING task_id
    )
    SELECT (SELECT coalesce(array_agg(t.task_id), '{}') FROM t
            WHERE t.end_time IS NULL AND t.task_id NOT IN (SELECT r.task_id FROM running AS r)),
           (SELECT coalesce(array_agg(t.task_id), '{}') FROM t
            WHERE t.task_id NOT IN (SELECT h.task_id FROM history AS h)),
           (SELECT ARRAY[t.start_time, t.end_time] FROM t WHERE t.end_time < t.start_time LIMIT 1),
           (SELECT t.task_id FROM t WHERE t.end_time < t.start_time LIMIT 1),
           (SELECT min(t.end_time) FROM t), (SELECT max(t.end_time) FROM t)
    INTO v_missing_running, v_missing_history, v_early, v_early_id, v_first, v_last;

    IF v_early_id IS NOT NULL THEN
        RAISE EXCEPTION 'task % cannot end at %, before it started at %', v_early_id, v_early[2], v_early[1]
            USING ERRCODE = 'PV006',
                  HINT = 'Pass the start time as event_time, from the same clock as the completion.';
    END IF;
    IF cardinality(v_missing_running) > 0 THEN
        RAISE EXCEPTION 'task % is already running', v_missing_running[1]
            USING ERRCODE = 'PV101',
                  HINT = 'Complete it with complete_task_tracking() first, or use a new task id.';
    END IF;
    IF cardinality(v_missing_history) > 0 THEN
        RAISE EXCEPTION 'task % started at % has already finished', v_missing_history[1],
                        p_start_times[array_position(p_task_ids, v_missing_history[1])]
            USING ERRCODE = 'PV103',
                  HINT = 'A start is recorded once; give a new run of the task a new task id.';
    END IF;
    IF v_first IS NOT NULL THEN
        -- Finished at once: task rollups are by end time.
        PERFORM monitoring_internal.note_ingest('processing_metrics', v_first, v_last);
    END IF;

    -- The other side of the meeting with a concurrent completion: if a
    -- running_tasks insert above waited for another session's probe, the
    -- completion that session parked is visible to this later statement.
    PERFORM monitoring_internal.apply_parked_completions(p_task_ids);
    RETURN cardinality(p_task_ids);
END;
$$;

COMMENT ON FUNCTION monitoring_internal.record_task_starts(p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_start_times timestamp with time zone[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_end_times timestamp with time zone[]) IS 'Internal: records task starts (finished at once when their completion is given or parked); PV006, PV101, PV103. Called by start_task_tracking() and record_task_events().';

CREATE FUNCTION monitoring_internal.regex_problem(p_regex text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: why a matcher's regular expression is invalid, or NULL. It is
-- anchored as Alertmanager anchors it (^(?:re)$) and compiled once here.
BEGIN
    PERFORM '' ~ ('^(?:' || p_regex || ')$');
    RETURN NULL;
EXCEPTION WHEN invalid_regular_expression THEN
    RETURN SQLERRM;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.regex_problem(p_regex text) IS 'Internal: the error of an invalid matcher regular expression (anchored as Alertmanager does), or NULL.';

CREATE FUNCTION monitoring_internal.register_components() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: registers the components seen since the last sweep (health
-- reports: all of them, one row each; errors and metrics: those recorded
-- since then, with 5 minutes of overlap for late commits) and moves their
-- last_seen_at. A sweep, not a trigger: the ingest paths stay as fast as
-- they were. Runs in run_monitoring_checks(). Returns the number of
-- components registered for the first time.
DECLARE
    v_since timestamptz := coalesce(
        (SELECT c.last_run_at FROM monitoring_internal.check_runs AS c WHERE c.check_name = 'register_components'),
        now() - interval '1 day') - interval '5 minutes';
    v_new integer;
BEGIN
    WITH seen AS (
        SELECT h.component_name AS component, h.component_type, h.last_check_at AS seen_at, 'health' AS seen_in
        FROM monitoring.system_health AS h
        UNION ALL
        SELECT e.component, NULL, max(e.occurred_at), 'errors'
        FROM monitoring.error_tracking AS e
        WHERE e.occurred_at > v_since AND e.occurred_at <= now() AND e.component IS NOT NULL
        GROUP BY e.component
        UNION ALL
        SELECT p.component, NULL, max(p.recorded_at), 'metrics'
        FROM monitoring.performance_monitoring AS p
        WHERE p.recorded_at > v_since AND p.recorded_at <= now() AND p.component IS NOT NULL
        GROUP BY p.component
    ), merged AS (
        SELECT s.component, max(s.component_type) AS component_type, min(s.seen_at) AS first_seen_at,
               max(s.seen_at) AS last_seen_at, array_agg(DISTINCT s.seen_in ORDER BY s.seen_in) AS seen_in
        FROM seen AS s
        WHERE length(s.component) BETWEEN 1 AND 200
        GROUP BY s.component
    ), upserted AS (
        INSERT INTO monitoring.components AS c (component, component_type, seen_in, first_seen_at, last_seen_at)
        SELECT m.component, m.component_type, m.seen_in, m.first_seen_at, m.last_seen_at FROM merged AS m
        ON CONFLICT ON CONSTRAINT components_pkey DO UPDATE
        SET component_type = coalesce(c.component_type, excluded.component_type),
            seen_in = ARRAY(SELECT DISTINCT x FROM unnest(c.seen_in || excluded.seen_in) AS x ORDER BY 1),
            first_seen_at = least(c.first_seen_at, excluded.first_seen_at),
            last_seen_at = greatest(c.last_seen_at, excluded.last_seen_at)
        WHERE c.last_seen_at IS DISTINCT FROM greatest(c.last_seen_at, excluded.last_seen_at)
           OR NOT excluded.seen_in <@ c.seen_in
           OR (c.component_type IS NULL AND excluded.component_type IS NOT NULL)
        RETURNING xmax = 0 AS inserted
    )
    SELECT count(*) FILTER (WHERE u.inserted) INTO v_new FROM upserted AS u;
    PERFORM monitoring_internal.finish_check('register_components');
    RETURN v_new;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.register_components() IS 'Internal: registers components seen in health reports, errors and metrics since the last sweep; returns how many are new.';

CREATE FUNCTION monitoring_internal.render_template(p_template text, p_labels jsonb, p_value double precision, p_severity text, p_threshold double precision, p_rule text, p_details jsonb DEFAULT NULL::jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: substitutes a template checked by template_problem(), left to
-- right, so a value that itself contains "{{" is printed as it is. Numbers
-- print with up to 4 decimals and no trailing zeros; a label the alert
-- does not have prints as the empty string, as in Prometheus, and so does a
-- detail the source does not give.
DECLARE
    v_rest text := p_template;
    v_out text := '';
    m text[];
BEGIN
    IF p_template IS NULL OR position('{{' IN p_template) = 0 THEN
        RETURN p_template;
    END IF;
    LOOP
        m := regexp_match(v_rest, '^(.*?)\{\{\s*\$([a-z]+)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\s*\}\}(.*)$', 's');
        EXIT WHEN m IS NULL;
        v_out := v_out || m[1] || coalesce(CASE m[2]
                     WHEN 'value' THEN monitoring_internal.format_number(p_value)
                     WHEN 'threshold' THEN monitoring_internal.format_number(p_threshold)
                     WHEN 'severity' THEN p_severity
                     WHEN 'rule' THEN p_rule
                     WHEN 'labels' THEN p_labels ->> m[3]
                     WHEN 'details' THEN CASE jsonb_typeof(p_details -> m[3])
                                             WHEN 'number' THEN monitoring_internal.format_number((p_details ->> m[3])::double precision)
                                             ELSE p_details ->> m[3] END
                 END, '');
        v_rest := m[4];
    END LOOP;
    RETURN v_out || v_rest;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.render_template(p_template text, p_labels jsonb, p_value double precision, p_severity text, p_threshold double precision, p_rule text, p_details jsonb) IS 'Internal: a label or annotation template with $value, $threshold, $severity, $rule, $labels.NAME and $details.NAME substituted.';

CREATE FUNCTION monitoring_internal.resolve_rule_alert(p_alert_id bigint, p_value double precision, p_source text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: a firing group cleared: its alert (acknowledged or not)
-- resolves, with the value that cleared it in alert_events. False when it
-- was resolved already (by hand).
BEGIN
    UPDATE monitoring.alerts AS a
    SET status = 'resolved', resolved_at = now(), resolved_by = p_source,
        resolution_note = 'the condition cleared'
    WHERE a.alert_id = p_alert_id AND a.resolved_at IS NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO monitoring.alert_events (alert_id, event_type, severity, current_value, actor)
    SELECT a.alert_id, 'resolved', a.severity, p_value, p_source FROM monitoring.alerts AS a
    WHERE a.alert_id = p_alert_id;
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.resolve_rule_alert(p_alert_id bigint, p_value double precision, p_source text) IS 'Internal: resolves the alert of a group that cleared, recording the value; false if it was resolved already.';

CREATE FUNCTION monitoring_internal.route_alert(p_route jsonb, p_labels jsonb, p_parent jsonb DEFAULT NULL::jsonb, p_parent_key text DEFAULT NULL::text) RETURNS TABLE(route_key text, receiver text, group_by text[], group_by_all boolean, group_wait_seconds double precision, group_interval_seconds double precision, repeat_interval_seconds double precision, mute_time_intervals text[], active_time_intervals text[], escalation_policy text)
    LANGUAGE plpgsql STABLE ROWS 2
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: the routes a label set goes to, with Alertmanager's semantics
-- (dispatch/route.go): depth first, left to right; a route whose matchers
-- hold is entered, and its first matching child ends the search unless
-- that child has continue: true; a route none of whose children match is
-- itself a match. Children inherit receiver, group_by, the timers and
-- pgvigil's escalation_policy
-- (Alertmanager's defaults at the root: 30s, 5m, 4h); mute and active time
-- intervals are a route's own. route_key is Alertmanager's Route.Key():
-- the matchers of each route from the root, {..}/{..}.
DECLARE
    v_matchers jsonb := monitoring_internal.route_matchers(p_route);
    v_key text := coalesce(p_parent_key || '/', '') || monitoring_internal.matchers_text(v_matchers);
    v_opts jsonb := coalesce(p_parent, jsonb_build_object('receiver', NULL, 'group_by', '[]'::jsonb, 'group_by_all', false,
                                                          'group_wait', 30, 'group_interval', 300, 'repeat_interval', 14400));
    v_child jsonb;
    v_found boolean := false;
    v_matched integer;
    r record;
BEGIN
    IF NOT monitoring_internal.matchers_match(v_matchers, p_labels) THEN
        RETURN;
    END IF;
    IF jsonb_typeof(p_route -> 'escalation_policy') = 'string' THEN
        v_opts := v_opts || jsonb_build_object('escalation_policy', p_route -> 'escalation_policy');
    END IF;
    IF jsonb_typeof(p_route -> 'receiver') = 'string' THEN
        v_opts := v_opts || jsonb_build_object('receiver', p_route -> 'receiver');
    END IF;
    IF jsonb_typeof(p_route -> 'group_by') = 'array' THEN
        v_opts := v_opts || CASE WHEN p_route -> 'group_by' ? '...'
                                 THEN jsonb_build_object('group_by', '[]'::jsonb, 'group_by_all', true)
                                 ELSE jsonb_build_object('group_by', p_route -> 'group_by', 'group_by_all', false) END;
    END IF;
    v_opts := v_opts
        || CASE WHEN p_route ? 'group_wait' THEN jsonb_build_object('group_wait', monitoring_internal.parse_duration(p_route -> 'group_wait')) ELSE '{}' END
        || CASE WHEN p_route ? 'group_interval' THEN jsonb_build_object('group_interval', monitoring_internal.parse_duration(p_route -> 'group_interval')) ELSE '{}' END
        || CASE WHEN p_route ? 'repeat_interval' THEN jsonb_build_object('repeat_interval', monitoring_internal.parse_duration(p_route -> 'repeat_interval')) ELSE '{}' END;

    FOR v_child IN SELECT c FROM jsonb_array_elements(coalesce(p_route -> 'routes', '[]')) AS c LOOP
        v_matched := 0;
        FOR r IN SELECT * FROM monitoring_internal.route_alert(v_child, p_labels, v_opts, v_key) LOOP
            route_key := r.route_key; receiver := r.receiver; group_by := r.group_by; group_by_all := r.group_by_all;
            group_wait_seconds := r.group_wait_seconds; group_interval_seconds := r.group_interval_seconds;
            repeat_interval_seconds := r.repeat_interval_seconds; mute_time_intervals := r.mute_time_intervals;
            active_time_intervals := r.active_time_intervals; escalation_policy := r.escalation_policy;
            RETURN NEXT;
            v_matched := v_matched + 1;
        END LOOP;
        v_found := v_found OR v_matched > 0;
        EXIT WHEN v_matched > 0 AND NOT coalesce((v_child ->> 'continue')::boolean, false);
    END LOOP;
    IF v_found THEN
        RETURN;
    END IF;
    route_key := v_key;
    receiver := v_opts ->> 'receiver';
    group_by := ARRAY(SELECT jsonb_array_elements_text(v_opts -> 'group_by'));
    group_by_all := (v_opts ->> 'group_by_all')::boolean;
    group_wait_seconds := (v_opts ->> 'group_wait')::double precision;
    group_interval_seconds := (v_opts ->> 'group_interval')::double precision;
    repeat_interval_seconds := (v_opts ->> 'repeat_interval')::double precision;
    mute_time_intervals := ARRAY(SELECT jsonb_array_elements_text(coalesce(p_route -> 'mute_time_intervals', '[]')));
    active_time_intervals := ARRAY(SELECT jsonb_array_elements_text(coalesce(p_route -> 'active_time_intervals', '[]')));
    escalation_policy := v_opts ->> 'escalation_policy';
    RETURN NEXT;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.route_alert(p_route jsonb, p_labels jsonb, p_parent jsonb, p_parent_key text) IS 'Internal: the routes (key, receiver, grouping, timers, time intervals) a label set goes to through a route tree, as Alertmanager routes it.';

CREATE FUNCTION monitoring_internal.route_matchers(p_route jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a route's (or inhibit rule side's) matchers as one sorted
    -- list, as Alertmanager builds it: the deprecated match (=) and match_re
    -- (=~) maps, then the matchers strings; sorted by name, operator and
    -- value. Malformed strings are left out (validation reports them).
    SELECT coalesce(jsonb_agg(m ORDER BY m ->> 'name', m ->> 'op', m ->> 'value'), '[]')
    FROM (SELECT jsonb_build_object('name', e.key, 'op', '=', 'value', e.value #>> '{}') AS m
          FROM jsonb_each(CASE jsonb_typeof(p_route -> 'match') WHEN 'object' THEN p_route -> 'match' END) AS e
          UNION ALL
          SELECT jsonb_build_object('name', e.key, 'op', '=~', 'value', e.value #>> '{}')
          FROM jsonb_each(CASE jsonb_typeof(p_route -> 'match_re') WHEN 'object' THEN p_route -> 'match_re' END) AS e
          UNION ALL
          SELECT monitoring_internal.parse_matcher(s #>> '{}')
          FROM jsonb_array_elements(CASE jsonb_typeof(p_route -> 'matchers') WHEN 'array' THEN p_route -> 'matchers' END) AS s
          WHERE monitoring_internal.parse_matcher(s #>> '{}') IS NOT NULL) AS x;
$$;

COMMENT ON FUNCTION monitoring_internal.route_matchers(p_route jsonb) IS 'Internal: a route''s match, match_re and matchers as one sorted list of {"name", "op", "value"}.';

CREATE FUNCTION monitoring_internal.route_problems(p_route jsonb, p_where text, p_receivers text[], p_intervals text[]) RETURNS TABLE(code text, problem text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: the problems of one route and, recursively, its children: its
-- keys (PV606), the receiver it names (PV601), its matchers (PV602), the
-- time intervals it names (PV603), its durations and group_by (PV608).
DECLARE
    v_key text;
    v_name text;
    v_n integer := 0;
    v_child jsonb;
BEGIN
    IF jsonb_typeof(p_route) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV608', format('%s must be an object', p_where);
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(p_where, 'route', p_route);
    IF p_route ? 'receiver' AND (jsonb_typeof(p_route -> 'receiver') <> 'string' OR NOT (p_route ->> 'receiver') = ANY (p_receivers)) THEN
        RETURN QUERY SELECT 'PV601', format('%s.receiver %s is not a receiver of notifications.receivers (%s)', p_where,
                                            p_route -> 'receiver', coalesce(nullif(array_to_string(p_receivers, ', '), ''), 'none'));
    END IF;
    RETURN QUERY SELECT * FROM monitoring_internal.matcher_problems(p_route, p_where);
    FOREACH v_key IN ARRAY ARRAY['group_wait', 'group_interval', 'repeat_interval'] LOOP
        IF p_route ? v_key AND coalesce(monitoring_internal.parse_duration(p_route -> v_key) < 0, true) THEN
            RETURN QUERY SELECT 'PV608', format('%s.%s must be a duration such as "30s" or "4h", got %s', p_where, v_key, p_route -> v_key);
        END IF;
    END LOOP;
    IF p_route ? 'group_interval' AND monitoring_internal.parse_duration(p_route -> 'group_interval') = 0 THEN
        RETURN QUERY SELECT 'PV608', format('%s.group_interval cannot be 0', p_where);
    END IF;
    IF p_route ? 'group_by' AND (jsonb_typeof(p_route -> 'group_by') <> 'array'
                                 OR EXISTS (SELECT FROM jsonb_array_elements(p_route -> 'group_by') AS g
                                            WHERE jsonb_typeof(g) <> 'string'
                                               OR ((g #>> '{}') !~ '^[A-Za-z_][A-Za-z0-9_]*$' AND g #>> '{}' <> '...'))) THEN
        RETURN QUERY SELECT 'PV608', format('%s.group_by must be a list of label names (or ["..."] for all labels)', p_where);
    END IF;
    FOREACH v_key IN ARRAY ARRAY['mute_time_intervals', 'active_time_intervals'] LOOP
        CONTINUE WHEN NOT p_route ? v_key;
        IF jsonb_typeof(p_route -> v_key) <> 'array' THEN
            RETURN QUERY SELECT 'PV603', format('%s.%s must be a list of time interval names', p_where, v_key);
            CONTINUE;
        END IF;
        FOR v_name IN SELECT jsonb_array_elements_text(p_route -> v_key) LOOP
            IF NOT v_name = ANY (p_intervals) THEN
                RETURN QUERY SELECT 'PV603', format('%s.%s: %s is not a time interval of notifications.time_intervals', p_where, v_key, v_name);
            END IF;
        END LOOP;
    END LOOP;
    IF p_route ? 'routes' AND jsonb_typeof(p_route -> 'routes') <> 'array' THEN
        RETURN QUERY SELECT 'PV608', format('%s.routes must be a list of routes', p_where);
        RETURN;
    END IF;
    FOR v_child IN SELECT c FROM jsonb_array_elements(coalesce(p_route -> 'routes', '[]')) AS c LOOP
        RETURN QUERY SELECT * FROM monitoring_internal.route_problems(v_child, format('%s.routes[%s]', p_where, v_n),
                                                                      p_receivers, p_intervals);
        v_n := v_n + 1;
    END LOOP;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.route_problems(p_route jsonb, p_where text, p_receivers text[], p_intervals text[]) IS 'Internal: the problems (PV601-PV608) of a route and its children.';

CREATE FUNCTION monitoring_internal.rule_condition_problems(p_condition jsonb, p_group_by text[], p_document jsonb) RETURNS TABLE(code text, problem text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: the problems of what a rule (or one inline condition of a
-- composite) measures: source, aggregate, window, comparison, and its
-- thresholds (a rule) or threshold (a condition). Messages start with the
-- field ('.source...'), for the caller to prefix with where it is.
DECLARE
    v_source jsonb := p_condition -> 'source';
    v_kind text := p_condition #>> '{source,kind}';
    v_catalog record;
    v_key text;
    v_value jsonb;
    v_thresholds jsonb;
    v_previous double precision;
    v_number double precision;
    v_ascending boolean := coalesce(p_condition ->> 'comparison', '>=') IN ('>', '>=');
    v_label text;
BEGIN
    IF jsonb_typeof(v_source) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV501', '.source must be an object such as {"kind": "metric", "metric_name": "cpu_usage"}'::text;
        RETURN;
    END IF;
    SELECT * INTO v_catalog FROM monitoring_internal.rule_sources() AS s WHERE s.kind = v_kind;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'PV501', format('.source.kind must be one of %s, got %s',
                                            (SELECT string_agg(s.kind, ', ') FROM monitoring_internal.rule_sources() AS s),
                                            coalesce((v_source -> 'kind')::text, 'nothing'));
        RETURN;
    END IF;
    FOR v_key, v_value IN SELECT e.key, e.value FROM jsonb_each(v_source) AS e WHERE e.key <> 'kind' ORDER BY 1 LOOP
        IF NOT v_key = ANY (v_catalog.filters) THEN
            RETURN QUERY SELECT 'PV501', format('.source: a %s source has no filter %s (it has %s)', v_kind, v_key,
                                                array_to_string(v_catalog.filters, ', '));
        ELSIF v_key = 'tags' AND (jsonb_typeof(v_value) <> 'object'
                                  OR EXISTS (SELECT FROM jsonb_each(v_value) AS t WHERE jsonb_typeof(t.value) <> 'string')) THEN
            RETURN QUERY SELECT 'PV501', '.source.tags must be an object of strings, matched as a subset of the sample''s tags'::text;
        ELSIF v_kind = 'health' AND v_key = 'status' AND jsonb_typeof(v_value) = 'array' THEN
            -- The one list filter: a status among several (degraded or unhealthy).
            IF jsonb_array_length(v_value) = 0
               OR EXISTS (SELECT FROM jsonb_array_elements(v_value) AS x
                          WHERE NOT coalesce(x #>> '{}' IN ('healthy', 'degraded', 'unhealthy'), false)
                             OR jsonb_typeof(x) <> 'string') THEN
                RETURN QUERY SELECT 'PV501', '.source.status must be a status or a list of them (healthy, degraded, unhealthy)'::text;
            END IF;
        ELSIF v_key <> 'tags' AND (jsonb_typeof(v_value) <> 'string' OR length(v_value #>> '{}') NOT BETWEEN 1 AND 200) THEN
            RETURN QUERY SELECT 'PV501', format('.source.%s must be a string of 1-200 characters', v_key);
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY v_catalog.required_filters LOOP
        IF NOT v_source ? v_key THEN
            RETURN QUERY SELECT 'PV501', format('.source: a %s source needs %s', v_kind, v_key);
        END IF;
    END LOOP;
    IF NOT (p_condition ->> 'aggregate') = ANY (v_catalog.aggregates) OR jsonb_typeof(p_condition -> 'aggregate') <> 'string' THEN
        RETURN QUERY SELECT 'PV502', format('.aggregate: a %s source has %s, got %s', v_kind,
                                            array_to_string(v_catalog.aggregates, ', '), coalesce((p_condition -> 'aggregate')::text, 'nothing'));
    END IF;
    IF p_condition ? 'window' AND coalesce(monitoring_internal.rule_duration(p_condition -> 'window', p_document) <= 0, true) THEN
        RETURN QUERY SELECT 'PV503', format('.window must be a duration > 0 such as "5m" (or name one in alert_settings), got %s',
                                            p_condition -> 'window');
    END IF;
    -- A quantile belongs to the duration_percentile aggregate, and it to it.
    v_value := monitoring_internal.rule_setting(p_condition -> 'quantile', p_document);
    IF (p_condition ->> 'aggregate' = 'duration_percentile') <> (p_condition ? 'quantile') THEN
        RETURN QUERY SELECT 'PV502', '.quantile goes with the duration_percentile aggregate: give both or neither'::text;
    ELSIF p_condition ? 'quantile' AND (jsonb_typeof(v_value) IS DISTINCT FROM 'number'
                                        OR (v_value #>> '{}')::double precision <= 0
                                        OR (v_value #>> '{}')::double precision > 1) THEN
        RETURN QUERY SELECT 'PV502', format('.quantile must be a number in (0, 1] such as 0.95 (or name one in alert_settings), got %s',
                                            p_condition -> 'quantile');
    END IF;
    IF p_condition ? 'comparison' AND NOT coalesce((p_condition ->> 'comparison') = ANY (ARRAY['>', '>=', '<', '<=']), false) THEN
        RETURN QUERY SELECT 'PV509', format('.comparison must be >, >=, < or <=, got %s', p_condition -> 'comparison');
    END IF;
    FOREACH v_label IN ARRAY p_group_by LOOP
        IF NOT (v_label = ANY (v_catalog.labels)
                OR (v_kind = 'metric' AND v_label ~ '^tags\.[A-Za-z_][A-Za-z0-9_]{0,99}$')) THEN
            RETURN QUERY SELECT 'PV509', format('.group_by: a %s source has no label %s (it has %s%s)', v_kind, v_label,
                                                array_to_string(v_catalog.labels, ', '),
                                                CASE WHEN v_kind = 'metric' THEN ', tags.KEY' ELSE '' END);
        END IF;
    END LOOP;

    IF p_condition ? 'threshold' THEN
        v_value := p_condition -> 'threshold';
        IF jsonb_typeof(v_value) <> 'number' OR abs((v_value #>> '{}')::numeric) > 1e308 THEN
            RETURN QUERY SELECT 'PV506', format('.threshold must be a finite number, got %s', v_value);
        END IF;
        RETURN;
    END IF;
    IF NOT p_condition ? 'thresholds' THEN
        IF NOT p_condition ? 'name' THEN  -- an inline condition: the caller reports the missing threshold
            RETURN;
        END IF;
        RETURN QUERY SELECT 'PV504', '.thresholds: a rule needs at least one of low, medium, high, critical'::text;
        RETURN;
    END IF;
    v_thresholds := p_condition -> 'thresholds';
    IF jsonb_typeof(v_thresholds) = 'string' THEN  -- a set of the alert_thresholds section, by name
        IF (v_thresholds #>> '{}') !~ '^alert_thresholds\.[a-z_]+$'
           OR jsonb_typeof(p_document #> string_to_array(v_thresholds #>> '{}', '.')) IS DISTINCT FROM 'object' THEN
            RETURN QUERY SELECT 'PV504', format('.thresholds names %s, which is not a set of alert_thresholds', v_thresholds);
            RETURN;
        END IF;
        v_thresholds := p_document #> string_to_array(v_thresholds #>> '{}', '.');
    END IF;
    IF jsonb_typeof(v_thresholds) <> 'object' OR v_thresholds = '{}' THEN
        RETURN QUERY SELECT 'PV504', '.thresholds: a rule needs at least one of low, medium, high, critical'::text;
        RETURN;
    END IF;
    FOR v_key IN SELECT k FROM jsonb_object_keys(v_thresholds) AS k WHERE monitoring_internal.severity_rank(k) IS NULL LOOP
        RETURN QUERY SELECT 'PV504', format('.thresholds: %s is not a severity (low, medium, high, critical)', v_key);
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['low', 'medium', 'high', 'critical'] LOOP
        v_value := v_thresholds -> v_key;
        CONTINUE WHEN v_value IS NULL;
        IF jsonb_typeof(v_value) <> 'number' OR abs((v_value #>> '{}')::numeric) > 1e308 THEN
            RETURN QUERY SELECT 'PV506', format('.thresholds.%s must be a finite number, got %s', v_key, v_value);
            CONTINUE;
        END IF;
        v_number := (v_value #>> '{}')::double precision;
        IF v_previous IS NOT NULL AND (CASE WHEN v_ascending THEN v_number < v_previous ELSE v_number > v_previous END) THEN
            RETURN QUERY SELECT 'PV504', format('.thresholds.%s (%s) must be %s the threshold of the severity below it',
                                                v_key, v_value, CASE WHEN v_ascending THEN '>=' ELSE '<=' END);
        END IF;
        v_previous := v_number;
    END LOOP;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.rule_condition_problems(p_condition jsonb, p_group_by text[], p_document jsonb) IS 'Internal: the problems of a rule''s or a condition''s source, aggregate, window, comparison, group_by and thresholds.';

CREATE FUNCTION monitoring_internal.rule_duration(p_value jsonb, p_document jsonb) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: a rule duration in seconds: "5m", 300, or a setting named
    -- "alert_settings.NAME_minutes" / "alert_settings.NAME_seconds" (its
    -- unit is in its name). NULL when malformed or not a number.
    SELECT CASE
        WHEN jsonb_typeof(p_value) = 'string' AND (p_value #>> '{}') ~ '^alert_settings\.[a-z_]+_(minutes|seconds)$' THEN
            CASE WHEN jsonb_typeof(monitoring_internal.rule_setting(p_value, p_document)) = 'number'
                 THEN (monitoring_internal.rule_setting(p_value, p_document) #>> '{}')::double precision
                      * CASE WHEN (p_value #>> '{}') LIKE '%\_minutes' THEN 60 ELSE 1 END END
        ELSE monitoring_internal.parse_duration(p_value)
    END;
$_$;

COMMENT ON FUNCTION monitoring_internal.rule_duration(p_value jsonb, p_document jsonb) IS 'Internal: a rule window or for in seconds ("5m", a number of seconds, or "alert_settings.NAME_minutes"); NULL when malformed.';

CREATE FUNCTION monitoring_internal.rule_error_hint(p_code text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

COMMENT ON FUNCTION monitoring_internal.rule_error_hint(p_code text) IS 'Internal: the HINT that goes with a rule error code PV501-PV511.';

CREATE FUNCTION monitoring_internal.rule_group_values(p_rule monitoring.alert_rules, p_at timestamp with time zone, p_shared boolean DEFAULT false) RETURNS TABLE(group_key text, group_labels jsonb, value double precision, severity text, threshold double precision)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: every group a rule has data for at p_at, with its value and the
-- severity it reaches (NULL: the condition does not hold). A group with
-- fewer than min_samples samples has no data; severity_caps apply. A composite rule's groups are
-- those its conditions share (all) or any of them has (any), on its
-- group_by labels; it holds with its one severity where all (any) of its
-- conditions hold, and its value is the first condition's. p_shared: read
-- the values evaluate_alert_rules() computed once for every rule of the
-- same source (evaluation_values) instead of computing them here.
BEGIN
    IF p_rule.composite_match IS NULL AND p_shared THEN
        -- evaluate_alert_rules() computed every source once for this evaluation.
        RETURN QUERY
        SELECT v.group_key, v.group_labels, v.value, t.severity,
               (p_rule.thresholds ->> t.severity)::double precision
        FROM monitoring_internal.evaluation_values AS v,
             LATERAL (SELECT monitoring_internal.capped_severity(
                                 monitoring_internal.severity_reached(v.value, p_rule.thresholds, p_rule.comparison),
                                 p_rule.severity_caps, v.details) AS severity) AS t
        WHERE v.source_key = monitoring_internal.rule_source_key(p_rule)
          AND v.samples >= p_rule.min_samples AND v.value IS NOT NULL;
        RETURN;
    ELSIF p_rule.composite_match IS NULL THEN
        RETURN QUERY
        SELECT md5(v.group_labels::text), v.group_labels, v.value, t.severity,
               (p_rule.thresholds ->> t.severity)::double precision
        FROM monitoring_internal.source_values(p_rule.source_kind, p_rule.source_filter, p_rule.aggregate,
                                               p_rule.window_seconds, p_rule.group_by, p_at) AS v,
             LATERAL (SELECT monitoring_internal.capped_severity(
                                 monitoring_internal.severity_reached(v.value, p_rule.thresholds, p_rule.comparison),
                                 p_rule.severity_caps, v.details) AS severity) AS t
        WHERE v.samples >= p_rule.min_samples AND v.value IS NOT NULL;
        RETURN;
    END IF;
    RETURN QUERY
    WITH conditions AS (
        SELECT x.c, x.n FROM jsonb_array_elements(p_rule.conditions) WITH ORDINALITY AS x (c, n)
    ), condition_values AS (
        SELECT k.n AS position, v.group_labels, v.value, v.holds
        FROM conditions AS k,
             LATERAL (
                 -- {"rule": NAME}: that rule's groups, on the composite's labels.
                 SELECT (SELECT coalesce(jsonb_object_agg(l.key, l.value), '{}') FROM jsonb_each(g.group_labels) AS l
                         WHERE l.key = ANY (p_rule.group_by) OR 'tags.' || l.key = ANY (p_rule.group_by)) AS group_labels,
                        g.value, g.severity IS NOT NULL AS holds
                 FROM monitoring.alert_rules AS r,
                      LATERAL monitoring_internal.rule_group_values(r, p_at, p_shared) AS g
                 WHERE k.c ? 'rule' AND r.rule_name = k.c ->> 'rule'
                 UNION ALL
                 -- An inline condition: its source on the composite's labels.
                 SELECT sv.group_labels, sv.value,
                        CASE k.c ->> 'comparison'
                            WHEN '>' THEN sv.value > (k.c ->> 'threshold')::double precision
                            WHEN '>=' THEN sv.value >= (k.c ->> 'threshold')::double precision
                            WHEN '<' THEN sv.value < (k.c ->> 'threshold')::double precision
                            ELSE sv.value <= (k.c ->> 'threshold')::double precision END
                 FROM monitoring_internal.source_values(
                          CASE WHEN NOT k.c ? 'rule' THEN k.c ->> 'kind' END, k.c -> 'filter', k.c ->> 'aggregate',
                          (k.c ->> 'window_seconds')::double precision, p_rule.group_by, p_at) AS sv
                 WHERE sv.samples >= p_rule.min_samples AND sv.value IS NOT NULL) AS v
    )
    SELECT md5(c.group_labels::text), c.group_labels,
           (array_agg(c.value ORDER BY c.position))[1],
           CASE WHEN (p_rule.composite_match = 'all'
                      AND count(DISTINCT c.position) FILTER (WHERE c.holds) = jsonb_array_length(p_rule.conditions))
                  OR (p_rule.composite_match = 'any' AND bool_or(c.holds))
                THEN (SELECT k FROM jsonb_object_keys(p_rule.thresholds) AS k LIMIT 1) END,
           NULL::double precision
    FROM condition_values AS c
    GROUP BY c.group_labels;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.rule_group_values(p_rule monitoring.alert_rules, p_at timestamp with time zone, p_shared boolean) IS 'Internal: a rule''s groups at p_at with their value and the severity reached (NULL when the condition does not hold).';

CREATE FUNCTION monitoring_internal.rule_problems(p_rule jsonb, p_document jsonb) RETURNS TABLE(code text, problem text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: every problem of one rule of the config's alert_rules, with
-- its error code. p_document is the whole config, for the rules a
-- composite refers to and the alert_thresholds a rule may name. Rules are
-- data: nothing here or in the evaluator runs text from a rule as SQL.
DECLARE
    c_keys CONSTANT text[] := ARRAY['name', 'description', 'source', 'aggregate', 'window', 'group_by',
        'comparison', 'thresholds', 'severity', 'all_of', 'any_of', 'for', 'keep_firing_for', 'no_data',
        'min_samples', 'labels', 'annotations', 'enabled', 'quantile', 'severity_caps'];
    v_name text := p_rule ->> 'name';
    v_where text;
    v_key text;
    v_value jsonb;
    v_conditions jsonb;
    v_condition jsonb;
    v_other jsonb;
    v_group_by text[];
    v_problem text;
    v_position integer := 0;
BEGIN
    IF jsonb_typeof(p_rule) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT 'PV509', 'alert_rules: every rule must be a JSON object';
        RETURN;
    END IF;
    v_where := format('alert_rules[%s]', coalesce(v_name, '?'));
    IF v_name IS NULL OR jsonb_typeof(p_rule -> 'name') <> 'string'
       OR v_name !~ '^[A-Za-z_][A-Za-z0-9_]{0,99}$' THEN
        RETURN QUERY SELECT 'PV509', format('%s.name must be 1-100 letters, digits or _, not starting with a digit', v_where);
    END IF;
    FOR v_key IN SELECT k FROM jsonb_object_keys(p_rule) AS k WHERE NOT k = ANY (c_keys) ORDER BY 1 LOOP
        RETURN QUERY SELECT 'PV509', format('%s: unknown key %s', v_where, v_key);
    END LOOP;
    IF p_rule ? 'description' AND jsonb_typeof(p_rule -> 'description') <> 'string' THEN
        RETURN QUERY SELECT 'PV509', format('%s.description must be a string', v_where);
    END IF;
    IF p_rule ? 'enabled' AND jsonb_typeof(p_rule -> 'enabled') <> 'boolean' THEN
        RETURN QUERY SELECT 'PV509', format('%s.enabled must be true or false', v_where);
    END IF;
    IF p_rule ? 'no_data' AND NOT coalesce((p_rule ->> 'no_data') = ANY (ARRAY['ok', 'alerting', 'keep_last', 'nodata']), false) THEN
        RETURN QUERY SELECT 'PV509', format('%s.no_data must be ok, alerting, keep_last or nodata', v_where);
    END IF;
    v_value := monitoring_internal.rule_setting(p_rule -> 'min_samples', p_document);
    IF p_rule ? 'min_samples' AND (jsonb_typeof(v_value) IS DISTINCT FROM 'number'
                                   OR (v_value #>> '{}') !~ '^[0-9]{1,9}$'
                                   OR (v_value #>> '{}')::integer < 1) THEN
        RETURN QUERY SELECT 'PV509', format('%s.min_samples must be a whole number >= 1 (or name one in alert_settings), got %s',
                                            v_where, p_rule -> 'min_samples');
    END IF;
    IF p_rule ? 'severity_caps' THEN
        IF jsonb_typeof(p_rule -> 'severity_caps') <> 'array'
           OR EXISTS (SELECT FROM jsonb_array_elements(p_rule -> 'severity_caps') AS c
                      WHERE jsonb_typeof(c) <> 'object' OR jsonb_typeof(c -> 'when') IS DISTINCT FROM 'object'
                         OR EXISTS (SELECT FROM jsonb_object_keys(c) AS k WHERE k NOT IN ('when', 'max'))
                         OR monitoring_internal.severity_rank(monitoring_internal.rule_setting(c -> 'max', p_document) #>> '{}') IS NULL) THEN
            RETURN QUERY SELECT 'PV504', format('%s.severity_caps must be a list of {"when": {DETAIL: VALUE}, "max": SEVERITY}', v_where);
        END IF;
    END IF;
    FOREACH v_key IN ARRAY ARRAY['for', 'keep_firing_for'] LOOP
        IF p_rule ? v_key AND coalesce(monitoring_internal.rule_duration(p_rule -> v_key, p_document) < 0, true) THEN
            RETURN QUERY SELECT 'PV503', format('%s.%s must be a duration such as "5m", got %s', v_where, v_key, p_rule -> v_key);
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['labels', 'annotations'] LOOP
        CONTINUE WHEN NOT p_rule ? v_key;
        IF jsonb_typeof(p_rule -> v_key) <> 'object' THEN
            RETURN QUERY SELECT 'PV509', format('%s.%s must be an object of strings', v_where, v_key);
            CONTINUE;
        END IF;
        FOR v_value, v_problem IN
            SELECT to_jsonb(e.key), CASE WHEN jsonb_typeof(e.value) <> 'string' THEN 'must be a string'
                                         ELSE monitoring_internal.template_problem(e.value #>> '{}') END
            FROM jsonb_each(p_rule -> v_key) AS e
        LOOP
            IF v_key = 'labels' AND (v_value #>> '{}') !~ '^[A-Za-z_][A-Za-z0-9_]{0,99}$' THEN
                RETURN QUERY SELECT 'PV509', format('%s.labels: %s is not a label name (letters, digits, _)', v_where, v_value);
            ELSIF v_key = 'labels' AND (v_value #>> '{}') IN ('alertname', 'severity') THEN
                RETURN QUERY SELECT 'PV509', format('%s.labels: %s is set by pgvigil', v_where, v_value);
            END IF;
            IF v_problem IS NOT NULL THEN
                RETURN QUERY SELECT 'PV505', format('%s.%s.%s %s', v_where, v_key, v_value #>> '{}', v_problem);
            END IF;
        END LOOP;
    END LOOP;
    IF p_rule ? 'group_by' THEN
        IF jsonb_typeof(p_rule -> 'group_by') <> 'array'
           OR EXISTS (SELECT FROM jsonb_array_elements(p_rule -> 'group_by') AS g WHERE jsonb_typeof(g) <> 'string') THEN
            RETURN QUERY SELECT 'PV509', format('%s.group_by must be a list of label names', v_where);
        ELSE
            SELECT array_agg(g ORDER BY n) INTO v_group_by
            FROM jsonb_array_elements_text(p_rule -> 'group_by') WITH ORDINALITY AS x (g, n);
            IF cardinality(v_group_by) <> (SELECT count(DISTINCT g) FROM unnest(v_group_by) AS g) THEN
                RETURN QUERY SELECT 'PV509', format('%s.group_by names a label twice', v_where);
            END IF;
        END IF;
    END IF;
    v_group_by := coalesce(v_group_by, '{}');

    IF p_rule ? 'all_of' OR p_rule ? 'any_of' THEN
        IF p_rule ? 'all_of' AND p_rule ? 'any_of' THEN
            RETURN QUERY SELECT 'PV508', format('%s: a composite rule has all_of or any_of, not both', v_where);
            RETURN;
        END IF;
        FOREACH v_key IN ARRAY ARRAY['source', 'aggregate', 'window', 'thresholds', 'quantile'] LOOP
            IF p_rule ? v_key THEN
                RETURN QUERY SELECT 'PV508', format('%s: a composite rule has no %s of its own (its conditions do)', v_where, v_key);
            END IF;
        END LOOP;
        IF monitoring_internal.severity_rank(p_rule ->> 'severity') IS NULL THEN
            RETURN QUERY SELECT 'PV504', format('%s.severity must be low, medium, high or critical', v_where);
        END IF;
        v_conditions := coalesce(p_rule -> 'all_of', p_rule -> 'any_of');
        IF jsonb_typeof(v_conditions) <> 'array' OR jsonb_array_length(v_conditions) = 0 THEN
            RETURN QUERY SELECT 'PV508', format('%s: all_of / any_of must list at least one condition', v_where);
            RETURN;
        END IF;
        FOR v_condition IN SELECT c FROM jsonb_array_elements(v_conditions) AS c LOOP
            v_position := v_position + 1;
            IF jsonb_typeof(v_condition) <> 'object' THEN
                RETURN QUERY SELECT 'PV508', format('%s condition %s must be an object', v_where, v_position);
            ELSIF v_condition ? 'rule' THEN
                SELECT r INTO v_other FROM jsonb_array_elements(p_document -> 'alert_rules') AS r
                WHERE r ->> 'name' = v_condition ->> 'rule' LIMIT 1;
                IF v_other IS NULL OR v_condition ->> 'rule' = v_name THEN
                    RETURN QUERY SELECT 'PV508', format('%s condition %s refers to %s, which is not a rule of this config',
                                                        v_where, v_position, coalesce(v_condition ->> 'rule', 'nothing'));
                ELSIF v_other ? 'all_of' OR v_other ? 'any_of' THEN
                    RETURN QUERY SELECT 'PV508', format('%s condition %s refers to the composite rule %s', v_where, v_position, v_other ->> 'name');
                ELSIF NOT v_group_by <@ ARRAY(SELECT jsonb_array_elements_text(coalesce(v_other -> 'group_by', '[]'))) THEN
                    RETURN QUERY SELECT 'PV508', format('%s condition %s: rule %s does not group by every label of %s',
                                                        v_where, v_position, v_other ->> 'name', array_to_string(v_group_by, ', '));
                ELSIF (SELECT count(*) FROM jsonb_object_keys(v_condition)) > 1 THEN
                    RETURN QUERY SELECT 'PV508', format('%s condition %s: a {"rule": ...} condition has no other keys', v_where, v_position);
                END IF;
            ELSE
                FOR v_key IN SELECT k FROM jsonb_object_keys(v_condition) AS k
                             WHERE NOT k = ANY (ARRAY['source', 'aggregate', 'window', 'comparison', 'threshold']) LOOP
                    RETURN QUERY SELECT 'PV508', format('%s condition %s: unknown key %s', v_where, v_position, v_key);
                END LOOP;
                RETURN QUERY SELECT p.code, format('%s condition %s%s', v_where, v_position, p.problem)
                FROM monitoring_internal.rule_condition_problems(v_condition, v_group_by, p_document) AS p;
                IF NOT v_condition ? 'threshold' THEN
                    RETURN QUERY SELECT 'PV506', format('%s condition %s needs a threshold', v_where, v_position);
                END IF;
            END IF;
        END LOOP;
        RETURN;
    END IF;

    IF p_rule ? 'severity' THEN
        RETURN QUERY SELECT 'PV509', format('%s: severity is for composite rules; a rule has thresholds per severity', v_where);
    END IF;
    RETURN QUERY SELECT p.code, v_where || p.problem
    FROM monitoring_internal.rule_condition_problems(p_rule, v_group_by, p_document) AS p;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.rule_problems(p_rule jsonb, p_document jsonb) IS 'Internal: every problem of one alert rule (code PV501-PV509 and a message naming the field); no rows when it is valid.';

CREATE FUNCTION monitoring_internal.rule_setting(p_value jsonb, p_document jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: a rule field that may name a setting instead of giving a
    -- value: "alert_settings.NAME" is that setting of the config (so the
    -- built-in rules follow alert_settings as the checks did); anything
    -- else is the value as written. NULL when the setting does not exist.
    SELECT CASE WHEN jsonb_typeof(p_value) = 'string' AND (p_value #>> '{}') ~ '^alert_settings\.[a-z_]+$'
                THEN p_document #> string_to_array(p_value #>> '{}', '.')
                ELSE p_value END;
$_$;

COMMENT ON FUNCTION monitoring_internal.rule_setting(p_value jsonb, p_document jsonb) IS 'Internal: a rule field''s value, or the alert_settings value it names ("alert_settings.NAME").';

CREATE FUNCTION monitoring_internal.rule_source_key(p_rule monitoring.alert_rules) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: where a rule's groups are in evaluation_values. Rules that
    -- measure the same thing (kind, filter, aggregate, window, group_by)
    -- share one key, so one computation per evaluation; a composite has
    -- its own.
    SELECT CASE WHEN p_rule.composite_match IS NOT NULL THEN 'composite:' || p_rule.rule_name
                ELSE md5(concat_ws(E'\x1f', p_rule.source_kind, p_rule.source_filter::text, p_rule.aggregate,
                                   p_rule.window_seconds::text, p_rule.group_by::text)) END;
$$;

COMMENT ON FUNCTION monitoring_internal.rule_source_key(p_rule monitoring.alert_rules) IS 'Internal: the key of a rule''s groups in evaluation_values (shared by rules of the same source; composite:NAME for a composite).';

CREATE FUNCTION monitoring_internal.rule_sources() RETURNS TABLE(kind text, filters text[], required_filters text[], labels text[], aggregates text[])
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: what a rule can read, in one place (validation, the
    -- evaluator's dispatch and docs/rules.md follow it). A metric rule may
    -- also group by a tag: "tags.KEY" gives the label KEY.
    VALUES
        ('metric', ARRAY['metric_name', 'component', 'tags'], ARRAY['metric_name'],
         ARRAY['component', 'metric_name', 'metric_type', 'unit'],
         ARRAY['avg', 'min', 'max', 'sum', 'count', 'last', 'p50', 'p90', 'p95', 'p99', 'delta', 'rate']),
        ('task', ARRAY['task_type', 'worker_id'], ARRAY[]::text[],
         ARRAY['task_type', 'worker_id'],
         ARRAY['duration_avg', 'duration_max', 'duration_p50', 'duration_p90', 'duration_p95', 'duration_p99',
               'duration_percentile',
               'failure_ratio', 'count', 'throughput', 'running', 'oldest_running_seconds']),
        ('error', ARRAY['component', 'error_type', 'severity'], ARRAY[]::text[],
         ARRAY['component', 'error_type', 'severity'],
         ARRAY['count', 'per_minute', 'per_hour']),
        ('queue', ARRAY['queue_name'], ARRAY[]::text[],
         ARRAY['queue_name'],
         ARRAY['pending', 'processing', 'oldest_pending_seconds', 'growth', 'completed', 'failed']),
        ('health', ARRAY['component_type', 'component_name', 'status'], ARRAY[]::text[],
         ARRAY['component_type', 'component_name', 'status'],
         ARRAY['status_seconds', 'unhealthy', 'response_time_ms', 'report_age_seconds', 'consecutive_failures']),
        ('pgvigil', ARRAY[]::text[], ARRAY[]::text[],
         ARRAY['job', 'receiver', 'integration'],
         ARRAY['evaluation_age_seconds', 'failed_job_runs', 'disabled_integrations', 'always']);
$$;

COMMENT ON FUNCTION monitoring_internal.rule_sources() IS 'Internal: the sources a rule can read: their filters, the labels they can group by, and their aggregates.';

CREATE FUNCTION monitoring_internal.run_builtin_check(p_check_function text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: what a check_*_alerts() function does since the checks became
-- rules: evaluate its rules now (waiting for the checks' lock, as the
-- checks always did). As in the original design, the alerts whose
-- condition cleared stay open until resolve_resolved_alerts() (or the next
-- evaluate_alert_rules()) resolves them. Its alert types are marked
-- checked, so that an alert the old check raised before the upgrade, and
-- no rule took over, resolves the same way. A rule disabled in the config
-- is not evaluated. Returns the number of its rules' groups firing.
DECLARE
    v_rules text[] := (SELECT b.rule_names FROM monitoring_internal.builtin_check_rules() AS b
                       WHERE b.check_function = p_check_function);
    v_firing integer;
    v_rule text;
BEGIN
    PERFORM monitoring_internal.config_value('{alert_thresholds}');  -- PV301 without a config
    PERFORM monitoring_internal.lock_checks();
    SELECT coalesce(sum(e.firing), 0) INTO v_firing
    FROM monitoring_internal.evaluate_rules(
             coalesce(nullif(current_setting('pgvigil.check_source', true), ''), 'manual'), v_rules,
             p_resolve => false) AS e;
    FOREACH v_rule IN ARRAY v_rules LOOP
        PERFORM monitoring_internal.finish_check(v_rule);
    END LOOP;
    RETURN v_firing;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.run_builtin_check(p_check_function text) IS 'Internal: evaluates the shipped rules of one check_*_alerts() function (builtin_check_rules); returns their groups firing.';

CREATE FUNCTION monitoring_internal.settings_problems(p_document jsonb) RETURNS SETOF text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: every problem of a config document's settings at once (its
-- alert_rules are alert_rule_problems()'s):
-- what the functions read must be there, numeric where numbers are read,
-- and each threshold set ordered low <= medium <= high <= critical. The
-- shipped JSON Schema checks the same shape for editors and the CLI; this
-- is the guard for documents applied straight from SQL.
DECLARE
    v_key text;
    v_severity text;
    v_value jsonb;
    v_previous double precision;
BEGIN
    IF p_document IS NULL OR jsonb_typeof(p_document) <> 'object' THEN
        RETURN NEXT 'the config must be a JSON object';
        RETURN;
    END IF;

    FOREACH v_key IN ARRAY ARRAY['error_rates', 'processing_times', 'queue_backlog',
                                 'task_failure_rates', 'unhealthy_seconds'] LOOP
        v_previous := NULL;
        FOREACH v_severity IN ARRAY ARRAY['low', 'medium', 'high', 'critical'] LOOP
            v_value := p_document #> ARRAY['alert_thresholds', v_key, v_severity];
            IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' THEN
                RETURN NEXT format('alert_thresholds.%s.%s must be a number', v_key, v_severity);
            ELSIF v_value::text::double precision < 0 THEN
                RETURN NEXT format('alert_thresholds.%s.%s must be >= 0', v_key, v_severity);
            ELSIF v_previous IS NOT NULL AND v_value::text::double precision < v_previous THEN
                RETURN NEXT format('alert_thresholds.%s.%s must be >= the threshold of the severity below it',
                                   v_key, v_severity);
            ELSE
                v_previous := v_value::text::double precision;
            END IF;
        END LOOP;
    END LOOP;
    IF (p_document #>> '{alert_thresholds,task_failure_rates,critical}') ~ '^[0-9.eE+-]+$'
       AND (p_document #>> '{alert_thresholds,task_failure_rates,critical}')::double precision > 1 THEN
        RETURN NEXT 'alert_thresholds.task_failure_rates are ratios from 0 to 1';
    END IF;

    FOREACH v_key IN ARRAY ARRAY['alert_settings.error_rate_window_minutes',
                                 'alert_settings.processing_window_minutes',
                                 'alert_settings.processing_min_tasks',
                                 'alert_settings.queue_sample_max_age_minutes',
                                 'retention.processing_metrics_days',
                                 'retention.performance_monitoring_days',
                                 'retention.queue_monitoring_days',
                                 'retention.system_health_history_days',
                                 'retention.resolved_alerts_days',
                                 'retention.cron_job_run_details_days',
                                 'retention.performance_rollup_minute_days',
                                 'retention.performance_rollup_hour_days',
                                 'retention.task_rollup_minute_days',
                                 'retention.task_rollup_hour_days',
                                 'rollups.max_hours_per_run',
                                 'partitioning.premake_days',
                                 'ingest.max_event_age_hours',
                                 'ingest.batch_ids_hours'] LOOP
        v_value := p_document #> string_to_array(v_key, '.');
        IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' OR v_value::text::double precision <= 0 THEN
            RETURN NEXT format('%s must be a number > 0', v_key);
        END IF;
    END LOOP;

    v_value := p_document #> '{alert_settings,processing_percentile}';
    IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number'
       OR v_value::text::double precision <= 0 OR v_value::text::double precision > 1 THEN
        RETURN NEXT 'alert_settings.processing_percentile must be a number in (0, 1], e.g. 0.95';
    END IF;
    IF monitoring_internal.severity_rank(p_document #>> '{alert_settings,degraded_max_severity}') IS NULL THEN
        RETURN NEXT 'alert_settings.degraded_max_severity must be one of low, medium, high, critical';
    END IF;
    v_value := p_document #> '{ingest,max_future_skew_seconds}';
    IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' OR v_value::text::double precision < 0 THEN
        RETURN NEXT 'ingest.max_future_skew_seconds must be a number >= 0';
    END IF;

    v_value := p_document #> '{rollups,lag_seconds}';
    IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' OR v_value::text::double precision < 0 THEN
        RETURN NEXT 'rollups.lag_seconds must be a number >= 0';
    END IF;
    -- A late event (up to ingest.max_event_age_hours old) is re-aggregated
    -- from the raw rows of its minute, and its hour from the minute rollups:
    -- both must still be there.
    IF jsonb_typeof(p_document #> '{ingest,max_event_age_hours}') = 'number' THEN
        FOREACH v_key IN ARRAY ARRAY['performance_monitoring_days', 'processing_metrics_days',
                                     'performance_rollup_minute_days', 'task_rollup_minute_days'] LOOP
            v_value := p_document #> ARRAY['retention', v_key];
            IF jsonb_typeof(v_value) = 'number'
               AND v_value::text::double precision * 24
                   < (p_document #>> '{ingest,max_event_age_hours}')::double precision THEN
                RETURN NEXT format('retention.%s (%s days) must cover ingest.max_event_age_hours (%s): '
                                   'late events are re-aggregated from it',
                                   v_key, v_value, p_document #> '{ingest,max_event_age_hours}');
            END IF;
        END LOOP;
    END IF;

    FOREACH v_severity IN ARRAY ARRAY['low', 'medium', 'high', 'critical'] LOOP
        v_value := p_document #> ARRAY['retention', 'error_tracking_days', v_severity];
        IF v_value IS NULL OR jsonb_typeof(v_value) <> 'number' OR v_value::text::double precision <= 0 THEN
            RETURN NEXT format('retention.error_tracking_days.%s must be a number > 0', v_severity);
        END IF;
    END LOOP;

    FOREACH v_key IN ARRAY ARRAY['monitoring_checks', 'rollups', 'partition_maintenance', 'cleanup',
                                 'purge_cron_history'] LOOP
        v_value := p_document #> ARRAY['schedules', v_key];
        IF v_value IS NULL OR jsonb_typeof(v_value) <> 'string' OR btrim(v_value #>> '{}') = '' THEN
            RETURN NEXT format('schedules.%s must be a cron expression such as "* * * * *"', v_key);
        END IF;
    END LOOP;
    -- Optional (configs written before 0.2 have none): the checks' schedule.
    v_value := p_document #> '{schedules,watchdog}';
    IF v_value IS NOT NULL AND (jsonb_typeof(v_value) <> 'string' OR btrim(v_value #>> '{}') = '') THEN
        RETURN NEXT 'schedules.watchdog must be a cron expression such as "* * * * *"';
    END IF;
    v_value := p_document #> '{schedules,monitoring_checks_interval_seconds}';
    IF v_value IS NOT NULL AND jsonb_typeof(v_value) <> 'null'
       AND (jsonb_typeof(v_value) <> 'number' OR v_value::text !~ '^[0-9]+$'
            OR v_value::text::integer NOT BETWEEN 1 AND 59) THEN
        RETURN NEXT 'schedules.monitoring_checks_interval_seconds must be null or a whole number from 1 to 59';
    END IF;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.settings_problems(p_document jsonb) IS 'Internal: every problem of a config document outside its alert_rules (no rows when they are valid).';

CREATE FUNCTION monitoring_internal.severity_rank(p_severity text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    -- Internal: orders severities, low = 1 ... critical = 4, unknown = NULL.
    SELECT CASE p_severity
        WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 WHEN 'critical' THEN 4
    END;
$$;

COMMENT ON FUNCTION monitoring_internal.severity_rank(p_severity text) IS 'Internal: 1 for low up to 4 for critical; NULL for anything else.';

CREATE FUNCTION monitoring_internal.severity_reached(p_value double precision, p_thresholds jsonb, p_comparison text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    -- Internal: the highest severity whose threshold p_value passes in the
    -- rule's comparison, or NULL. One CASE, no FROM and no SET: the planner
    -- inlines it into the evaluation's query (it runs once per group of
    -- every rule).
    SELECT CASE
        WHEN p_comparison IN ('>=', '>') THEN
            CASE WHEN p_value > (p_thresholds ->> 'critical')::double precision
                      OR (p_comparison = '>=' AND p_value = (p_thresholds ->> 'critical')::double precision) THEN 'critical'
                 WHEN p_value > (p_thresholds ->> 'high')::double precision
                      OR (p_comparison = '>=' AND p_value = (p_thresholds ->> 'high')::double precision) THEN 'high'
                 WHEN p_value > (p_thresholds ->> 'medium')::double precision
                      OR (p_comparison = '>=' AND p_value = (p_thresholds ->> 'medium')::double precision) THEN 'medium'
                 WHEN p_value > (p_thresholds ->> 'low')::double precision
                      OR (p_comparison = '>=' AND p_value = (p_thresholds ->> 'low')::double precision) THEN 'low'
            END
        ELSE
            CASE WHEN p_value < (p_thresholds ->> 'critical')::double precision
                      OR (p_comparison = '<=' AND p_value = (p_thresholds ->> 'critical')::double precision) THEN 'critical'
                 WHEN p_value < (p_thresholds ->> 'high')::double precision
                      OR (p_comparison = '<=' AND p_value = (p_thresholds ->> 'high')::double precision) THEN 'high'
                 WHEN p_value < (p_thresholds ->> 'medium')::double precision
                      OR (p_comparison = '<=' AND p_value = (p_thresholds ->> 'medium')::double precision) THEN 'medium'
                 WHEN p_value < (p_thresholds ->> 'low')::double precision
                      OR (p_comparison = '<=' AND p_value = (p_thresholds ->> 'low')::double precision) THEN 'low'
            END
    END;
$$;

COMMENT ON FUNCTION monitoring_internal.severity_reached(p_value double precision, p_thresholds jsonb, p_comparison text) IS 'Internal: the severity a value reaches under a rule''s thresholds and comparison (NULL: none).';

CREATE FUNCTION monitoring_internal.silence_duration(p_duration text) RETURNS interval
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: a silence's duration as amtool writes it ("30s", "2h",
-- "1h30m", "1d"), or PV604.
DECLARE
    v_seconds double precision := monitoring_internal.parse_duration(to_jsonb(p_duration));
BEGIN
    IF v_seconds IS NULL OR v_seconds <= 0 OR jsonb_typeof(to_jsonb(p_duration)) <> 'string' THEN
        RAISE EXCEPTION 'invalid silence: % is not a duration such as 30s, 2h or 1d', coalesce(to_jsonb(p_duration)::text, 'null')
            USING ERRCODE = 'PV604', HINT = monitoring_internal.silence_error_hint('PV604');
    END IF;
    RETURN make_interval(secs => v_seconds);
END;
$$;

COMMENT ON FUNCTION monitoring_internal.silence_duration(p_duration text) IS 'Internal: an amtool duration ("2h", "1h30m") as an interval; PV604 when malformed.';

CREATE FUNCTION monitoring_internal.silence_error_hint(p_code text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the HINT of each silence error, one home for the wording.
    SELECT CASE p_code
        WHEN 'PV602' THEN 'Matchers are written as amtool writes them: alertname="DiskFull", service=~"api|web", env!="dev".'
        WHEN 'PV604' THEN 'A silence needs matchers (one that does not match the empty string), an end after its start and in the future, a creator and a comment: create_silence(ARRAY[''alertname="DiskFull"''], ''disk swap, TICKET-1'', p_duration => ''2h'').'
        WHEN 'PV609' THEN 'List silences with SELECT * FROM monitoring.v_silences (or pgvigil silence list).'
    END;
$$;

COMMENT ON FUNCTION monitoring_internal.silence_error_hint(p_code text) IS 'Internal: the HINT for the silence errors PV602, PV604 and PV609.';

CREATE FUNCTION monitoring_internal.silence_problems(p_matchers text[], p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_created_by text, p_comment text) RETURNS TABLE(code text, problem text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: every problem of a silence, as Alertmanager refuses them:
    -- PV602 a matcher that does not parse or a regex that does not compile;
    -- PV604 no matchers, matchers that all match the empty string (it
    -- would silence everything), an end not after the start or already
    -- past, no creator, no comment. NULL matchers are not checked (a
    -- change that keeps them).
    SELECT 'PV602', format('%s is not a matcher such as alertname="DiskFull" or service=~"api|web"', to_jsonb(m))
    FROM unnest(coalesce(p_matchers, '{}'::text[])) AS m
    WHERE m IS NULL OR monitoring_internal.parse_matcher(m) IS NULL
    UNION ALL
    SELECT 'PV602', format('the regular expression %s of %s does not compile: %s', to_jsonb(p ->> 'value'), p ->> 'name',
                           monitoring_internal.regex_problem(p ->> 'value'))
    FROM unnest(coalesce(p_matchers, '{}'::text[])) AS m, LATERAL (SELECT monitoring_internal.parse_matcher(m) AS p) AS x
    WHERE p ->> 'op' IN ('=~', '!~') AND monitoring_internal.regex_problem(p ->> 'value') IS NOT NULL
    UNION ALL
    SELECT 'PV604', 'a silence needs at least one matcher'::text
    WHERE cardinality(p_matchers) = 0
    UNION ALL
    SELECT 'PV604', 'at least one matcher must not match the empty string: these would silence every alert'::text
    WHERE cardinality(coalesce(p_matchers, '{}'::text[])) > 0
      AND NOT EXISTS (SELECT FROM unnest(p_matchers) AS m
                      WHERE monitoring_internal.parse_matcher(m) IS NULL
                         OR (monitoring_internal.parse_matcher(m) ->> 'op' IN ('=~', '!~')
                             AND monitoring_internal.regex_problem(monitoring_internal.parse_matcher(m) ->> 'value') IS NOT NULL)
                         OR NOT monitoring_internal.matchers_match(jsonb_build_array(monitoring_internal.parse_matcher(m)), '{}'))
    UNION ALL
    SELECT 'PV604', 'a silence needs an end (ends_at or a duration)'::text WHERE p_ends_at IS NULL
    UNION ALL
    SELECT 'PV604', format('a silence must end after it starts: ends %s, starts %s', p_ends_at, p_starts_at)
    WHERE p_ends_at <= p_starts_at
    UNION ALL
    SELECT 'PV604', format('a silence cannot end in the past (%s)', p_ends_at)
    WHERE p_ends_at <= now() AND p_ends_at > p_starts_at
    UNION ALL
    SELECT 'PV604', 'a silence needs its creator (created_by)'::text
    WHERE p_created_by IS NULL OR btrim(p_created_by) = '' OR length(p_created_by) > 200
    UNION ALL
    SELECT 'PV604', 'a silence needs a comment: why, and for how long (a ticket, a change)'::text
    WHERE p_comment IS NULL OR btrim(p_comment) = '' OR length(p_comment) > 2000;
$$;

COMMENT ON FUNCTION monitoring_internal.silence_problems(p_matchers text[], p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_created_by text, p_comment text) IS 'Internal: every problem of a silence (PV602 matchers, PV604 the rest), as Alertmanager refuses them.';

CREATE FUNCTION monitoring_internal.source_values(p_kind text, p_filter jsonb, p_aggregate text, p_window_seconds double precision, p_group_by text[], p_at timestamp with time zone) RETURNS TABLE(group_labels jsonb, value double precision, samples bigint, details jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: what a rule measures, per group, at p_at: the aggregate of its
-- source over (p_at - window, p_at], grouped by the labels of p_group_by.
-- Every filter is a parameter of a static query: a rule is data, never SQL.
-- A group-by label the row does not have (a NULL worker, a missing tag) is
-- left out of the group's labels, as Prometheus drops empty labels.
-- samples is what the value was computed from (rows, tasks, samples);
-- details, what else the source knows of the group (counts, the oldest
-- tasks, a component's status and failure reason), for the alert's details
-- and {{ $details.NAME }} in templates. Metrics have none: their rules are
-- the many, and a sample has nothing more to tell than its value.
DECLARE
    c_origin CONSTANT timestamptz := TIMESTAMPTZ '2000-01-01 00:00:00+00';
    v_from timestamptz := p_at - make_interval(secs => p_window_seconds);
    v_tags text[] := ARRAY(SELECT substr(g, 6) FROM unnest(p_group_by) AS g WHERE g LIKE 'tags.%');
    v_fraction double precision;
    v_rollups_from timestamptz;
    v_rollups_to timestamptz;
BEGIN
    IF p_kind = 'metric' AND p_window_seconds >= 3600 AND p_aggregate IN ('avg', 'min', 'max', 'sum', 'count')
       AND v_tags = '{}' AND p_filter -> 'tags' IS NULL THEN
        -- A long window, as the views read it: the whole minutes the minute
        -- rollups hold exactly (below the rollup boundary), the raw samples
        -- around them (the window's first partial minute, and from the
        -- boundary on). An hour of 1,000 series at 15 s is 240,000 samples
        -- but 60,000 rollup rows; a day, 5.8 million against 1.4 million.
        -- Tags are not in the rollups: a rule on tags reads the samples.
        v_rollups_from := date_bin('1 minute', v_from, c_origin)
                          + CASE WHEN date_bin('1 minute', v_from, c_origin) = v_from THEN interval '0' ELSE interval '1 minute' END;
        v_rollups_to := greatest(v_rollups_from, least(date_bin('1 minute', monitoring.rollup_boundary('performance_monitoring'), c_origin),
                                                       date_bin('1 minute', p_at, c_origin)));
        RETURN QUERY
        WITH parts AS (
            SELECT r.component, r.metric_name, r.metric_type, r.unit,
                   r.sample_count AS n, r.value_sum AS total, r.value_min AS low, r.value_max AS high
            FROM monitoring.performance_rollup_minute AS r
            WHERE r.metric_name = p_filter ->> 'metric_name'
              AND r.bucket >= v_rollups_from AND r.bucket < v_rollups_to
              AND (p_filter ->> 'component' IS NULL OR r.component = p_filter ->> 'component')
            UNION ALL
            SELECT p.component, p.metric_name, p.metric_type, p.unit, 1, p.metric_value, p.metric_value, p.metric_value
            FROM monitoring.performance_monitoring AS p
            WHERE p.metric_name = p_filter ->> 'metric_name'
              AND p.recorded_at > v_from AND p.recorded_at <= p_at
              AND (p.recorded_at < v_rollups_from OR p.recorded_at >= v_rollups_to)
              AND (p_filter ->> 'component' IS NULL OR p.component = p_filter ->> 'component')
        ), grouped AS (
            SELECT CASE WHEN 'component' = ANY (p_group_by) THEN x.component END AS component,
                   CASE WHEN 'metric_name' = ANY (p_group_by) THEN x.metric_name END AS metric_name,
                   CASE WHEN 'metric_type' = ANY (p_group_by) THEN x.metric_type END AS metric_type,
                   CASE WHEN 'unit' = ANY (p_group_by) THEN x.unit END AS unit,
                   sum(x.n) AS n, sum(x.total) AS total, min(x.low) AS low, max(x.high) AS high
            FROM parts AS x
            GROUP BY 1, 2, 3, 4
        )
        SELECT jsonb_strip_nulls(jsonb_build_object('component', g.component, 'metric_name', g.metric_name,
                                                    'metric_type', g.metric_type, 'unit', g.unit)),
               CASE p_aggregate WHEN 'avg' THEN g.total / g.n WHEN 'min' THEN g.low WHEN 'max' THEN g.high
                                WHEN 'sum' THEN g.total ELSE g.n::double precision END,
               g.n::bigint, NULL::jsonb
        FROM grouped AS g;

    ELSIF p_kind = 'metric' THEN
        -- Grouped on the columns (cheap), labels built once per group; each
        -- family of aggregates in its own query, so that an average does not
        -- pay for a percentile's sort.
        v_fraction := CASE p_aggregate WHEN 'p50' THEN 0.5 WHEN 'p90' THEN 0.9 WHEN 'p95' THEN 0.95 WHEN 'p99' THEN 0.99 END;
        RETURN QUERY
        WITH samples AS (
            SELECT CASE WHEN 'component' = ANY (p_group_by) THEN p.component END AS component,
                   CASE WHEN 'metric_name' = ANY (p_group_by) THEN p.metric_name END AS metric_name,
                   CASE WHEN 'metric_type' = ANY (p_group_by) THEN p.metric_type END AS metric_type,
                   CASE WHEN 'unit' = ANY (p_group_by) THEN p.unit END AS unit,
                   CASE WHEN v_tags = '{}' THEN NULL::jsonb
                        ELSE (SELECT jsonb_object_agg(k, p.tags ->> k) FROM unnest(v_tags) AS k WHERE p.tags ? k)
                   END AS tag_labels,
                   p.metric_value AS v, p.recorded_at AS t
            FROM monitoring.performance_monitoring AS p
            WHERE p.metric_name = p_filter ->> 'metric_name'
              AND p.recorded_at > v_from AND p.recorded_at <= p_at
              AND (p_filter ->> 'component' IS NULL OR p.component = p_filter ->> 'component')
              AND (p_filter -> 'tags' IS NULL OR p.tags @> (p_filter -> 'tags'))
        ), grouped AS (
            SELECT s.component, s.metric_name, s.metric_type, s.unit, s.tag_labels,
                   CASE p_aggregate
                       WHEN 'avg' THEN avg(s.v) WHEN 'min' THEN min(s.v) WHEN 'max' THEN max(s.v)
                       WHEN 'sum' THEN sum(s.v) ELSE count(*)::double precision END AS value,
                   count(*) AS samples
            FROM samples AS s
            WHERE p_aggregate IN ('avg', 'min', 'max', 'sum', 'count')
            GROUP BY 1, 2, 3, 4, 5
            UNION ALL
            SELECT s.component, s.metric_name, s.metric_type, s.unit, s.tag_labels,
                   percentile_cont(v_fraction) WITHIN GROUP (ORDER BY s.v), count(*)
            FROM samples AS s
            WHERE v_fraction IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5
            UNION ALL
            SELECT s.component, s.metric_name, s.metric_type, s.unit, s.tag_labels,
                   CASE p_aggregate
                       WHEN 'last' THEN (array_agg(s.v ORDER BY s.t DESC))[1]
                       WHEN 'delta' THEN (array_agg(s.v ORDER BY s.t DESC))[1] - (array_agg(s.v ORDER BY s.t))[1]
                       ELSE ((array_agg(s.v ORDER BY s.t DESC))[1] - (array_agg(s.v ORDER BY s.t))[1])
                            / nullif(extract(epoch FROM max(s.t) - min(s.t))::double precision, 0) END,
                   count(*)
            FROM samples AS s
            WHERE p_aggregate IN ('last', 'delta', 'rate')
            GROUP BY 1, 2, 3, 4, 5
            HAVING p_aggregate <> 'rate' OR count(*) > 1
        )
        SELECT jsonb_strip_nulls(jsonb_build_object('component', g.component, 'metric_name', g.metric_name,
                                                    'metric_type', g.metric_type, 'unit', g.unit))
               || coalesce(g.tag_labels, '{}'),
               g.value, g.samples, NULL::jsonb
        FROM grouped AS g;

    ELSIF p_kind = 'task' AND p_aggregate IN ('running', 'oldest_running_seconds') THEN
        -- Tasks still running now: the window does not apply.
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'task_type', CASE WHEN 'task_type' = ANY (p_group_by) THEN r.task_type END,
                   'worker_id', CASE WHEN 'worker_id' = ANY (p_group_by) THEN r.worker_id END)),
               CASE p_aggregate WHEN 'running' THEN count(*)::double precision
                    ELSE greatest(extract(epoch FROM p_at - min(r.start_time))::double precision, 0) END,
               count(*),
               jsonb_build_object('running_count', count(*),
                                  'oldest_age_seconds', round(greatest(extract(epoch FROM p_at - min(r.start_time)), 0)),
                                  'oldest_task_ids', to_jsonb((array_agg(r.task_id ORDER BY r.start_time))[1:5]))
        FROM monitoring_internal.running_tasks AS r
        WHERE (p_filter ->> 'task_type' IS NULL OR r.task_type = p_filter ->> 'task_type')
          AND (p_filter ->> 'worker_id' IS NULL OR r.worker_id = p_filter ->> 'worker_id')
        GROUP BY 1;

    ELSIF p_kind = 'task' THEN
        -- Tasks that ended in the window (end_time in it; start_time bounds
        -- the partitions read: no task of the window started before the
        -- window minus the longest duration we keep a task running, 7 days).
        v_fraction := CASE p_aggregate WHEN 'duration_p50' THEN 0.5 WHEN 'duration_p90' THEN 0.9
                                       WHEN 'duration_p95' THEN 0.95 WHEN 'duration_p99' THEN 0.99
                                       WHEN 'duration_percentile' THEN (p_filter ->> 'quantile')::double precision END;
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'task_type', CASE WHEN 'task_type' = ANY (p_group_by) THEN m.task_type END,
                   'worker_id', CASE WHEN 'worker_id' = ANY (p_group_by) THEN m.worker_id END)),
               CASE p_aggregate
                   WHEN 'duration_avg' THEN avg(m.duration_seconds)
                   WHEN 'duration_max' THEN max(m.duration_seconds)
                   WHEN 'failure_ratio' THEN (count(*) FILTER (WHERE m.status IN ('failed', 'timeout')))::double precision / count(*)
                   WHEN 'count' THEN count(*)::double precision
                   WHEN 'throughput' THEN count(*) * 60.0 / p_window_seconds
                   ELSE percentile_cont(coalesce(v_fraction, 0.5)) WITHIN GROUP (ORDER BY m.duration_seconds)
               END,
               count(*),
               jsonb_build_object('ended_count', count(*),
                                  'failed_count', count(*) FILTER (WHERE m.status IN ('failed', 'timeout')),
                                  'max_duration_seconds', max(m.duration_seconds),
                                  'window_minutes', p_window_seconds / 60)
               || CASE WHEN v_fraction IS NULL THEN '{}'::jsonb
                       ELSE jsonb_build_object('percentile', v_fraction, 'percentile_label',
                                               'p' || trim_scale(round((v_fraction * 100)::numeric, 1))::text) END
        FROM monitoring.processing_metrics AS m
        WHERE m.end_time > v_from AND m.end_time <= p_at
          AND m.start_time > v_from - interval '7 days' AND m.start_time <= p_at
          AND m.status <> 'running'
          AND (p_filter ->> 'task_type' IS NULL OR m.task_type = p_filter ->> 'task_type')
          AND (p_filter ->> 'worker_id' IS NULL OR m.worker_id = p_filter ->> 'worker_id')
        GROUP BY 1;

    ELSIF p_kind = 'error' THEN
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'component', CASE WHEN 'component' = ANY (p_group_by) THEN e.component END,
                   'error_type', CASE WHEN 'error_type' = ANY (p_group_by) THEN e.error_type END,
                   'severity', CASE WHEN 'severity' = ANY (p_group_by) THEN e.severity END)),
               CASE p_aggregate WHEN 'per_minute' THEN count(*) * 60.0 / p_window_seconds
                                WHEN 'per_hour' THEN count(*) * 3600.0 / p_window_seconds
                                ELSE count(*)::double precision END,
               count(*),
               jsonb_build_object('error_count', count(*), 'window_minutes', p_window_seconds / 60,
                                  'high_or_critical_count', count(*) FILTER (WHERE e.severity IN ('high', 'critical')),
                                  'last_error_at', max(e.occurred_at))
        FROM monitoring.error_tracking AS e
        WHERE e.occurred_at > v_from AND e.occurred_at <= p_at
          AND (p_filter ->> 'component' IS NULL OR e.component = p_filter ->> 'component')
          AND (p_filter ->> 'error_type' IS NULL OR e.error_type = p_filter ->> 'error_type')
          AND (p_filter ->> 'severity' IS NULL OR e.severity = p_filter ->> 'severity')
        GROUP BY 1;

    ELSIF p_kind = 'queue' THEN
        -- The latest sample in the window per queue (growth: latest pending
        -- minus the window's first; completed and failed: summed).
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'queue_name', CASE WHEN 'queue_name' = ANY (p_group_by) THEN q.queue_name END)),
               CASE p_aggregate
                   WHEN 'pending' THEN sum(q.pending_count) FILTER (WHERE q.latest)::double precision
                   WHEN 'processing' THEN sum(q.processing_count) FILTER (WHERE q.latest)::double precision
                   WHEN 'oldest_pending_seconds' THEN max(q.oldest_pending_age_seconds) FILTER (WHERE q.latest)
                   WHEN 'growth' THEN (sum(q.pending_count) FILTER (WHERE q.latest)
                                       - sum(q.pending_count) FILTER (WHERE q.earliest))::double precision
                   WHEN 'completed' THEN sum(q.completed_count)::double precision
                   ELSE sum(q.failed_count)::double precision
               END,
               count(*),
               jsonb_build_object('pending_count', sum(q.pending_count) FILTER (WHERE q.latest),
                                  'processing_count', sum(q.processing_count) FILTER (WHERE q.latest),
                                  'oldest_pending_age_seconds', max(q.oldest_pending_age_seconds) FILTER (WHERE q.latest),
                                  'sampled_at', max(q.recorded_at))
        FROM (SELECT s.*,
                     s.recorded_at = max(s.recorded_at) OVER (PARTITION BY s.queue_name) AS latest,
                     s.recorded_at = min(s.recorded_at) OVER (PARTITION BY s.queue_name) AS earliest
              FROM monitoring.queue_monitoring AS s
              WHERE s.recorded_at > v_from AND s.recorded_at <= p_at
                AND (p_filter ->> 'queue_name' IS NULL OR s.queue_name = p_filter ->> 'queue_name')) AS q
        GROUP BY 1;

    ELSIF p_kind = 'health' THEN
        -- Each component's current status: the window does not apply.
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'component_type', CASE WHEN 'component_type' = ANY (p_group_by) THEN h.component_type END,
                   'component_name', CASE WHEN 'component_name' = ANY (p_group_by) THEN h.component_name END,
                   'status', CASE WHEN 'status' = ANY (p_group_by) THEN h.status END)),
               CASE p_aggregate
                   WHEN 'status_seconds' THEN max(CASE WHEN h.status <> 'healthy'
                       THEN greatest(extract(epoch FROM p_at - h.status_since)::double precision, 0) ELSE 0 END)
                   WHEN 'unhealthy' THEN max(CASE h.status WHEN 'unhealthy' THEN 1 ELSE 0 END)::double precision
                   WHEN 'response_time_ms' THEN max(h.response_time_ms)::double precision
                   WHEN 'report_age_seconds' THEN max(greatest(extract(epoch FROM p_at - h.last_check_at)::double precision, 0))
                   ELSE max(h.consecutive_failures)::double precision
               END,
               count(*),
               -- The worst component's report (the longest out of health).
               (array_agg(jsonb_build_object(
                    'status', h.status, 'status_since', h.status_since, 'failure_reason', h.failure_reason,
                    'seconds_in_status', round(greatest(extract(epoch FROM p_at - h.status_since), 0)),
                    'reason', coalesce(h.failure_reason, 'no failure reason reported'),
                    'consecutive_failures', h.consecutive_failures, 'response_time_ms', h.response_time_ms,
                    'last_check_at', h.last_check_at)
                ORDER BY h.status = 'healthy', h.status_since))[1]
        FROM monitoring.system_health AS h
        WHERE (p_filter ->> 'component_type' IS NULL OR h.component_type = p_filter ->> 'component_type')
          AND (p_filter ->> 'component_name' IS NULL OR h.component_name = p_filter ->> 'component_name')
          -- status: one status, or a list of them.
          AND (p_filter -> 'status' IS NULL
               OR h.status = ANY (ARRAY(SELECT jsonb_array_elements_text(
                      CASE jsonb_typeof(p_filter -> 'status') WHEN 'array' THEN p_filter -> 'status'
                           ELSE jsonb_build_array(p_filter -> 'status') END))))
        GROUP BY 1;

    ELSIF p_kind = 'pgvigil' AND p_aggregate = 'evaluation_age_seconds' THEN
        -- Since the last whole evaluation of the rules (worker, pg_cron or
        -- by hand); no data before the first one.
        RETURN QUERY
        SELECT '{}'::jsonb, greatest(extract(epoch FROM p_at - c.last_run_at)::double precision, 0), 1::bigint,
               jsonb_build_object('last_run_at', c.last_run_at, 'last_source', c.last_source,
                                  'seconds_since', round(greatest(extract(epoch FROM p_at - c.last_run_at), 0)))
        FROM monitoring_internal.check_runs AS c
        WHERE c.check_name = 'alert_rules';

    ELSIF p_kind = 'pgvigil' AND p_aggregate = 'failed_job_runs' THEN
        -- pgvigil's pg_cron jobs that failed in the window, per job (pg_cron
        -- keeps the runs in cron.job_run_details; none where it is absent).
        -- Static text run with EXECUTE only so that the function compiles
        -- where pg_cron is not installed.
        IF to_regclass('cron.job_run_details') IS NOT NULL AND to_regclass('cron.job') IS NOT NULL THEN
            RETURN QUERY EXECUTE
                $q$SELECT CASE WHEN 'job' = ANY ($3) THEN jsonb_build_object('job', j.jobname) ELSE '{}'::jsonb END,
                          count(*)::double precision, count(*),
                          jsonb_build_object('failed_runs', count(*), 'last_failure_at', max(d.start_time),
                                             'last_message', left((array_agg(d.return_message ORDER BY d.start_time DESC))[1], 500))
                   FROM cron.job_run_details AS d JOIN cron.job AS j USING (jobid)
                   WHERE j.jobname LIKE 'pgvigil-%' AND d.status = 'failed'
                     AND d.start_time > $1 AND d.start_time <= $2
                   GROUP BY 1$q$
                USING v_from, p_at, p_group_by;
        END IF;

    ELSIF p_kind = 'pgvigil' AND p_aggregate = 'disabled_integrations' THEN
        -- Receiver integrations disabled after a 410 Gone, per receiver and
        -- integration as grouped.
        RETURN QUERY
        SELECT jsonb_strip_nulls(jsonb_build_object(
                   'receiver', CASE WHEN 'receiver' = ANY (p_group_by) THEN d.receiver END,
                   'integration', CASE WHEN 'integration' = ANY (p_group_by) THEN d.integration END)),
               count(*)::double precision, count(*),
               jsonb_build_object('disabled_at', min(d.disabled_at),
                                  'integrations', string_agg(format('%s[%s]', d.integration, d.integration_index), ', '),
                                  'last_error', (array_agg(d.error ORDER BY d.disabled_at DESC))[1])
        FROM monitoring.disabled_integrations AS d
        GROUP BY 1;

    ELSIF p_kind = 'pgvigil' THEN
        -- always: a condition that always holds (the Watchdog alert).
        RETURN QUERY SELECT '{}'::jsonb, 1::double precision, 1::bigint, '{}'::jsonb;
    END IF;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.source_values(p_kind text, p_filter jsonb, p_aggregate text, p_window_seconds double precision, p_group_by text[], p_at timestamp with time zone) IS 'Internal: a rule''s aggregate of its source over its window ending at p_at, one row per group (labels, value, samples, details).';

CREATE FUNCTION monitoring_internal.step_escalations() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: moves every escalation that is due, with its policy snapshot,
-- and writes what it pages to the outbox (reason escalation), in the same
-- transaction. Taken with SKIP LOCKED: two workers never page twice.
-- - active and due: page the next tier's receiver, then wait the tier's
--   delay for an acknowledgement before the next tier; after the last,
--   start over from the first, repeat times, then stop (exhausted);
-- - acknowledged, with an ack_timeout that passed while the alert still
--   fires: the acknowledgement expires, the alert is active again and the
--   escalation starts over (an acknowledgement stops it otherwise);
-- - the alert resolved: the escalation ends, and every receiver it paged
--   is told (to integrations that send resolved alerts);
-- - the alert silenced or inhibited: nothing is paged while it is, and
--   the escalation goes on from where it was once it is not.
-- Returns the outbox rows written.
DECLARE
    v_esc monitoring.escalations;
    v_alert monitoring.alerts;
    v_tiers jsonb;
    v_tier jsonb;
    v_group monitoring.notification_groups;
    v_receiver text;
    v_written integer := 0;
BEGIN
    FOR v_esc IN
        SELECT e.* FROM monitoring.escalations AS e
        WHERE e.status IN ('active', 'acknowledged', 'exhausted')
          AND (e.next_at <= now()
               OR EXISTS (SELECT FROM monitoring.alerts AS a WHERE a.alert_id = e.alert_id AND a.resolved_at IS NOT NULL))
        ORDER BY e.next_at NULLS FIRST
        FOR UPDATE SKIP LOCKED
    LOOP
        SELECT * INTO v_alert FROM monitoring.alerts AS a WHERE a.alert_id = v_esc.alert_id;
        v_tiers := v_esc.policy -> 'tiers';
        v_group.group_key := format('{}/escalation:%s:%s', v_esc.policy_name, v_esc.alert_id);
        v_group.group_labels := coalesce(v_alert.labels, '{}');

        IF v_alert.resolved_at IS NOT NULL THEN
            -- Everyone it paged hears that it is over.
            FOR v_receiver IN
                SELECT x.t ->> 'receiver'
                FROM jsonb_array_elements(v_tiers) WITH ORDINALITY AS x (t, n)
                WHERE v_esc.last_notified_tier IS NOT NULL
                  AND (v_esc.cycle > 0 OR x.n - 1 <= v_esc.last_notified_tier)
                GROUP BY 1 ORDER BY min(x.n)
            LOOP
                v_group.receiver := v_receiver;
                v_written := v_written + monitoring_internal.write_notifications(
                    v_receiver, NULL, v_esc.escalation_id, v_group.group_key, 'escalation',
                    format('pgvigil-escalation-%s-resolved-%s', v_esc.escalation_id, v_receiver),
                    monitoring_internal.notification_payload(v_group, ARRAY[v_alert.alert_id]), NULL);
            END LOOP;
            UPDATE monitoring.escalations AS e
            SET status = 'resolved', next_at = NULL, ended_at = now(), updated_at = now()
            WHERE e.escalation_id = v_esc.escalation_id;
            CONTINUE;
        END IF;

        IF v_esc.status = 'exhausted' THEN
            CONTINUE;
        END IF;
        -- Silenced or inhibited: no page now; looked at again in 30 s, at the same tier.
        IF EXISTS (SELECT FROM monitoring_internal.alert_suppressions(
                       v_alert.alert_id, v_alert.labels, v_alert.component,
                       (SELECT c.notifications -> 'inhibit_rules' FROM monitoring_internal.notification_config AS c))) THEN
            UPDATE monitoring.escalations AS e SET next_at = now() + interval '30 seconds', updated_at = now()
            WHERE e.escalation_id = v_esc.escalation_id;
            CONTINUE;
        END IF;
        IF v_esc.status = 'acknowledged' THEN
            -- next_at is when the acknowledgement times out.
            UPDATE monitoring.alerts AS a
            SET status = 'active', acknowledged_at = NULL, acknowledged_by = NULL
            WHERE a.alert_id = v_alert.alert_id AND a.status = 'acknowledged';
            INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor, note)
            VALUES (v_alert.alert_id, 'acknowledgement_expired', v_alert.severity, 'pgvigil',
                    format('acknowledged at %s, still firing after the ack_timeout of %s', v_esc.acknowledged_at,
                           v_esc.policy ->> 'ack_timeout'));
            v_esc.cycle := 0;
            v_esc.next_tier := 0;
        END IF;

        v_tier := v_tiers -> v_esc.next_tier;
        v_group.receiver := v_tier ->> 'receiver';
        v_written := v_written + monitoring_internal.write_notifications(
            v_tier ->> 'receiver', NULL, v_esc.escalation_id, v_group.group_key, 'escalation',
            format('pgvigil-escalation-%s-%s', v_esc.escalation_id, v_esc.notifications_sent + 1),
            monitoring_internal.notification_payload(v_group, ARRAY[v_alert.alert_id]),
            monitoring_internal.notification_payload(v_group, ARRAY[v_alert.alert_id]));
        UPDATE monitoring.escalations AS e
        SET status = CASE WHEN v_esc.next_tier + 1 >= jsonb_array_length(v_tiers)
                               AND v_esc.cycle >= coalesce((e.policy ->> 'repeat')::integer, 0)
                          THEN 'exhausted' ELSE 'active' END,
            cycle = CASE WHEN v_esc.next_tier + 1 >= jsonb_array_length(v_tiers) THEN v_esc.cycle + 1 ELSE v_esc.cycle END,
            next_tier = (v_esc.next_tier + 1) % jsonb_array_length(v_tiers),
            next_at = CASE WHEN v_esc.next_tier + 1 >= jsonb_array_length(v_tiers)
                                AND v_esc.cycle >= coalesce((e.policy ->> 'repeat')::integer, 0) THEN NULL
                           ELSE now() + make_interval(secs => coalesce(monitoring_internal.parse_duration(v_tier -> 'delay'), 300)) END,
            last_notified_tier = v_esc.next_tier,
            last_notified_at = now(),
            notifications_sent = e.notifications_sent + 1,
            acknowledged_at = NULL,
            updated_at = now()
        WHERE e.escalation_id = v_esc.escalation_id;
    END LOOP;
    RETURN v_written;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.step_escalations() IS 'Internal: pages the next tier of every due escalation, expires timed-out acknowledgements, ends escalations whose alert resolved (telling whom they paged); returns the outbox rows written.';

CREATE FUNCTION monitoring_internal.step_rule_group(p_rule monitoring.alert_rules, p_at timestamp with time zone, p_source text, p_group_key text, p_group_labels jsonb, p_has_data boolean, p_is_nodata boolean, p_value double precision, p_severity text, p_threshold double precision, p_details jsonb, p_known boolean, p_state text, p_last_severity text, p_last_value double precision, p_last_threshold double precision, p_breached_since timestamp with time zone, p_last_breach_at timestamp with time zone, p_alert_id bigint, p_resolve boolean, OUT state text, OUT transitioned boolean) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON FUNCTION monitoring_internal.step_rule_group(p_rule monitoring.alert_rules, p_at timestamp with time zone, p_source text, p_group_key text, p_group_labels jsonb, p_has_data boolean, p_is_nodata boolean, p_value double precision, p_severity text, p_threshold double precision, p_details jsonb, p_known boolean, p_state text, p_last_severity text, p_last_value double precision, p_last_threshold double precision, p_breached_since timestamp with time zone, p_last_breach_at timestamp with time zone, p_alert_id bigint, p_resolve boolean, OUT state text, OUT transitioned boolean) IS 'Internal: one evaluation step of one group of a rule (inactive, pending, firing; alerts raised, updated, resolved); returns its state and whether it changed.';

CREATE FUNCTION monitoring_internal.synthetic_payload(p_receiver text, p_labels jsonb, p_annotations jsonb, p_starts_at timestamp with time zone) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: a notification about one firing alert pgvigil makes up
    -- itself (a test, a flood-control summary), in the same webhook v4
    -- shape as notification_payload(), grouped by its alertname.
    SELECT jsonb_build_object(
        'version', '4',
        'groupKey', '{}:' || monitoring_internal.group_labels_text(jsonb_build_object('alertname', p_labels ->> 'alertname')),
        'truncatedAlerts', 0, 'status', 'firing', 'receiver', p_receiver,
        'groupLabels', jsonb_build_object('alertname', p_labels ->> 'alertname'),
        'commonLabels', p_labels, 'commonAnnotations', p_annotations, 'externalURL', '',
        'alerts', jsonb_build_array(jsonb_build_object(
            'status', 'firing', 'labels', p_labels, 'annotations', p_annotations,
            'startsAt', to_char(p_starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'endsAt', '0001-01-01T00:00:00Z', 'generatorURL', '',
            'fingerprint', monitoring.alert_fingerprint(p_labels))));
$$;

COMMENT ON FUNCTION monitoring_internal.synthetic_payload(p_receiver text, p_labels jsonb, p_annotations jsonb, p_starts_at timestamp with time zone) IS 'Internal: the webhook v4 body of one firing alert pgvigil makes up itself (test notifications, flood summaries).';

CREATE FUNCTION monitoring_internal.task_minute_aggregate(p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(bucket timestamp with time zone, task_type text, ended_count bigint, completed_count bigint, failed_count bigint, cancelled_count bigint, duration_sum double precision, duration_min double precision, duration_max double precision, duration_buckets bigint[])
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    -- The one definition of a minute of tasks: per UTC minute of end_time
    -- and task type, the tasks that ended in [p_from, p_to) (pass whole
    -- minutes) as rows of task_rollup_minute: ended, completed, failed
    -- (failed + timeout, as the checks count them) and cancelled counts,
    -- duration sum, min, max and buckets of task_duration_bounds(). Written
    -- to the minute rollups by apply_rollup_pending() and read, for the
    -- minutes past the rollup boundary, by task_tail().
    -- processing_metrics is partitioned by start_time: each partition is
    -- probed by its end_time index, and start_time < p_to (a task ends on
    -- or after its start) prunes the partitions that start later.
    -- Inlined into the calling query (SQL, STABLE, not STRICT, not SECURITY
    -- DEFINER, no SET): see performance_minute_aggregate.
    SELECT date_bin('1 minute', t.end_time, TIMESTAMPTZ '2000-01-01 00:00:00+00'), t.task_type,
           count(*),
           count(*) FILTER (WHERE t.status = 'completed'),
           count(*) FILTER (WHERE t.status IN ('failed', 'timeout')),
           count(*) FILTER (WHERE t.status = 'cancelled'),
           coalesce(sum(t.duration_seconds), 0), min(t.duration_seconds), max(t.duration_seconds),
           monitoring.task_duration_histogram(t.duration_seconds)
    FROM monitoring.processing_metrics AS t
    WHERE t.end_time >= p_from AND t.end_time < p_to
      AND t.start_time < p_to
      AND t.status <> 'running'
    GROUP BY 1, 2;
$$;

COMMENT ON FUNCTION monitoring_internal.task_minute_aggregate(p_from timestamp with time zone, p_to timestamp with time zone) IS 'Internal: the minute aggregate of tasks that ended in [p_from, p_to): per UTC minute of end_time and task type, the columns of task_rollup_minute. Used by apply_rollup_pending() and task_tail().';

CREATE FUNCTION monitoring_internal.template_problem(p_template text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: why a label or annotation template is malformed, or NULL.
    -- The syntax is Prometheus's for the common cases: {{ $value }},
    -- {{ $labels.NAME }}, {{ $severity }}, {{ $threshold }}, {{ $rule }},
    -- and {{ $details.NAME }} (what the source knows of the group).
    -- Templates are text substituted by render_template(), never executed.
    SELECT CASE
        WHEN p_template IS NULL THEN 'must be a string'
        WHEN length(p_template) > 4000 THEN 'is longer than 4000 characters'
        WHEN (SELECT count(*) FROM regexp_matches(p_template, '\{\{', 'g'))
             <> (SELECT count(*) FROM regexp_matches(p_template, '\}\}', 'g'))
             OR regexp_replace(p_template, '\{\{[^{}]*\}\}', '', 'g') ~ '\{\{|\}\}' THEN
            'has an unclosed {{ or a stray }}'
        ELSE (SELECT format('uses {{%s}}; a template may use {{ $value }}, {{ $labels.NAME }}, '
                            '{{ $details.NAME }}, {{ $severity }}, {{ $threshold }} and {{ $rule }}', m[1])
              FROM regexp_matches(p_template, '\{\{([^{}]*)\}\}', 'g') AS m
              WHERE m[1] !~ '^\s*\$(value|severity|threshold|rule|(labels|details)\.[A-Za-z_][A-Za-z0-9_]*)\s*$'
              LIMIT 1)
    END;
$_$;

COMMENT ON FUNCTION monitoring_internal.template_problem(p_template text) IS 'Internal: NULL for a well-formed label or annotation template, else what is wrong with it.';

CREATE FUNCTION monitoring_internal.time_interval_active(p_ranges jsonb, p_at timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: whether p_at falls in a time interval (its list of ranges:
    -- in any one of them), as Alertmanager decides it: each range is read
    -- in its own location's wall-clock time (UTC when it has none), so a
    -- Tue 02:00-04:00 Europe/Paris window is 00:00-02:00 UTC in summer and
    -- 01:00-03:00 UTC in winter; a field a range omits matches always; a
    -- negative day of the month counts from its end (-1 the last day).
    SELECT coalesce(bool_or(
        (NOT r ? 'times' OR EXISTS (
             SELECT FROM jsonb_array_elements(r -> 'times') AS t
             WHERE to_char(l.local, 'HH24:MI') >= t ->> 'start_time' AND to_char(l.local, 'HH24:MI') < t ->> 'end_time'))
        AND (NOT r ? 'weekdays' OR EXISTS (
             SELECT FROM jsonb_array_elements_text(r -> 'weekdays') AS w,
                  LATERAL (SELECT string_to_array(w, ':') AS p) AS x
             WHERE extract(dow FROM l.local) BETWEEN monitoring_internal.time_range_value('weekdays', x.p[1])
                                                 AND monitoring_internal.time_range_value('weekdays', x.p[cardinality(x.p)])))
        AND (NOT r ? 'days_of_month' OR EXISTS (
             SELECT FROM jsonb_array_elements_text(r -> 'days_of_month') AS d,
                  LATERAL (SELECT string_to_array(d, ':') AS p) AS x,
                  LATERAL (SELECT extract(day FROM date_trunc('month', l.local) + interval '1 month' - interval '1 day')::integer AS last) AS m
             WHERE extract(day FROM l.local)
                   BETWEEN CASE WHEN x.p[1]::integer < 0 THEN m.last + 1 + x.p[1]::integer ELSE x.p[1]::integer END
                       AND CASE WHEN x.p[cardinality(x.p)]::integer < 0 THEN m.last + 1 + x.p[cardinality(x.p)]::integer
                                ELSE x.p[cardinality(x.p)]::integer END))
        AND (NOT r ? 'months' OR EXISTS (
             SELECT FROM jsonb_array_elements_text(r -> 'months') AS mo,
                  LATERAL (SELECT string_to_array(mo, ':') AS p) AS x
             WHERE extract(month FROM l.local) BETWEEN monitoring_internal.time_range_value('months', x.p[1])
                                                   AND monitoring_internal.time_range_value('months', x.p[cardinality(x.p)])))
        AND (NOT r ? 'years' OR EXISTS (
             SELECT FROM jsonb_array_elements_text(r -> 'years') AS y,
                  LATERAL (SELECT string_to_array(y, ':') AS p) AS x
             WHERE extract(year FROM l.local) BETWEEN x.p[1]::integer AND x.p[cardinality(x.p)]::integer))
    ), false)
    FROM jsonb_array_elements(coalesce(p_ranges, '[]')) AS r,
         LATERAL (SELECT p_at AT TIME ZONE coalesce(r ->> 'location', 'UTC') AS local) AS l;
$$;

COMMENT ON FUNCTION monitoring_internal.time_interval_active(p_ranges jsonb, p_at timestamp with time zone) IS 'Internal: true when a moment falls in one of a time interval''s ranges, each read in its own location (Alertmanager semantics).';

CREATE FUNCTION monitoring_internal.time_interval_ranges(p_notifications jsonb, p_name text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the ranges of the named time interval of a notifications
    -- config (time_intervals, or the older mute_time_intervals list).
    SELECT i -> 'time_intervals'
    FROM jsonb_array_elements(
             CASE WHEN jsonb_typeof(p_notifications -> 'time_intervals') = 'array' THEN p_notifications -> 'time_intervals' ELSE '[]' END
             || CASE WHEN jsonb_typeof(p_notifications -> 'mute_time_intervals') = 'array' THEN p_notifications -> 'mute_time_intervals' ELSE '[]' END) AS i
    WHERE i ->> 'name' = p_name
    LIMIT 1;
$$;

COMMENT ON FUNCTION monitoring_internal.time_interval_ranges(p_notifications jsonb, p_name text) IS 'Internal: the ranges of a named time interval of the notifications config.';

CREATE FUNCTION monitoring_internal.time_range_problems(p_range jsonb) RETURNS TABLE(problem text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Internal: what is wrong with one range of a time interval, as
-- Alertmanager defines them: times (HH:MM, start before end, 00:00-24:00),
-- weekdays (monday or monday:friday), days_of_month (1 to 31 or -31 to -1,
-- ranges a:b), months (1-12 or names), years, location (a time zone known
-- to the database, e.g. Europe/Paris). Messages start with the field.
DECLARE
    v_item jsonb;
    v_part text[];
    v_text text;
BEGIN
    IF jsonb_typeof(p_range) IS DISTINCT FROM 'object' THEN
        RETURN QUERY SELECT ' must be an object of times, weekdays, days_of_month, months, years, location'::text;
        RETURN;
    END IF;
    FOR v_item IN SELECT t FROM jsonb_array_elements(CASE jsonb_typeof(p_range -> 'times') WHEN 'array' THEN p_range -> 'times' ELSE '[]' END) AS t LOOP
        IF coalesce(v_item ->> 'start_time', '') !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
           OR coalesce(v_item ->> 'end_time', '') !~ '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' THEN
            RETURN QUERY SELECT format('.times: %s needs start_time and end_time as HH:MM (00:00 to 24:00)', v_item);
        ELSIF (v_item ->> 'start_time') >= (v_item ->> 'end_time') THEN
            RETURN QUERY SELECT format('.times: %s ends before it starts (a range past midnight is two ranges)', v_item);
        END IF;
    END LOOP;
    FOREACH v_text IN ARRAY ARRAY['weekdays', 'days_of_month', 'months', 'years'] LOOP
        IF p_range ? v_text AND jsonb_typeof(p_range -> v_text) <> 'array' THEN
            RETURN QUERY SELECT format('.%s must be a list', v_text);
            CONTINUE;
        END IF;
        FOR v_item IN SELECT x FROM jsonb_array_elements(coalesce(p_range -> v_text, '[]')) AS x LOOP
            v_part := string_to_array(lower(v_item #>> '{}'), ':');
            IF jsonb_typeof(v_item) <> 'string' OR cardinality(v_part) NOT IN (1, 2)
               OR EXISTS (SELECT FROM unnest(v_part) AS p
                          WHERE monitoring_internal.time_range_value(v_text, p) IS NULL)
               OR monitoring_internal.time_range_value(v_text, v_part[1])
                  > monitoring_internal.time_range_value(v_text, v_part[cardinality(v_part)]) THEN
                RETURN QUERY SELECT format('.%s: %s is not a %s or a range of them (%s)', v_text, v_item,
                    CASE v_text WHEN 'weekdays' THEN 'weekday' WHEN 'days_of_month' THEN 'day of the month'
                                WHEN 'months' THEN 'month' ELSE 'year' END,
                    CASE v_text WHEN 'weekdays' THEN 'monday:friday' WHEN 'days_of_month' THEN '1:7, -1'
                                WHEN 'months' THEN 'january:march, 12' ELSE '2026:2027' END);
            END IF;
        END LOOP;
    END LOOP;
    IF p_range ? 'location' AND (jsonb_typeof(p_range -> 'location') <> 'string'
                                 OR NOT EXISTS (SELECT FROM pg_timezone_names AS z WHERE z.name = p_range ->> 'location')) THEN
        RETURN QUERY SELECT format('.location %s is not a time zone (a name such as Europe/Paris or UTC)', p_range -> 'location');
    END IF;
END;
$_$;

COMMENT ON FUNCTION monitoring_internal.time_range_problems(p_range jsonb) IS 'Internal: the problems of one range of an Alertmanager time interval (times, weekdays, days_of_month, months, years, location).';

CREATE FUNCTION monitoring_internal.time_range_value(p_field text, p_text text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: one bound of a time interval field as a number: a weekday
    -- (sunday 0 ... saturday 6, as Alertmanager numbers them), a day of the
    -- month (1 to 31, or -31 to -1 from the month's end), a month (1-12,
    -- or its English name), a year. NULL when it is not one.
    SELECT CASE p_field
        WHEN 'weekdays' THEN array_position(ARRAY['sunday', 'monday', 'tuesday', 'wednesday', 'thursday',
                                                  'friday', 'saturday'], lower(p_text)) - 1
        WHEN 'days_of_month' THEN CASE WHEN p_text ~ '^-?[0-9]{1,2}$' AND abs(p_text::integer) BETWEEN 1 AND 31
                                       THEN p_text::integer END
        WHEN 'months' THEN coalesce(array_position(ARRAY['january', 'february', 'march', 'april', 'may', 'june', 'july',
                                                         'august', 'september', 'october', 'november', 'december'],
                                                   lower(p_text)),
                                    CASE WHEN p_text ~ '^[0-9]{1,2}$' AND p_text::integer BETWEEN 1 AND 12
                                         THEN p_text::integer END)
        WHEN 'years' THEN CASE WHEN p_text ~ '^[0-9]{4}$' THEN p_text::integer END
    END;
$_$;

COMMENT ON FUNCTION monitoring_internal.time_range_value(p_field text, p_text text) IS 'Internal: a weekday, day of month, month or year of a time interval as a number (NULL when malformed).';

CREATE FUNCTION monitoring_internal.top_severity(p_thresholds jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Internal: the highest severity a rule's thresholds name: what a group
    -- without data holds at under no_data alerting or nodata.
    SELECT k FROM jsonb_object_keys(p_thresholds) AS k
    ORDER BY monitoring_internal.severity_rank(k) DESC LIMIT 1;
$$;

COMMENT ON FUNCTION monitoring_internal.top_severity(p_thresholds jsonb) IS 'Internal: the highest severity among a rule''s thresholds.';

CREATE FUNCTION monitoring_internal.value_sketch_key(p_value double precision) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    -- The bucket of a performance sample in value_sketch (the performance
    -- rollups' mergeable summary of their samples), fixed for every value
    -- and every row, so sketches merge by adding the counts of equal keys.
    --
    -- Sign-aware log scale with relative error alpha = 2%: with
    -- gamma = (1 + alpha) / (1 - alpha) = 1.02 / 0.98, a magnitude m is in
    -- bucket i = ceil(ln(m) / ln(gamma)), that is gamma^(i-1) < m <= gamma^i,
    -- and the bucket's value 0.98 * gamma^i (monitoring_internal.value_sketch_value)
    -- is within 2% of every magnitude in it. Keys are ordered as the values:
    --   17708 + i      for a value >= 2.2250738585072014e-308 (1 .. 35451),
    --   -(17708 + i)   for a value <= -2.2250738585072014e-308 (-1 .. -35451),
    --   0              for zero and the subnormal values between (|v| < the
    --                  smallest normal double): they count as 0, an absolute
    --                  error below 2.3e-308.
    -- So every finite double has a key, 70,903 keys in all; a sketch stores
    -- only those it has samples in. Stored sketches depend on these
    -- constants: changing them needs a migration that recomputes the rollups.
    -- Inlined where it is called (SQL, IMMUTABLE, not STRICT): the minute
    -- aggregate evaluates it per raw sample without a function call.
    SELECT CASE WHEN abs(p_value) < 2.2250738585072014e-308::double precision THEN 0
                WHEN p_value > 0
                THEN 17708 + ceil(ln(p_value) / 0.040005334613699206::double precision)::integer
                ELSE -17708 - ceil(ln(-p_value) / 0.040005334613699206::double precision)::integer
           END;
$$;

COMMENT ON FUNCTION monitoring_internal.value_sketch_key(p_value double precision) IS 'Internal: the key of a performance sample''s bucket in value_sketch: sign-aware log scale with relative error 2% (gamma = 1.02/0.98), 0 for |value| < 2.2250738585072014e-308; keys -35451 .. 35451, ordered as the values.';

CREATE FUNCTION monitoring_internal.value_sketch_value(p_key integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    -- The value a value_sketch bucket stands for (see value_sketch_key):
    -- +-0.98 * gamma^i for key +-(17708 + i), the point within 2% of both
    -- ends of the bucket (gamma^(i-1), gamma^i]; 0 for key 0. Computed as
    -- exp(i * ln(gamma) + ln(0.98)); the exponent is capped at 709.78
    -- (1.7928e308): the top bucket reaches past the largest double, and its
    -- capped value is still within 1% of every double in it.
    SELECT CASE WHEN p_key = 0 THEN 0::double precision
                ELSE sign(p_key::double precision)
                     * exp(least((abs(p_key) - 17708) * 0.040005334613699206::double precision
                                     - 0.020202707317519466::double precision,
                                 709.78::double precision))
           END;
$$;

COMMENT ON FUNCTION monitoring_internal.value_sketch_value(p_key integer) IS 'Internal: the value (within 2%) that a value_sketch bucket key of monitoring_internal.value_sketch_key() stands for; 0 for key 0.';

CREATE FUNCTION monitoring_internal.wait_for_checks_lock(p_seconds integer) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: takes the checks' transaction-scoped advisory lock, waiting up
-- to p_seconds for a holder to finish; false if it did not. The other
-- evaluators (the worker, the watchdog) only try: they run again in
-- seconds, and must not stall pg_cron behind them.
DECLARE
    v_lock_timeout text := current_setting('lock_timeout');
BEGIN
    IF pg_try_advisory_xact_lock(hashtext('pgvigil.monitoring_checks')) THEN
        RETURN true;
    END IF;
    PERFORM set_config('lock_timeout', (p_seconds * 1000)::text, true);
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('pgvigil.monitoring_checks'));
    EXCEPTION WHEN lock_not_available THEN
        PERFORM set_config('lock_timeout', v_lock_timeout, true);
        RETURN false;
    END;
    PERFORM set_config('lock_timeout', v_lock_timeout, true);
    RETURN true;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.wait_for_checks_lock(p_seconds integer) IS 'Internal: the checks'' advisory lock for the transaction, waiting up to p_seconds; false when another session kept it.';

CREATE FUNCTION monitoring_internal.web_user_error_hint(p_code text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- Internal: the hint of each web user and web session error, in one place.
    SELECT CASE p_code
        WHEN 'PV703' THEN 'a web user has a name not taken before (1 to 200 characters), a role (viewer, operator or admin) and the argon2id hash of its password ($argon2id$v=19$m=...,t=...,p=...$salt$hash), never the password: pgvigil users create --name NAME --role viewer'
        WHEN 'PV704' THEN 'list the web users: pgvigil users list (or SELECT * FROM monitoring.v_web_users)'
        WHEN 'PV705' THEN 'a session has the 32-byte SHA-256 of its token, exactly one live API key or web user, and a lifetime of more than 0 and at most 30 days; pgvigil serve makes them at POST /api/v1/session'
    END;
$_$;

COMMENT ON FUNCTION monitoring_internal.web_user_error_hint(p_code text) IS 'Internal: the hint of web user and web session errors PV703 to PV705.';

CREATE FUNCTION monitoring_internal.write_audit_log(p_action text, p_subject text, p_details jsonb) RETURNS void
    LANGUAGE plpgsql
    AS $$
-- Internal: one row of monitoring.audit_log, from the SECURITY DEFINER
-- function that made the change (inside it current_user is the owner, so
-- the caller is taken from session_user and the session's SET ROLE, which
-- SECURITY DEFINER does not change). on_behalf_of is the API key or user
-- pgvigil serve called for (its setting pgvigil.on_behalf_of): any session
-- may set it, which is why actor, the login, is always kept beside it.
BEGIN
    INSERT INTO monitoring.audit_log (actor, acting_role, on_behalf_of, action, subject, details)
    VALUES (session_user, coalesce(nullif(current_setting('role'), 'none'), session_user::text),
            nullif(current_setting('pgvigil.on_behalf_of', true), ''),
            p_action, p_subject, coalesce(p_details, '{}'));
END;
$$;

COMMENT ON FUNCTION monitoring_internal.write_audit_log(p_action text, p_subject text, p_details jsonb) IS 'Internal: appends one row to monitoring.audit_log for the calling session (owner only).';

CREATE FUNCTION monitoring_internal.write_flood_summaries() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: for each receiver integration whose flood control held
-- notifications back, once the minute of the first is over, writes one
-- flood_summary notification saying how many were held back and until
-- when (a firing PgvigilNotificationsHeldBack, in the webhook v4 shape),
-- and marks them summarised by it. The summary is not capped. Returns the
-- rows written.
DECLARE
    r record;
    v_id bigint;
    v_labels jsonb;
    v_summary text;
    v_written integer := 0;
BEGIN
    FOR r IN
        SELECT n.receiver, n.integration, n.integration_index, count(*) AS held, min(n.created_at) AS since,
               max(n.created_at) AS until, array_agg(n.notification_id) AS ids
        FROM monitoring.notifications AS n
        WHERE n.status = 'held' AND n.summary_id IS NULL
        GROUP BY 1, 2, 3
        HAVING min(n.created_at) <= now() - interval '1 minute'
    LOOP
        v_labels := jsonb_build_object('alertname', 'PgvigilNotificationsHeldBack', 'receiver', r.receiver,
                                       'severity', 'medium');
        v_summary := format('%s notifications to %s (%s) were held back by flood control between %s and %s',
                            r.held, r.receiver, r.integration, r.since, r.until);
        INSERT INTO monitoring.notifications
            (group_id, receiver, integration, integration_index, group_key, reason, idempotency_key, payload)
        VALUES (NULL, r.receiver, r.integration, r.integration_index, '{}:{alertname="PgvigilNotificationsHeldBack"}',
                'flood_summary', format('pgvigil-flood-%s-%s-%s-%s', r.receiver, r.integration, r.integration_index,
                                        r.ids[1]),
                monitoring_internal.synthetic_payload(
                    r.receiver, v_labels,
                    jsonb_build_object('summary', v_summary,
                                       'description', 'They are in monitoring.v_notification_log (status held).'),
                    r.since))
        RETURNING notification_id INTO v_id;
        UPDATE monitoring.notifications AS n SET summary_id = v_id WHERE n.notification_id = ANY (r.ids);
        v_written := v_written + 1;
    END LOOP;
    RETURN v_written;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.write_flood_summaries() IS 'Internal: one flood_summary notification per receiver integration whose flood control held notifications back in a minute now over; returns the rows written.';

CREATE FUNCTION monitoring_internal.write_notifications(p_receiver text, p_group_id bigint, p_escalation_id bigint, p_group_key text, p_reason text, p_key_prefix text, p_payload_with_resolved jsonb, p_payload_firing jsonb, p_integrations text[] DEFAULT NULL::text[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Internal: writes one notification to the outbox per integration of a
-- receiver: p_payload_with_resolved to those that send resolved alerts
-- (send_resolved; by default webhook, Teams and PagerDuty do, Slack and
-- email do not, as in Alertmanager), p_payload_firing to the others; NULL
-- sends nothing to them; only the integrations of p_integrations when
-- given. The idempotency key (the webhook-id) is
-- p_key_prefix-integration-index. Beyond the receiver's flood_control
-- cap (per integration and minute) a row is written held, not to be sent;
-- write_flood_summaries() says how many. Returns the rows written.
DECLARE
    v_receiver jsonb;
    v_integration text;
    v_index integer;
    v_config jsonb;
    v_payload jsonb;
    v_written integer := 0;
    v_cap integer;
BEGIN
    SELECT r INTO v_receiver
    FROM monitoring_internal.notification_config AS c, jsonb_array_elements(c.notifications -> 'receivers') AS r
    WHERE r ->> 'name' = p_receiver;
    v_cap := (v_receiver #>> '{flood_control,max_per_minute}')::integer;
    FOR v_integration IN SELECT i FROM unnest(ARRAY['webhook_configs', 'slack_configs', 'msteamsv2_configs',
                                                    'email_configs', 'pagerduty_configs']) AS i
                         WHERE p_integrations IS NULL OR i = ANY (p_integrations) LOOP
        v_index := 0;
        FOR v_config IN SELECT x FROM jsonb_array_elements(coalesce(v_receiver -> v_integration, '[]')) AS x LOOP
            v_payload := CASE WHEN coalesce((v_config ->> 'send_resolved')::boolean,
                                            v_integration IN ('webhook_configs', 'msteamsv2_configs', 'pagerduty_configs'))
                              THEN p_payload_with_resolved ELSE p_payload_firing END;
            IF v_payload IS NOT NULL THEN
                -- To an integration disabled after a 410 Gone: written, failed, saying why.
                INSERT INTO monitoring.notifications
                    (group_id, escalation_id, receiver, integration, integration_index, group_key, reason,
                     idempotency_key, payload, status, last_error)
                -- Beyond the receiver's flood_control cap: written held, summarised later.
                SELECT p_group_id, p_escalation_id, p_receiver, v_integration, v_index, p_group_key, p_reason,
                       format('%s-%s-%s', p_key_prefix, v_integration, v_index), v_payload,
                       CASE WHEN d.receiver IS NOT NULL THEN 'failed' WHEN f.flooded THEN 'held' ELSE 'pending' END,
                       CASE WHEN d.receiver IS NOT NULL
                            THEN format('not sent: %s %s[%s] is disabled since it answered 410 Gone at %s',
                                        p_receiver, v_integration, v_index, d.disabled_at)
                            WHEN f.flooded
                            THEN format('held back by flood control: more than %s a minute to %s %s[%s]',
                                        v_cap, p_receiver, v_integration, v_index) END
                FROM (SELECT v_cap IS NOT NULL AND (
                          SELECT count(*) FROM monitoring.notifications AS n
                          WHERE n.receiver = p_receiver AND n.integration = v_integration AND n.integration_index = v_index
                            AND n.created_at > now() - interval '1 minute' AND n.status <> 'held'
                            AND n.reason <> 'flood_summary') >= v_cap AS flooded) AS f
                LEFT JOIN monitoring.disabled_integrations AS d
                  ON d.receiver = p_receiver AND d.integration = v_integration AND d.integration_index = v_index;
                v_written := v_written + 1;
            END IF;
            v_index := v_index + 1;
        END LOOP;
    END LOOP;
    RETURN v_written;
END;
$$;

COMMENT ON FUNCTION monitoring_internal.write_notifications(p_receiver text, p_group_id bigint, p_escalation_id bigint, p_group_key text, p_reason text, p_key_prefix text, p_payload_with_resolved jsonb, p_payload_firing jsonb, p_integrations text[]) IS 'Internal: one outbox row per integration of a receiver, with or without the resolved alerts as each integration''s send_resolved says; returns the rows written.';

CREATE AGGREGATE monitoring.sum_bucket_counts(bigint[]) (
    SFUNC = monitoring_internal.add_bucket_counts,
    STYPE = bigint[],
    COMBINEFUNC = monitoring_internal.add_bucket_counts,
    PARALLEL = safe
);

COMMENT ON AGGREGATE monitoring.sum_bucket_counts(bigint[]) IS 'Aggregate: element-wise sum of duration bucket counts (duration_buckets of the task rollups), e.g. minutes into hours; NULL arrays are skipped.';

CREATE AGGREGATE monitoring.task_duration_histogram(double precision) (
    SFUNC = monitoring_internal.add_to_duration_histogram,
    STYPE = bigint[],
    COMBINEFUNC = monitoring_internal.add_bucket_counts,
    PARALLEL = safe
);

COMMENT ON AGGREGATE monitoring.task_duration_histogram(double precision) IS 'Aggregate: counts durations in seconds per bucket of monitoring.task_duration_bounds(), as stored in duration_buckets of the task rollups. NULL durations are not counted.';

CREATE AGGREGATE monitoring_internal.merge_value_sketches(bigint[]) (
    SFUNC = array_cat,
    STYPE = bigint[],
    FINALFUNC = monitoring_internal.compact_value_sketch,
    COMBINEFUNC = array_cat,
    PARALLEL = safe
);

COMMENT ON AGGREGATE monitoring_internal.merge_value_sketches(bigint[]) IS 'Aggregate: merges value sketches (value_sketch of the performance rollups) into the sketch of all their samples, e.g. minutes into 5 minutes or hours. NULL sketches are skipped: callers that must not merge a partial sketch check count(value_sketch) = count(*).';

CREATE TABLE monitoring.alert_events (
    event_id bigint NOT NULL,
    alert_id bigint NOT NULL,
    event_type text NOT NULL,
    previous_severity text,
    severity text NOT NULL,
    current_value double precision,
    actor text NOT NULL,
    note text,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT alert_events_event_type_check CHECK ((event_type = ANY (ARRAY['triggered'::text, 'severity_changed'::text, 'acknowledged'::text, 'resolved'::text, 'acknowledgement_expired'::text])))
);

COMMENT ON TABLE monitoring.alert_events IS 'The history of every alert: triggered, severity_changed (raised or lowered), acknowledged, resolved; who did it and when.';

ALTER TABLE monitoring.alert_events ALTER COLUMN event_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring.alert_events_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE monitoring.alerts (
    alert_id bigint NOT NULL,
    alert_key text NOT NULL,
    alert_type text NOT NULL,
    subject text NOT NULL,
    severity text NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    title text NOT NULL,
    message text NOT NULL,
    current_value double precision,
    threshold_value double precision,
    details jsonb,
    occurrence_count integer DEFAULT 1 NOT NULL,
    triggered_at timestamp with time zone DEFAULT now() NOT NULL,
    triggered_by text NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    severity_changed_at timestamp with time zone,
    acknowledged_at timestamp with time zone,
    acknowledged_by text,
    acknowledgement_note text,
    resolved_at timestamp with time zone,
    resolved_by text,
    resolution_note text,
    rule_name text,
    labels jsonb,
    annotations jsonb,
    fingerprint text,
    breached_at timestamp with time zone,
    component text,
    ends_at timestamp with time zone,
    generator_url text,
    CONSTRAINT alerts_resolved_at_check CHECK (((status = 'resolved'::text) = (resolved_at IS NOT NULL))),
    CONSTRAINT alerts_severity_check CHECK ((severity = ANY (ARRAY['low'::text, 'medium'::text, 'high'::text, 'critical'::text]))),
    CONSTRAINT alerts_status_check CHECK ((status = ANY (ARRAY['active'::text, 'acknowledged'::text, 'resolved'::text])))
);

COMMENT ON TABLE monitoring.alerts IS 'Alerts raised by the checks. alert_key = alert_type:subject identifies the condition; one open (unresolved) alert per key.';

COMMENT ON COLUMN monitoring.alerts.labels IS 'The alert''s label set: alertname (the rule), the group''s labels, severity and the rule''s labels.';

COMMENT ON COLUMN monitoring.alerts.fingerprint IS 'Alertmanager''s fingerprint of labels: FNV-1a 64 over the labels sorted by name, name and value each followed by 0xff, as 16 hex digits (monitoring.alert_fingerprint). It follows the labels, so a severity change gives a new one.';

COMMENT ON COLUMN monitoring.alerts.breached_at IS 'When the rule''s condition began to hold (the start of pending); triggered_at - breached_at is the time to detect, at least the rule''s for.';

COMMENT ON COLUMN monitoring.alerts.component IS 'The component the alert is about (its component or component_name label); its registry labels are in labels.';

COMMENT ON COLUMN monitoring.alerts.ends_at IS 'For an alert posted through the Alertmanager API: when it resolves unless posted again (its endsAt, or now + resolve_timeout). NULL for pgvigil''s own.';

COMMENT ON COLUMN monitoring.alerts.generator_url IS 'For an alert posted through the Alertmanager API: its generatorURL (the Prometheus expression that raised it).';

ALTER TABLE monitoring.alerts ALTER COLUMN alert_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring.alerts_alert_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE monitoring.audit_log (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor text DEFAULT SESSION_USER NOT NULL,
    acting_role text DEFAULT COALESCE(NULLIF(current_setting('role'::text), 'none'::text), (SESSION_USER)::text) NOT NULL,
    action text NOT NULL,
    subject text,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    on_behalf_of text,
    CONSTRAINT audit_log_action_check CHECK ((action = ANY (ARRAY['apply_config'::text, 'acknowledge_alert'::text, 'resolve_alert'::text, 'schedule_jobs'::text, 'unschedule_jobs'::text, 'change_alert_rule'::text, 'change_component'::text, 'create_silence'::text, 'change_silence'::text, 'expire_silence'::text, 'create_api_key'::text, 'revoke_api_key'::text, 'create_web_user'::text, 'disable_web_user'::text, 'create_web_session'::text, 'end_web_session'::text])))
);

COMMENT ON TABLE monitoring.audit_log IS 'Administrative changes, one row each: when (at), who (actor = the session user, the login role that called; acting_role = the role set by SET ROLE in that session, else the session user), what (action: apply_config, acknowledge_alert, resolve_alert, schedule_jobs, unschedule_jobs), on what (subject: alert id, config, pg_cron) and details (config hashes and changed keys; alert note and the name given; job names and schedules). Written by those functions only; kept forever.';

ALTER TABLE monitoring.audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE monitoring.config (
    config_id boolean DEFAULT true NOT NULL,
    document jsonb NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    applied_by text DEFAULT CURRENT_USER NOT NULL,
    CONSTRAINT config_config_id_check CHECK (config_id)
);

COMMENT ON TABLE monitoring.config IS 'The active configuration: thresholds, retention, schedules. One row; change it with monitoring.apply_config() or pgvigil config apply.';

CREATE TABLE monitoring.disabled_integrations (
    receiver text NOT NULL,
    integration text NOT NULL,
    integration_index integer NOT NULL,
    disabled_at timestamp with time zone DEFAULT now() NOT NULL,
    status_code integer,
    error text,
    notification_id bigint,
    config_digest text NOT NULL
);

COMMENT ON TABLE monitoring.disabled_integrations IS 'Receiver integrations disabled after a 410 Gone: when, the answer, the notification that got it, and a digest of the integration''s config (a changed config enables it again).';

CREATE TABLE monitoring.error_tracking (
    error_id bigint NOT NULL,
    task_id text,
    error_type text NOT NULL,
    severity text NOT NULL,
    message text NOT NULL,
    component text NOT NULL,
    stack_trace text,
    context jsonb,
    occurred_at timestamp with time zone NOT NULL,
    CONSTRAINT error_tracking_severity_check CHECK ((severity = ANY (ARRAY['low'::text, 'medium'::text, 'high'::text, 'critical'::text])))
)
PARTITION BY RANGE (occurred_at);

COMMENT ON TABLE monitoring.error_tracking IS 'Errors recorded by record_error(), with type, severity (low, medium, high, critical) and component. Partitioned by day of occurred_at; kept 30 to 90 days by severity.';

CREATE TABLE monitoring.error_tracking_default (
    error_id bigint NOT NULL,
    task_id text,
    error_type text NOT NULL,
    severity text NOT NULL,
    message text NOT NULL,
    component text NOT NULL,
    stack_trace text,
    context jsonb,
    occurred_at timestamp with time zone NOT NULL,
    CONSTRAINT error_tracking_severity_check CHECK ((severity = ANY (ARRAY['low'::text, 'medium'::text, 'high'::text, 'critical'::text])))
);

ALTER TABLE monitoring.error_tracking ALTER COLUMN error_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring.error_tracking_error_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE monitoring.escalations (
    escalation_id bigint NOT NULL,
    alert_id bigint NOT NULL,
    policy_name text NOT NULL,
    policy jsonb NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    cycle integer DEFAULT 0 NOT NULL,
    next_tier integer DEFAULT 0 NOT NULL,
    next_at timestamp with time zone,
    last_notified_tier integer,
    last_notified_at timestamp with time zone,
    notifications_sent integer DEFAULT 0 NOT NULL,
    acknowledged_at timestamp with time zone,
    ended_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT escalations_status_check CHECK ((status = ANY (ARRAY['active'::text, 'acknowledged'::text, 'resolved'::text, 'exhausted'::text])))
);

COMMENT ON TABLE monitoring.escalations IS 'Escalations in flight and past: per incident (alert) and policy, the policy''s snapshot, its state (active, acknowledged, resolved, exhausted), the next tier and when, and what was sent.';

ALTER TABLE monitoring.escalations ALTER COLUMN escalation_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring.escalations_escalation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE monitoring.flapping_alerts (
    fingerprint text NOT NULL,
    labels jsonb,
    flapping_since timestamp with time zone DEFAULT now() NOT NULL,
    changes integer NOT NULL,
    last_change_at timestamp with time zone,
    last_notified_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE monitoring.flapping_alerts IS 'Alerts (by fingerprint) flapping now: since when, their state changes in the window, the last change, and when a notification last included them.';

CREATE TABLE monitoring.notification_attempts (
    notification_id bigint NOT NULL,
    attempt integer NOT NULL,
    attempted_at timestamp with time zone DEFAULT now() NOT NULL,
    outcome text NOT NULL,
    status_code integer,
    latency_ms double precision,
    error text,
    worker text,
    CONSTRAINT notification_attempts_outcome_check CHECK ((outcome = ANY (ARRAY['delivered'::text, 'retry'::text, 'failed'::text])))
);

COMMENT ON TABLE monitoring.notification_attempts IS 'Every delivery attempt of every notification: outcome, HTTP status or SMTP reply, latency, error, and the worker that made it.';

CREATE TABLE monitoring.notification_group_alerts (
    group_id bigint NOT NULL,
    alert_id bigint NOT NULL,
    added_at timestamp with time zone DEFAULT now() NOT NULL,
    silenced_by uuid
);

COMMENT ON TABLE monitoring.notification_group_alerts IS 'The alerts of each notification group: firing ones, and resolved ones until a notification has said so.';

ALTER TABLE monitoring.notification_groups ALTER COLUMN group_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring.notification_groups_group_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE monitoring.notification_suppressions (
    suppression_id bigint NOT NULL,
    receiver text NOT NULL,
    group_key text NOT NULL,
    alert_id bigint NOT NULL,
    fingerprint text,
    reason text NOT NULL,
    suppressed_by text NOT NULL,
    silence_id uuid,
    detail text,
    first_suppressed_at timestamp with time zone DEFAULT now() NOT NULL,
    last_suppressed_at timestamp with time zone DEFAULT now() NOT NULL,
    notifications integer DEFAULT 1 NOT NULL,
    CONSTRAINT notification_suppressions_reason_check CHECK ((reason = ANY (ARRAY['silenced'::text, 'inhibited'::text, 'muted'::text, 'flapping'::text])))
);

COMMENT ON TABLE monitoring.notification_suppressions IS 'Notifications held back, per receiver, group, alert and cause: silenced (silence_id), inhibited (by an alert or a component''s dependency), muted (a time interval); with when first and last, and how many.';

ALTER TABLE monitoring.notification_suppressions ALTER COLUMN suppression_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring.notification_suppressions_suppression_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE monitoring.notifications (
    notification_id bigint NOT NULL,
    group_id bigint,
    receiver text NOT NULL,
    integration text NOT NULL,
    integration_index integer NOT NULL,
    group_key text NOT NULL,
    reason text NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    idempotency_key text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    claimed_until timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    delivered_at timestamp with time zone,
    last_error text,
    escalation_id bigint,
    summary_id bigint,
    CONSTRAINT notifications_integration_check CHECK ((integration = ANY (ARRAY['webhook_configs'::text, 'slack_configs'::text, 'msteamsv2_configs'::text, 'email_configs'::text, 'pagerduty_configs'::text]))),
    CONSTRAINT notifications_reason_check CHECK ((reason = ANY (ARRAY['first'::text, 'new_alerts'::text, 'some_resolved'::text, 'all_resolved'::text, 'repeat'::text, 'test'::text, 'escalation'::text, 'flood_summary'::text, 'acknowledged'::text]))),
    CONSTRAINT notifications_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text, 'held'::text])))
);

COMMENT ON TABLE monitoring.notifications IS 'The outbox: each notification per receiver integration, with why it was sent (first, new_alerts, some_resolved, all_resolved, repeat), its Alertmanager webhook v4 payload, its idempotency key (webhook-id), and its delivery state.';

ALTER TABLE monitoring.notifications ALTER COLUMN notification_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring.notifications_notification_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE monitoring.performance_monitoring (
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    metric_value double precision NOT NULL,
    unit text NOT NULL,
    component text NOT NULL,
    tags jsonb,
    recorded_at timestamp with time zone NOT NULL,
    CONSTRAINT performance_monitoring_component_check CHECK (((btrim(component) <> ''::text) AND (length(component) <= 200))),
    CONSTRAINT performance_monitoring_metric_name_check CHECK (((btrim(metric_name) <> ''::text) AND (length(metric_name) <= 200))),
    CONSTRAINT performance_monitoring_metric_type_check CHECK (((btrim(metric_type) <> ''::text) AND (length(metric_type) <= 200))),
    CONSTRAINT performance_monitoring_metric_value_check CHECK ((metric_value <> ALL (ARRAY['NaN'::double precision, 'Infinity'::double precision, '-Infinity'::double precision]))),
    CONSTRAINT performance_monitoring_tags_check CHECK (((tags IS NULL) OR ((jsonb_typeof(tags) = 'object'::text) AND (pg_column_size(tags) <= 65536)))),
    CONSTRAINT performance_monitoring_unit_check CHECK (((btrim(unit) <> ''::text) AND (length(unit) <= 200)))
)
PARTITION BY RANGE (recorded_at);

COMMENT ON TABLE monitoring.performance_monitoring IS 'Performance samples: one value per metric, component and time, with its unit. Partitioned by day of recorded_at.';

CREATE TABLE monitoring.performance_monitoring_default (
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    metric_value double precision NOT NULL,
    unit text NOT NULL,
    component text NOT NULL,
    tags jsonb,
    recorded_at timestamp with time zone NOT NULL,
    CONSTRAINT performance_monitoring_component_check CHECK (((btrim(component) <> ''::text) AND (length(component) <= 200))),
    CONSTRAINT performance_monitoring_metric_name_check CHECK (((btrim(metric_name) <> ''::text) AND (length(metric_name) <= 200))),
    CONSTRAINT performance_monitoring_metric_type_check CHECK (((btrim(metric_type) <> ''::text) AND (length(metric_type) <= 200))),
    CONSTRAINT performance_monitoring_metric_value_check CHECK ((metric_value <> ALL (ARRAY['NaN'::double precision, 'Infinity'::double precision, '-Infinity'::double precision]))),
    CONSTRAINT performance_monitoring_tags_check CHECK (((tags IS NULL) OR ((jsonb_typeof(tags) = 'object'::text) AND (pg_column_size(tags) <= 65536)))),
    CONSTRAINT performance_monitoring_unit_check CHECK (((btrim(unit) <> ''::text) AND (length(unit) <= 200)))
);

CREATE TABLE monitoring.performance_rollup_5min (
    bucket timestamp with time zone NOT NULL,
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    component text NOT NULL,
    unit text NOT NULL,
    sample_count bigint NOT NULL,
    value_sum double precision NOT NULL,
    value_min double precision NOT NULL,
    value_max double precision NOT NULL,
    value_sketch bigint[],
    value_p95 double precision,
    CONSTRAINT performance_rollup_5min_bucket_check CHECK ((bucket = date_bin('00:05:00'::interval, bucket, '2000-01-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT performance_rollup_5min_sample_count_check CHECK ((sample_count > 0))
);

COMMENT ON TABLE monitoring.performance_rollup_5min IS 'Performance samples per UTC 5 minutes and series (count, sum, min, max, value_sketch and its p95), computed from performance_rollup_minute; the 5 minutes holding the watermark cover their minutes up to it. Read by v_performance_trends; kept 2 days (deleted by cleanup_old_monitoring_data).';

COMMENT ON COLUMN monitoring.performance_rollup_5min.value_sketch IS 'The value sketch of the 5 minutes (see performance_rollup_minute.value_sketch): its minutes'' merged; NULL if any of them has none.';

COMMENT ON COLUMN monitoring.performance_rollup_5min.value_p95 IS 'The 95th percentile of the samples (as percentile_cont) estimated from value_sketch by monitoring.estimate_value_percentile(): within 2% of the exact value (within 2% of the larger magnitude when it falls between a negative and a positive sample). NULL when value_sketch is.';

CREATE TABLE monitoring.performance_rollup_hour (
    bucket timestamp with time zone NOT NULL,
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    component text NOT NULL,
    unit text NOT NULL,
    sample_count bigint NOT NULL,
    value_sum double precision NOT NULL,
    value_min double precision NOT NULL,
    value_max double precision NOT NULL,
    value_sketch bigint[],
    value_p95 double precision,
    CONSTRAINT performance_rollup_hour_bucket_check CHECK ((bucket = date_bin('01:00:00'::interval, bucket, '2000-01-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT performance_rollup_hour_sample_count_check CHECK ((sample_count > 0))
);

COMMENT ON TABLE monitoring.performance_rollup_hour IS 'Performance samples per UTC hour and series (count, sum, min, max, value_sketch and its p95), computed from performance_rollup_minute; the hour holding the watermark covers its minutes up to it. Kept retention.performance_rollup_hour_days (deleted by cleanup_old_monitoring_data).';

COMMENT ON COLUMN monitoring.performance_rollup_hour.value_sketch IS 'The value sketch of the hour (see performance_rollup_minute.value_sketch): its minutes'' merged; NULL if any of them has none.';

COMMENT ON COLUMN monitoring.performance_rollup_hour.value_p95 IS 'The 95th percentile of the samples estimated from value_sketch (see performance_rollup_5min.value_p95). NULL when value_sketch is.';

CREATE TABLE monitoring.performance_rollup_minute (
    bucket timestamp with time zone NOT NULL,
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    component text NOT NULL,
    unit text NOT NULL,
    sample_count bigint NOT NULL,
    value_sum double precision NOT NULL,
    value_min double precision NOT NULL,
    value_max double precision NOT NULL,
    value_sketch bigint[],
    CONSTRAINT performance_rollup_minute_bucket_check CHECK ((bucket = date_bin('00:01:00'::interval, bucket, '2000-01-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT performance_rollup_minute_sample_count_check CHECK ((sample_count > 0))
)
PARTITION BY RANGE (bucket);

COMMENT ON TABLE monitoring.performance_rollup_minute IS 'Performance samples per minute (bucket = start of the UTC minute of recorded_at) and series: count, sum, min, max and value_sketch (counts per log-scale bucket, for percentiles); the mean is value_sum / sample_count. Rows below the rollup watermark are exact aggregates of performance_monitoring (monitoring.performance_minute_aggregate). Partitioned by day of bucket; kept retention.performance_rollup_minute_days.';

COMMENT ON COLUMN monitoring.performance_rollup_minute.value_sketch IS 'Counts of the samples per bucket of monitoring.value_sketch_key() (sign-aware log scale, relative error 2%; 0 for |value| < 2.2250738585072014e-308), one bigint per bucket with samples: key * 2^47 + count, in key order. Merge with monitoring.merge_value_sketches(), estimate percentiles with monitoring.estimate_value_percentile(). NULL for minutes rolled up before migration 0012.';

CREATE TABLE monitoring.performance_rollup_minute_default (
    bucket timestamp with time zone NOT NULL,
    metric_name text NOT NULL,
    metric_type text NOT NULL,
    component text NOT NULL,
    unit text NOT NULL,
    sample_count bigint NOT NULL,
    value_sum double precision NOT NULL,
    value_min double precision NOT NULL,
    value_max double precision NOT NULL,
    value_sketch bigint[],
    CONSTRAINT performance_rollup_minute_bucket_check CHECK ((bucket = date_bin('00:01:00'::interval, bucket, '2000-01-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT performance_rollup_minute_sample_count_check CHECK ((sample_count > 0))
);

CREATE TABLE monitoring.processing_metrics (
    task_id text NOT NULL,
    task_type text NOT NULL,
    worker_id text,
    status text DEFAULT 'running'::text NOT NULL,
    input_size bigint,
    output_size bigint,
    start_time timestamp with time zone NOT NULL,
    end_time timestamp with time zone,
    duration_seconds double precision,
    step_timings jsonb,
    metadata jsonb,
    CONSTRAINT processing_metrics_duration_seconds_check CHECK ((duration_seconds >= (0)::double precision)),
    CONSTRAINT processing_metrics_input_size_check CHECK ((input_size >= 0)),
    CONSTRAINT processing_metrics_output_size_check CHECK ((output_size >= 0)),
    CONSTRAINT processing_metrics_status_check CHECK ((status = ANY (ARRAY['running'::text, 'completed'::text, 'failed'::text, 'cancelled'::text, 'timeout'::text])))
)
PARTITION BY RANGE (start_time);

COMMENT ON TABLE monitoring.processing_metrics IS 'One row per task run: type, worker, status, sizes in bytes, start/end time, duration in seconds, step timings in seconds. Partitioned by day of start_time.';

CREATE TABLE monitoring.processing_metrics_default (
    task_id text NOT NULL,
    task_type text NOT NULL,
    worker_id text,
    status text DEFAULT 'running'::text NOT NULL,
    input_size bigint,
    output_size bigint,
    start_time timestamp with time zone NOT NULL,
    end_time timestamp with time zone,
    duration_seconds double precision,
    step_timings jsonb,
    metadata jsonb,
    CONSTRAINT processing_metrics_duration_seconds_check CHECK ((duration_seconds >= (0)::double precision)),
    CONSTRAINT processing_metrics_input_size_check CHECK ((input_size >= 0)),
    CONSTRAINT processing_metrics_output_size_check CHECK ((output_size >= 0)),
    CONSTRAINT processing_metrics_status_check CHECK ((status = ANY (ARRAY['running'::text, 'completed'::text, 'failed'::text, 'cancelled'::text, 'timeout'::text])))
);

CREATE TABLE monitoring.queue_monitoring (
    queue_name text NOT NULL,
    pending_count integer NOT NULL,
    processing_count integer DEFAULT 0 NOT NULL,
    completed_count integer DEFAULT 0 NOT NULL,
    failed_count integer DEFAULT 0 NOT NULL,
    oldest_pending_age_seconds double precision,
    recorded_at timestamp with time zone NOT NULL,
    CONSTRAINT queue_monitoring_counts_check CHECK (((pending_count >= 0) AND (processing_count >= 0) AND (completed_count >= 0) AND (failed_count >= 0))),
    CONSTRAINT queue_monitoring_oldest_pending_age_seconds_check CHECK ((oldest_pending_age_seconds >= (0)::double precision))
)
PARTITION BY RANGE (recorded_at);

COMMENT ON TABLE monitoring.queue_monitoring IS 'Queue samples from record_queue_stats(). completed_count and failed_count are what the reporter counted since its previous sample. Partitioned by day of recorded_at.';

CREATE TABLE monitoring.queue_monitoring_default (
    queue_name text NOT NULL,
    pending_count integer NOT NULL,
    processing_count integer DEFAULT 0 NOT NULL,
    completed_count integer DEFAULT 0 NOT NULL,
    failed_count integer DEFAULT 0 NOT NULL,
    oldest_pending_age_seconds double precision,
    recorded_at timestamp with time zone NOT NULL,
    CONSTRAINT queue_monitoring_counts_check CHECK (((pending_count >= 0) AND (processing_count >= 0) AND (completed_count >= 0) AND (failed_count >= 0))),
    CONSTRAINT queue_monitoring_oldest_pending_age_seconds_check CHECK ((oldest_pending_age_seconds >= (0)::double precision))
);

CREATE TABLE monitoring.system_health (
    component_type text NOT NULL,
    component_name text NOT NULL,
    status text NOT NULL,
    response_time_ms numeric,
    failure_reason text,
    details jsonb,
    last_check_at timestamp with time zone NOT NULL,
    status_since timestamp with time zone NOT NULL,
    last_healthy_at timestamp with time zone,
    outage_started_at timestamp with time zone,
    consecutive_failures integer DEFAULT 0 NOT NULL,
    check_count bigint DEFAULT 1 NOT NULL,
    CONSTRAINT system_health_response_time_ms_check CHECK ((response_time_ms >= (0)::numeric)),
    CONSTRAINT system_health_status_check CHECK ((status = ANY (ARRAY['healthy'::text, 'degraded'::text, 'unhealthy'::text])))
);

COMMENT ON TABLE monitoring.system_health IS 'Latest reported health of each component (one row per component_type, component_name). response_time_ms is in milliseconds, as in the original design.';

CREATE TABLE monitoring.system_health_history (
    component_type text NOT NULL,
    component_name text NOT NULL,
    previous_status text,
    status text NOT NULL,
    previous_status_seconds double precision,
    recovery_seconds double precision,
    response_time_ms numeric,
    failure_reason text,
    changed_at timestamp with time zone NOT NULL,
    CONSTRAINT system_health_history_status_check CHECK ((status = ANY (ARRAY['healthy'::text, 'degraded'::text, 'unhealthy'::text])))
)
PARTITION BY RANGE (changed_at);

COMMENT ON TABLE monitoring.system_health_history IS 'One row per status change of a component (and its first report): the basis for uptime and time to recovery. recovery_seconds is set on a return to healthy: the time since the component left healthy. Partitioned by day of changed_at.';

CREATE TABLE monitoring.system_health_history_default (
    component_type text NOT NULL,
    component_name text NOT NULL,
    previous_status text,
    status text NOT NULL,
    previous_status_seconds double precision,
    recovery_seconds double precision,
    response_time_ms numeric,
    failure_reason text,
    changed_at timestamp with time zone NOT NULL,
    CONSTRAINT system_health_history_status_check CHECK ((status = ANY (ARRAY['healthy'::text, 'degraded'::text, 'unhealthy'::text])))
);

CREATE TABLE monitoring.task_rollup_hour (
    bucket timestamp with time zone NOT NULL,
    task_type text NOT NULL,
    ended_count bigint NOT NULL,
    completed_count bigint NOT NULL,
    failed_count bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    duration_sum double precision NOT NULL,
    duration_min double precision,
    duration_max double precision,
    duration_buckets bigint[] NOT NULL,
    CONSTRAINT task_rollup_hour_bucket_check CHECK ((bucket = date_bin('01:00:00'::interval, bucket, '2000-01-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT task_rollup_hour_counts_check CHECK (((ended_count > 0) AND (completed_count >= 0) AND (failed_count >= 0) AND (cancelled_count >= 0) AND (ended_count = ((completed_count + failed_count) + cancelled_count))))
);

COMMENT ON TABLE monitoring.task_rollup_hour IS 'Tasks that ended in a UTC hour, per task type (the columns of task_rollup_minute), computed from task_rollup_minute. Kept retention.task_rollup_hour_days (deleted by cleanup_old_monitoring_data).';

CREATE TABLE monitoring.task_rollup_minute (
    bucket timestamp with time zone NOT NULL,
    task_type text NOT NULL,
    ended_count bigint NOT NULL,
    completed_count bigint NOT NULL,
    failed_count bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    duration_sum double precision NOT NULL,
    duration_min double precision,
    duration_max double precision,
    duration_buckets bigint[] NOT NULL,
    CONSTRAINT task_rollup_minute_bucket_check CHECK ((bucket = date_bin('00:01:00'::interval, bucket, '2000-01-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT task_rollup_minute_counts_check CHECK (((ended_count > 0) AND (completed_count >= 0) AND (failed_count >= 0) AND (cancelled_count >= 0) AND (ended_count = ((completed_count + failed_count) + cancelled_count))))
)
PARTITION BY RANGE (bucket);

COMMENT ON TABLE monitoring.task_rollup_minute IS 'Tasks that ended in a UTC minute (bucket = start of the minute of end_time), per task type: ended, completed, failed (failed + timeout, as the checks count them) and cancelled counts; duration sum, min and max in seconds; duration_buckets: counts per bucket of monitoring.task_duration_bounds(), from which monitoring.estimate_percentile() estimates percentiles. Partitioned by day of bucket; kept retention.task_rollup_minute_days.';

CREATE TABLE monitoring.task_rollup_minute_default (
    bucket timestamp with time zone NOT NULL,
    task_type text NOT NULL,
    ended_count bigint NOT NULL,
    completed_count bigint NOT NULL,
    failed_count bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    duration_sum double precision NOT NULL,
    duration_min double precision,
    duration_max double precision,
    duration_buckets bigint[] NOT NULL,
    CONSTRAINT task_rollup_minute_bucket_check CHECK ((bucket = date_bin('00:01:00'::interval, bucket, '2000-01-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT task_rollup_minute_counts_check CHECK (((ended_count > 0) AND (completed_count >= 0) AND (failed_count >= 0) AND (cancelled_count >= 0) AND (ended_count = ((completed_count + failed_count) + cancelled_count))))
);

CREATE TABLE monitoring_internal.rule_groups (
    rule_name text NOT NULL,
    group_key text NOT NULL,
    group_labels jsonb NOT NULL,
    state text NOT NULL,
    severity text,
    value double precision,
    threshold double precision,
    breached_since timestamp with time zone,
    last_breach_at timestamp with time zone,
    last_data_at timestamp with time zone,
    evaluated_at timestamp with time zone NOT NULL,
    alert_id bigint,
    CONSTRAINT rule_groups_state_check CHECK ((state = ANY (ARRAY['inactive'::text, 'pending'::text, 'firing'::text])))
);

COMMENT ON TABLE monitoring_internal.rule_groups IS 'Evaluator state per rule and group (group_key = the group''s label values): inactive, pending since breached_since, or firing as alert_id; the last value, severity and data time (for no_data = keep_last).';

CREATE VIEW monitoring.v_active_alerts AS
 SELECT u.alert_id,
    u.alert_type,
    u.severity,
    u.status,
    u.subject,
    u.title,
    u.message,
    u.current_value,
    u.threshold_value,
    u.occurrence_count,
    u.triggered_at,
    u.triggered_by,
    u.last_seen_at,
    u.severity_changed_at,
    u.acknowledged_at,
    u.acknowledged_by,
    u.age_seconds,
    u.alert_key,
    u.details,
    u.rule_name,
    u.labels,
    u.annotations,
    u.fingerprint,
    u.state,
    u.breached_at,
    u.component
   FROM ( SELECT a.alert_id,
            a.alert_type,
            a.severity,
            a.status,
            a.subject,
            a.title,
            a.message,
            a.current_value,
            a.threshold_value,
            a.occurrence_count,
            a.triggered_at,
            a.triggered_by,
            a.last_seen_at,
            a.severity_changed_at,
            a.acknowledged_at,
            a.acknowledged_by,
            (EXTRACT(epoch FROM (now() - a.triggered_at)))::double precision AS age_seconds,
            a.alert_key,
            a.details,
            a.rule_name,
            a.labels,
            a.annotations,
            a.fingerprint,
            'firing'::text AS state,
            a.breached_at,
            a.component
           FROM monitoring.alerts a
          WHERE (a.resolved_at IS NULL)
        UNION ALL
         SELECT NULL::bigint AS int8,
            g.rule_name,
            g.severity,
            'pending'::text,
            COALESCE(NULLIF(array_to_string(ARRAY( SELECT (g.group_labels ->>
                        CASE
                            WHEN (x.g ~~ 'tags.%'::text) THEN substr(x.g, 6)
                            ELSE x.g
                        END)
                   FROM unnest(r.group_by) WITH ORDINALITY x(g, n)
                  ORDER BY x.n), '/'::text), ''::text), 'all'::text) AS "coalesce",
            format('%s: pending'::text, g.rule_name) AS format,
            format('%s holds for %s s of the %s s it must hold to fire'::text, g.rule_name, round(EXTRACT(epoch FROM (now() - g.breached_since))), r.for_seconds) AS format,
            g.value,
            g.threshold,
            0,
            g.breached_since,
            NULL::text AS text,
            g.evaluated_at,
            NULL::timestamp with time zone AS timestamptz,
            NULL::timestamp with time zone AS timestamptz,
            NULL::text AS text,
            (EXTRACT(epoch FROM (now() - g.breached_since)))::double precision AS "extract",
            NULL::text AS text,
            jsonb_build_object('group', g.group_labels) AS jsonb_build_object,
            g.rule_name,
            (g.group_labels || jsonb_build_object('alertname', g.rule_name, 'severity', g.severity)),
            NULL::jsonb AS jsonb,
            NULL::text AS text,
            'pending'::text,
            g.breached_since,
            (g.group_labels ->> 'component'::text)
           FROM (monitoring_internal.rule_groups g
             JOIN monitoring.alert_rules r ON ((r.rule_name = g.rule_name)))
          WHERE (g.state = 'pending'::text)) u
  ORDER BY u.state,
        CASE u.severity
            WHEN 'critical'::text THEN 4
            WHEN 'high'::text THEN 3
            WHEN 'medium'::text THEN 2
            ELSE 1
        END DESC, u.triggered_at;

COMMENT ON VIEW monitoring.v_active_alerts IS 'Open alerts (state firing: active or acknowledged), most severe first, then pending rule groups (state pending, no alert_id): what is wrong now, since when, who raised it, who acknowledged it, its labels and Alertmanager fingerprint.';

CREATE VIEW monitoring.v_alert_history AS
 SELECT e.event_id,
    e.occurred_at,
    a.alert_id,
    a.alert_type,
    a.rule_name,
    a.subject,
    a.labels,
    a.fingerprint,
        CASE e.event_type
            WHEN 'triggered'::text THEN 'firing'::text
            ELSE e.event_type
        END AS transition,
    e.previous_severity,
    e.severity,
    e.current_value AS value,
    e.actor,
    e.note,
    a.breached_at,
    a.triggered_at,
    a.resolved_at,
    (EXTRACT(epoch FROM (a.triggered_at - a.breached_at)))::double precision AS seconds_to_detect,
    (EXTRACT(epoch FROM (a.resolved_at - a.triggered_at)))::double precision AS seconds_to_resolve
   FROM (monitoring.alert_events e
     JOIN monitoring.alerts a ON ((a.alert_id = e.alert_id)))
  ORDER BY e.occurred_at DESC, e.event_id DESC;

COMMENT ON VIEW monitoring.v_alert_history IS 'Every alert transition (firing, severity_changed, acknowledged, resolved) with its value and actor; seconds_to_detect (condition first held to firing) and seconds_to_resolve (firing to resolved) per alert, for MTTD and MTTR.';

CREATE TABLE monitoring_internal.shipped_alert_rules (
    rule_name text NOT NULL
);

COMMENT ON TABLE monitoring_internal.shipped_alert_rules IS 'Names of the alert rules of the shipped config (config/monitoring_config.json), refreshed by pgvigil migrate.';

CREATE VIEW monitoring.v_alert_rules AS
 SELECT r.rule_name,
    r.description,
    r.enabled,
    COALESCE(r.source_kind, 'composite'::text) AS source_kind,
    r.source_filter,
    r.aggregate,
    r.window_seconds,
    r.group_by,
    r.comparison,
    r.thresholds,
    r.composite_match,
    r.for_seconds,
    r.keep_firing_for_seconds,
    r.no_data,
    r.labels,
    r.annotations,
    ( SELECT count(*) AS count
           FROM monitoring_internal.rule_groups g
          WHERE ((g.rule_name = r.rule_name) AND (g.state = 'pending'::text))) AS pending_groups,
    ( SELECT count(*) AS count
           FROM monitoring.alerts a
          WHERE ((a.rule_name = r.rule_name) AND (a.resolved_at IS NULL))) AS firing_alerts,
    (EXISTS ( SELECT
           FROM monitoring_internal.shipped_alert_rules s
          WHERE (s.rule_name = r.rule_name))) AS shipped,
    r.definition,
    r.updated_at
   FROM monitoring.alert_rules r
  ORDER BY r.rule_name;

COMMENT ON VIEW monitoring.v_alert_rules IS 'The alert rules of the active config, compiled (durations in seconds), with their pending groups and firing alerts now, and whether pgvigil ships them.';

CREATE TABLE monitoring_internal.api_keys (
    key_id bigint NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    key_hash bytea NOT NULL,
    key_prefix text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text NOT NULL,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    revoked_by text,
    last_used_at timestamp with time zone,
    CONSTRAINT api_keys_key_hash_check CHECK ((octet_length(key_hash) = 32)),
    CONSTRAINT api_keys_role_check CHECK ((role = ANY (ARRAY['viewer'::text, 'operator'::text, 'admin'::text])))
);

COMMENT ON TABLE monitoring_internal.api_keys IS 'API keys of pgvigil serve: name, role (viewer, operator, admin), the SHA-256 of the key and its first characters (to recognise it), expiry and revocation. Read through monitoring.v_api_keys (no hashes).';

CREATE VIEW monitoring.v_api_keys AS
 SELECT k.key_id,
    k.name,
    k.role,
    k.key_prefix,
        CASE
            WHEN (k.revoked_at IS NOT NULL) THEN 'revoked'::text
            WHEN ((k.expires_at IS NOT NULL) AND (k.expires_at <= now())) THEN 'expired'::text
            ELSE 'active'::text
        END AS state,
    k.created_at,
    k.created_by,
    k.expires_at,
    k.last_used_at,
    k.revoked_at,
    k.revoked_by
   FROM monitoring_internal.api_keys k;

COMMENT ON VIEW monitoring.v_api_keys IS 'API keys without their hashes: name, role, key prefix, state (active, expired, revoked), created, last used, expiry and revocation.';

CREATE VIEW monitoring.v_components AS
 SELECT c.component,
    c.component_type,
    c.labels,
    c.criticality,
    c.depends_on,
    c.description,
    h.status AS health_status,
    h.status_since AS health_status_since,
    h.failure_reason,
    h.response_time_ms,
    GREATEST(c.last_seen_at, h.last_check_at) AS last_report_at,
    COALESCE(a.open_alerts, (0)::bigint) AS open_alerts,
    a.top_severity,
    c.seen_in,
    c.first_seen_at,
    c.updated_at
   FROM ((monitoring.components c
     LEFT JOIN LATERAL ( SELECT s.status,
            s.status_since,
            s.failure_reason,
            s.response_time_ms,
            s.last_check_at
           FROM monitoring.system_health s
          WHERE (s.component_name = c.component)
          ORDER BY
                CASE s.status
                    WHEN 'unhealthy'::text THEN 0
                    WHEN 'degraded'::text THEN 1
                    ELSE 2
                END, s.last_check_at DESC
         LIMIT 1) h ON (true))
     LEFT JOIN LATERAL ( SELECT count(*) AS open_alerts,
            (array_agg(x.severity ORDER BY
                CASE x.severity
                    WHEN 'critical'::text THEN 0
                    WHEN 'high'::text THEN 1
                    WHEN 'medium'::text THEN 2
                    ELSE 3
                END))[1] AS top_severity
           FROM monitoring.alerts x
          WHERE ((x.component = c.component) AND (x.resolved_at IS NULL))) a ON (true))
  ORDER BY c.component;

COMMENT ON VIEW monitoring.v_components IS 'Registered components: type, labels, criticality, depends_on, current health, open alerts and their top severity, last report.';

CREATE VIEW monitoring.v_error_summary AS
 SELECT date_bin('01:00:00'::interval, e.occurred_at, '2000-01-01 00:00:00+00'::timestamp with time zone) AS "time",
    e.component,
    e.error_type,
    e.severity,
    count(*) AS error_count,
    count(DISTINCT e.task_id) AS affected_tasks,
    max(e.occurred_at) AS last_occurred_at,
    (array_agg(e.message ORDER BY e.occurred_at DESC))[1] AS latest_message
   FROM monitoring.error_tracking e
  WHERE (e.occurred_at > (now() - '24:00:00'::interval))
  GROUP BY (date_bin('01:00:00'::interval, e.occurred_at, '2000-01-01 00:00:00+00'::timestamp with time zone)), e.component, e.error_type, e.severity
  ORDER BY (date_bin('01:00:00'::interval, e.occurred_at, '2000-01-01 00:00:00+00'::timestamp with time zone)) DESC, (count(*)) DESC;

COMMENT ON VIEW monitoring.v_error_summary IS 'Errors of the last 24 hours per hour ("time", for Grafana), component, error type and severity: count, distinct tasks affected, last occurrence and the latest message.';

CREATE VIEW monitoring.v_escalations AS
 SELECT e.escalation_id,
    e.alert_id,
    a.severity,
    a.subject,
    a.title,
    a.labels,
    e.policy_name,
    e.status,
    e.started_at,
    e.cycle,
        CASE
            WHEN (e.status = 'active'::text) THEN (((e.policy -> 'tiers'::text) -> e.next_tier) ->> 'receiver'::text)
            ELSE NULL::text
        END AS next_receiver,
        CASE
            WHEN (e.status = 'active'::text) THEN e.next_at
            ELSE NULL::timestamp with time zone
        END AS next_page_at,
        CASE
            WHEN (e.status = 'acknowledged'::text) THEN e.next_at
            ELSE NULL::timestamp with time zone
        END AS acknowledgement_expires_at,
    (((e.policy -> 'tiers'::text) -> e.last_notified_tier) ->> 'receiver'::text) AS last_paged_receiver,
    e.last_notified_at AS last_paged_at,
    e.notifications_sent AS pages,
    e.acknowledged_at,
    a.acknowledged_by,
    e.policy
   FROM (monitoring.escalations e
     JOIN monitoring.alerts a ON ((a.alert_id = e.alert_id)))
  WHERE ((e.status <> 'resolved'::text) AND (a.resolved_at IS NULL))
  ORDER BY e.next_at, e.escalation_id;

COMMENT ON VIEW monitoring.v_escalations IS 'Escalations in flight: per open alert and policy, its state, whom it pages next and when, whom it paged last, acknowledgement, and the policy snapshot it follows.';

CREATE VIEW monitoring.v_notification_log AS
 SELECT n.notification_id,
    n.created_at,
    n.receiver,
    n.integration,
    n.integration_index,
    n.reason,
    n.status,
    n.attempts,
    n.delivered_at,
    n.next_attempt_at,
    n.last_error,
    n.group_key,
    (n.payload ->> 'status'::text) AS payload_status,
    jsonb_array_length((n.payload -> 'alerts'::text)) AS alerts,
    n.idempotency_key,
    n.summary_id,
    (EXTRACT(epoch FROM (n.delivered_at - n.created_at)))::double precision AS delivery_seconds,
    a.status_code AS last_status_code,
    a.latency_ms AS last_latency_ms
   FROM (monitoring.notifications n
     LEFT JOIN LATERAL ( SELECT x.status_code,
            x.latency_ms
           FROM monitoring.notification_attempts x
          WHERE (x.notification_id = n.notification_id)
          ORDER BY x.attempt DESC
         LIMIT 1) a ON (true))
  ORDER BY
        CASE n.status
            WHEN 'failed'::text THEN 0
            WHEN 'pending'::text THEN 1
            WHEN 'held'::text THEN 2
            ELSE 3
        END, n.created_at DESC, n.notification_id DESC;

COMMENT ON VIEW monitoring.v_notification_log IS 'The delivery log: each notification (receiver, integration, why, status, attempts, last error and status code, delivery time), failures first.';

CREATE TABLE monitoring_internal.notification_config (
    config_id boolean DEFAULT true NOT NULL,
    notifications jsonb NOT NULL,
    CONSTRAINT notification_config_config_id_check CHECK (config_id)
);

COMMENT ON TABLE monitoring_internal.notification_config IS 'The notifications section of the active config (route, receivers, inhibit_rules, time_intervals), kept by apply_config() for the router.';

CREATE VIEW monitoring.v_notification_receivers AS
 SELECT r.receiver,
    r.integrations,
    COALESCE(s.pending, (0)::bigint) AS pending,
    COALESCE(s.delivered_24h, (0)::bigint) AS delivered_24h,
    COALESCE(s.failed_24h, (0)::bigint) AS failed_24h,
    COALESCE(s.held_24h, (0)::bigint) AS held_24h,
    COALESCE(s.retried_attempts_24h, (0)::bigint) AS retried_attempts_24h,
    s.delivery_p50_seconds,
    s.delivery_max_seconds,
    s.last_delivered_at,
    s.oldest_pending_at,
    e.last_error,
    e.last_error_at
   FROM ((( SELECT (x.value ->> 'name'::text) AS receiver,
            ARRAY( SELECT k.k
                   FROM unnest(ARRAY['webhook_configs'::text, 'slack_configs'::text, 'msteamsv2_configs'::text, 'email_configs'::text, 'pagerduty_configs'::text]) k(k)
                  WHERE (jsonb_array_length(COALESCE((x.value -> k.k), '[]'::jsonb)) > 0)) AS integrations
           FROM monitoring_internal.notification_config c,
            LATERAL jsonb_array_elements((c.notifications -> 'receivers'::text)) x(value)) r
     LEFT JOIN LATERAL ( SELECT count(*) FILTER (WHERE (n.status = 'pending'::text)) AS pending,
            count(*) FILTER (WHERE ((n.status = 'delivered'::text) AND (n.delivered_at > (now() - '24:00:00'::interval)))) AS delivered_24h,
            count(*) FILTER (WHERE ((n.status = 'failed'::text) AND (n.created_at > (now() - '24:00:00'::interval)))) AS failed_24h,
            count(*) FILTER (WHERE ((n.status = 'held'::text) AND (n.created_at > (now() - '24:00:00'::interval)))) AS held_24h,
            sum(GREATEST((n.attempts - 1), 0)) FILTER (WHERE (n.created_at > (now() - '24:00:00'::interval))) AS retried_attempts_24h,
            percentile_cont((0.5)::double precision) WITHIN GROUP (ORDER BY ((EXTRACT(epoch FROM (n.delivered_at - n.created_at)))::double precision)) FILTER (WHERE (n.delivered_at > (now() - '24:00:00'::interval))) AS delivery_p50_seconds,
            max(EXTRACT(epoch FROM (n.delivered_at - n.created_at))) FILTER (WHERE (n.delivered_at > (now() - '24:00:00'::interval))) AS delivery_max_seconds,
            max(n.delivered_at) AS last_delivered_at,
            min(n.created_at) FILTER (WHERE (n.status = 'pending'::text)) AS oldest_pending_at
           FROM monitoring.notifications n
          WHERE ((n.receiver = r.receiver) AND ((n.status = 'pending'::text) OR (n.created_at > (now() - '24:00:00'::interval))))) s ON (true))
     LEFT JOIN LATERAL ( SELECT n.last_error,
            a.attempted_at AS last_error_at
           FROM (monitoring.notifications n
             JOIN monitoring.notification_attempts a USING (notification_id))
          WHERE ((n.receiver = r.receiver) AND (a.outcome <> 'delivered'::text))
          ORDER BY a.attempted_at DESC
         LIMIT 1) e ON (true))
  ORDER BY r.receiver;

COMMENT ON VIEW monitoring.v_notification_receivers IS 'Delivery health per configured receiver over 24 hours: pending, delivered, failed, held back by flood control, retries, delivery p50 and max seconds, last delivery and last error.';

CREATE VIEW monitoring.v_performance_history AS
 SELECT h.bucket AS "time",
    h.metric_name,
    h.metric_type,
    h.component,
    h.unit,
    h.sample_count AS samples,
    (h.value_sum / (h.sample_count)::double precision) AS avg_value,
    h.value_min AS min_value,
    h.value_max AS max_value,
    h.value_p95 AS p95_value
   FROM monitoring.performance_rollup_hour h
  WHERE ((h.bucket >= date_bin('01:00:00'::interval, (now() - '365 days'::interval), '2000-01-01 00:00:00+00'::timestamp with time zone)) AND (h.bucket < date_bin('01:00:00'::interval, monitoring.rollup_boundary('performance_monitoring'::text), '2000-01-01 00:00:00+00'::timestamp with time zone)))
UNION ALL
 SELECT t.bucket AS "time",
    t.metric_name,
    t.metric_type,
    t.component,
    t.unit,
    t.sample_count AS samples,
    (t.value_sum / (t.sample_count)::double precision) AS avg_value,
    t.value_min AS min_value,
    t.value_max AS max_value,
    t.value_percentile AS p95_value
   FROM monitoring.performance_tail(date_bin('01:00:00'::interval, (now() - '365 days'::interval), '2000-01-01 00:00:00+00'::timestamp with time zone), '01:00:00'::interval, (0.95)::double precision) t(bucket, metric_name, metric_type, component, unit, sample_count, value_sum, value_min, value_max, value_percentile)
  ORDER BY 1 DESC, 2, 4;

COMMENT ON VIEW monitoring.v_performance_history IS 'Performance samples of the last 365 days per UTC hour ("time", for Grafana), metric, type, component and unit: count, mean, min, max, and p95_value, the 95th percentile estimated from the value sketches (within 2%, as in v_performance_trends; NULL for hours rolled up before the sketches existed). Complete up to now: hour rollups, then minute rollups and raw samples for the newest minutes.';

CREATE VIEW monitoring.v_performance_trends AS
 SELECT b."time",
    b.metric_name,
    b.metric_type,
    b.component,
    b.unit,
    b.samples,
    b.avg_value,
    b.min_value,
    b.max_value,
    b.p95_value
   FROM ( SELECT false AS from_tail,
            f.bucket AS "time",
            f.metric_name,
            f.metric_type,
            f.component,
            f.unit,
            f.sample_count AS samples,
            (f.value_sum / (f.sample_count)::double precision) AS avg_value,
            f.value_min AS min_value,
            f.value_max AS max_value,
            f.value_p95 AS p95_value
           FROM monitoring.performance_rollup_5min f
        UNION ALL
         SELECT true,
            t.bucket,
            t.metric_name,
            t.metric_type,
            t.component,
            t.unit,
            t.sample_count,
            (t.value_sum / (t.sample_count)::double precision),
            t.value_min,
            t.value_max,
            t.value_percentile
           FROM monitoring.performance_tail(date_bin('00:05:00'::interval, (now() - '24:00:00'::interval), '2000-01-01 00:00:00+00'::timestamp with time zone), '00:05:00'::interval, (0.95)::double precision) t(bucket, metric_name, metric_type, component, unit, sample_count, value_sum, value_min, value_max, value_percentile)) b
  WHERE (b.from_tail OR ((b."time" >= date_bin('00:05:00'::interval, (now() - '24:00:00'::interval), '2000-01-01 00:00:00+00'::timestamp with time zone)) AND (b."time" < date_bin('00:05:00'::interval, monitoring.rollup_boundary('performance_monitoring'::text), '2000-01-01 00:00:00+00'::timestamp with time zone))))
  ORDER BY b."time" DESC, b.metric_name, b.component;

COMMENT ON VIEW monitoring.v_performance_trends IS 'Performance samples of the last 24 hours in 5-minute buckets ("time", for Grafana; the first bucket is the whole one holding now - 24 h) per metric, type, component and unit: count, mean, min, max, and p95_value, the 95th percentile (as percentile_cont) estimated from the rollups'' value sketches: within 2% of the exact value (when the two samples it interpolates between do not have opposite signs; else within 2% of the larger magnitude). p95_value is NULL for buckets rolled up before the sketches existed (upgrade to 0012). Complete up to now: 5-minute and minute rollups below the rollup watermark, raw samples after it.';

CREATE VIEW monitoring.v_queue_performance AS
 SELECT date_bin('00:05:00'::interval, q.recorded_at, '2000-01-01 00:00:00+00'::timestamp with time zone) AS "time",
    q.queue_name,
    count(*) AS samples,
    round(avg(q.pending_count), 1) AS avg_pending,
    max(q.pending_count) AS max_pending,
    (array_agg(q.pending_count ORDER BY q.recorded_at DESC))[1] AS last_pending,
    round(avg(q.processing_count), 1) AS avg_processing,
    sum(q.completed_count) AS completed,
    sum(q.failed_count) AS failed,
    round(((sum(q.completed_count))::numeric / 5.0), 2) AS completed_per_minute,
    max(q.oldest_pending_age_seconds) AS max_oldest_pending_age_seconds
   FROM monitoring.queue_monitoring q
  WHERE (q.recorded_at > (now() - '24:00:00'::interval))
  GROUP BY (date_bin('00:05:00'::interval, q.recorded_at, '2000-01-01 00:00:00+00'::timestamp with time zone)), q.queue_name
  ORDER BY (date_bin('00:05:00'::interval, q.recorded_at, '2000-01-01 00:00:00+00'::timestamp with time zone)) DESC, q.queue_name;

COMMENT ON VIEW monitoring.v_queue_performance IS 'Queues over the last 24 hours in 5-minute buckets ("time", for Grafana): pending (mean, max, last), processing, items completed and failed in the bucket, completed per minute, oldest pending age in seconds.';

CREATE TABLE monitoring_internal.running_tasks (
    task_id text NOT NULL,
    task_type text NOT NULL,
    worker_id text,
    start_time timestamp with time zone NOT NULL
);

COMMENT ON TABLE monitoring_internal.running_tasks IS 'Tasks started and not yet completed. Small and hot: complete_task_tracking() and the stuck-task check read it instead of the history.';

CREATE VIEW monitoring.v_realtime_processing_status AS
 WITH ended AS (
         SELECT m.task_type,
            count(*) FILTER (WHERE (m.status = 'completed'::text)) AS completed_last_hour,
            count(*) FILTER (WHERE (m.status = ANY (ARRAY['failed'::text, 'timeout'::text]))) AS failed_last_hour,
            count(*) FILTER (WHERE (m.status = 'cancelled'::text)) AS cancelled_last_hour,
            count(*) AS ended_last_hour,
            avg(m.duration_seconds) AS avg_duration_seconds,
            percentile_cont((0.95)::double precision) WITHIN GROUP (ORDER BY m.duration_seconds) AS p95_duration_seconds,
            max(m.end_time) AS last_ended_at
           FROM monitoring.processing_metrics m
          WHERE ((m.end_time > (now() - '01:00:00'::interval)) AND (m.end_time <= now()))
          GROUP BY m.task_type
        ), running AS (
         SELECT r_1.task_type,
            count(*) AS running_count,
            (EXTRACT(epoch FROM (now() - min(r_1.start_time))))::double precision AS oldest_running_seconds
           FROM monitoring_internal.running_tasks r_1
          GROUP BY r_1.task_type
        )
 SELECT COALESCE(e.task_type, r.task_type) AS task_type,
    COALESCE(r.running_count, (0)::bigint) AS running_count,
    r.oldest_running_seconds,
    COALESCE(e.completed_last_hour, (0)::bigint) AS completed_last_hour,
    COALESCE(e.failed_last_hour, (0)::bigint) AS failed_last_hour,
    COALESCE(e.cancelled_last_hour, (0)::bigint) AS cancelled_last_hour,
    round(((COALESCE(e.ended_last_hour, (0)::bigint))::numeric / 60.0), 2) AS throughput_per_minute,
        CASE
            WHEN (e.ended_last_hour > 0) THEN round(((e.failed_last_hour)::numeric / (e.ended_last_hour)::numeric), 4)
            ELSE NULL::numeric
        END AS failure_ratio,
    e.avg_duration_seconds,
    e.p95_duration_seconds,
    e.last_ended_at
   FROM (ended e
     FULL JOIN running r ON ((r.task_type = e.task_type)))
  ORDER BY COALESCE(e.task_type, r.task_type);

COMMENT ON VIEW monitoring.v_realtime_processing_status IS 'Per task type, now: tasks running (and the oldest one''s age in seconds) and, over tasks that ended in the last hour, completed/failed/cancelled counts, throughput per minute, failure ratio (failed + timeout over ended, 0 to 1), mean and p95 duration in seconds.';

CREATE VIEW monitoring.v_silences AS
 SELECT s.silence_id,
        CASE
            WHEN (s.ends_at <= now()) THEN 'expired'::text
            WHEN (s.starts_at > now()) THEN 'pending'::text
            ELSE 'active'::text
        END AS state,
    ( SELECT string_agg((((((x.m ->> 'name'::text) || (x.m ->> 'op'::text)) || '"'::text) || replace(replace((x.m ->> 'value'::text), '\'::text, '\\'::text), '"'::text, '\"'::text)) || '"'::text), ', '::text ORDER BY x.n) AS string_agg
           FROM jsonb_array_elements(s.matchers) WITH ORDINALITY x(m, n)) AS matchers_text,
    s.matchers,
    s.starts_at,
    s.ends_at,
    s.created_by,
    s.comment,
    s.created_at,
    s.updated_at,
    COALESCE(h.alerts, (0)::bigint) AS suppressed_alerts,
    COALESCE(h.notifications, (0)::bigint) AS suppressed_notifications,
    h.last_suppressed_at
   FROM (monitoring.silences s
     LEFT JOIN LATERAL ( SELECT count(DISTINCT x.alert_id) AS alerts,
            sum(x.notifications) AS notifications,
            max(x.last_suppressed_at) AS last_suppressed_at
           FROM monitoring.notification_suppressions x
          WHERE (x.silence_id = s.silence_id)) h ON (true))
  ORDER BY (s.ends_at <= now()), s.starts_at DESC;

COMMENT ON VIEW monitoring.v_silences IS 'Silences: state (pending, active, expired), matchers as amtool writes them, times, creator, comment, and the alerts and notifications each held back.';

CREATE VIEW monitoring.v_system_health_summary AS
 WITH changes AS (
         SELECT hh.component_type,
            hh.component_name,
            count(*) FILTER (WHERE (hh.previous_status IS NOT NULL)) AS status_changes_24h,
            avg(hh.recovery_seconds) AS mean_time_to_recovery_seconds
           FROM monitoring.system_health_history hh
          WHERE (hh.changed_at > (now() - '24:00:00'::interval))
          GROUP BY hh.component_type, hh.component_name
        )
 SELECT h.component_type,
    h.component_name,
    h.status,
    h.status_since,
    (EXTRACT(epoch FROM (now() - h.status_since)))::double precision AS seconds_in_status,
    h.last_check_at,
    h.response_time_ms,
    h.failure_reason,
    h.consecutive_failures,
    h.last_healthy_at,
    u.uptime_ratio AS uptime_ratio_24h,
    COALESCE(c.status_changes_24h, (0)::bigint) AS status_changes_24h,
    c.mean_time_to_recovery_seconds
   FROM ((monitoring.system_health h
     LEFT JOIN monitoring.component_uptime_report((now() - '24:00:00'::interval), now()) u(component_type, component_name, observed_seconds, healthy_seconds, degraded_seconds, unhealthy_seconds, uptime_ratio, incidents, mean_time_to_recovery_seconds) USING (component_type, component_name))
     LEFT JOIN changes c USING (component_type, component_name))
  ORDER BY
        CASE h.status
            WHEN 'unhealthy'::text THEN 0
            WHEN 'degraded'::text THEN 1
            ELSE 2
        END, h.component_type, h.component_name;

COMMENT ON VIEW monitoring.v_system_health_summary IS 'Per component: current status and since when, latest response time (ms) and failure reason, uptime over the last 24 h (share of observed time healthy, 0 to 1), status changes and mean time to recovery (seconds from leaving healthy to returning) in the last 24 h.';

CREATE VIEW monitoring.v_task_history AS
 SELECT h.bucket AS "time",
    h.task_type,
    h.ended_count AS ended,
    h.completed_count AS completed,
    h.failed_count AS failed,
    h.cancelled_count AS cancelled,
    round(((h.ended_count)::numeric / 60.0), 2) AS throughput_per_minute,
    round(((h.failed_count)::numeric / (h.ended_count)::numeric), 4) AS failure_ratio,
    (h.duration_sum / (h.ended_count)::double precision) AS avg_duration_seconds,
    h.duration_min AS min_duration_seconds,
    h.duration_max AS max_duration_seconds,
    monitoring.estimate_percentile(h.duration_buckets, (0.5)::double precision) AS p50_duration_seconds,
    monitoring.estimate_percentile(h.duration_buckets, (0.95)::double precision) AS p95_duration_seconds
   FROM monitoring.task_rollup_hour h
  WHERE ((h.bucket >= date_bin('01:00:00'::interval, (now() - '365 days'::interval), '2000-01-01 00:00:00+00'::timestamp with time zone)) AND (h.bucket < date_bin('01:00:00'::interval, monitoring.rollup_boundary('processing_metrics'::text), '2000-01-01 00:00:00+00'::timestamp with time zone)))
UNION ALL
 SELECT t.bucket AS "time",
    t.task_type,
    t.ended_count AS ended,
    t.completed_count AS completed,
    t.failed_count AS failed,
    t.cancelled_count AS cancelled,
    round(((t.ended_count)::numeric / 60.0), 2) AS throughput_per_minute,
    round(((t.failed_count)::numeric / (t.ended_count)::numeric), 4) AS failure_ratio,
    (t.duration_sum / (t.ended_count)::double precision) AS avg_duration_seconds,
    t.duration_min AS min_duration_seconds,
    t.duration_max AS max_duration_seconds,
    monitoring.estimate_percentile(t.duration_buckets, (0.5)::double precision) AS p50_duration_seconds,
    monitoring.estimate_percentile(t.duration_buckets, (0.95)::double precision) AS p95_duration_seconds
   FROM monitoring.task_tail(date_bin('01:00:00'::interval, (now() - '365 days'::interval), '2000-01-01 00:00:00+00'::timestamp with time zone), '01:00:00'::interval) t(bucket, task_type, ended_count, completed_count, failed_count, cancelled_count, duration_sum, duration_min, duration_max, duration_buckets)
  ORDER BY 1 DESC, 2;

COMMENT ON VIEW monitoring.v_task_history IS 'Tasks that ended in the last 365 days, per UTC hour ("time", for Grafana) and task type: the columns of v_task_trends (throughput per minute over the hour). Complete up to now: hour rollups, then minute rollups and raw tasks for the newest minutes.';

CREATE VIEW monitoring.v_task_trends AS
 SELECT b."time",
    b.task_type,
    (sum(b.ended_count))::bigint AS ended,
    (sum(b.completed_count))::bigint AS completed,
    (sum(b.failed_count))::bigint AS failed,
    (sum(b.cancelled_count))::bigint AS cancelled,
    round((sum(b.ended_count) / 5.0), 2) AS throughput_per_minute,
    round((sum(b.failed_count) / sum(b.ended_count)), 4) AS failure_ratio,
    (sum(b.duration_sum) / (sum(b.ended_count))::double precision) AS avg_duration_seconds,
    min(b.duration_min) AS min_duration_seconds,
    max(b.duration_max) AS max_duration_seconds,
    monitoring.estimate_percentile(monitoring.sum_bucket_counts(b.duration_buckets), (0.5)::double precision) AS p50_duration_seconds,
    monitoring.estimate_percentile(monitoring.sum_bucket_counts(b.duration_buckets), (0.95)::double precision) AS p95_duration_seconds
   FROM ( SELECT date_bin('00:05:00'::interval, r.bucket, '2000-01-01 00:00:00+00'::timestamp with time zone) AS "time",
            r.task_type,
            r.ended_count,
            r.completed_count,
            r.failed_count,
            r.cancelled_count,
            r.duration_sum,
            r.duration_min,
            r.duration_max,
            r.duration_buckets
           FROM monitoring.task_rollup_minute r
          WHERE ((r.bucket >= date_bin('00:05:00'::interval, (now() - '24:00:00'::interval), '2000-01-01 00:00:00+00'::timestamp with time zone)) AND (r.bucket < date_bin('00:05:00'::interval, monitoring.rollup_boundary('processing_metrics'::text), '2000-01-01 00:00:00+00'::timestamp with time zone)))
        UNION ALL
         SELECT t.bucket,
            t.task_type,
            t.ended_count,
            t.completed_count,
            t.failed_count,
            t.cancelled_count,
            t.duration_sum,
            t.duration_min,
            t.duration_max,
            t.duration_buckets
           FROM monitoring.task_tail(date_bin('00:05:00'::interval, (now() - '24:00:00'::interval), '2000-01-01 00:00:00+00'::timestamp with time zone), '00:05:00'::interval) t(bucket, task_type, ended_count, completed_count, failed_count, cancelled_count, duration_sum, duration_min, duration_max, duration_buckets)) b
  GROUP BY b."time", b.task_type
  ORDER BY b."time" DESC, b.task_type;

COMMENT ON VIEW monitoring.v_task_trends IS 'Tasks that ended in the last 24 hours, per 5-minute bucket ("time", for Grafana; the first bucket is the whole one holding now - 24 h) and task type: ended, completed, failed (failed + timeout), cancelled, throughput per minute, failure ratio (0 to 1), mean, min and max duration in seconds, and p50/p95 duration estimated from the duration buckets (monitoring.estimate_percentile: exact to within the bucket holding the percentile). Complete up to now: minute rollups below the rollup watermark, raw tasks after it.';

CREATE TABLE monitoring_internal.web_sessions (
    session_id bigint NOT NULL,
    token_hash bytea NOT NULL,
    key_id bigint,
    user_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT web_sessions_expires_at_check CHECK ((expires_at > created_at)),
    CONSTRAINT web_sessions_principal_check CHECK ((num_nonnulls(key_id, user_id) = 1)),
    CONSTRAINT web_sessions_token_hash_check CHECK ((octet_length(token_hash) = 32))
);

COMMENT ON TABLE monitoring_internal.web_sessions IS 'Login sessions of pgvigil serve''s web dashboard: the SHA-256 of the cookie''s token, the API key or web user it belongs to (exactly one), created, expiry and when it was ended. No role may read it.';

CREATE TABLE monitoring_internal.web_users (
    user_id bigint NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text NOT NULL,
    disabled_at timestamp with time zone,
    disabled_by text,
    last_login_at timestamp with time zone,
    CONSTRAINT web_users_name_check CHECK ((((length(name) >= 1) AND (length(name) <= 200)) AND (name = btrim(name)))),
    CONSTRAINT web_users_password_hash_check CHECK ((password_hash ~ '^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$'::text)),
    CONSTRAINT web_users_role_check CHECK ((role = ANY (ARRAY['viewer'::text, 'operator'::text, 'admin'::text])))
);

COMMENT ON TABLE monitoring_internal.web_users IS 'Web users of pgvigil serve: name (never reused), role (viewer, operator, admin), the argon2id hash of the password (a PHC string; nothing else is accepted), creation, disabling and last login. Read through monitoring.v_web_users (no hashes).';

CREATE VIEW monitoring.v_web_users AS
 SELECT u.user_id,
    u.name,
    u.role,
        CASE
            WHEN (u.disabled_at IS NOT NULL) THEN 'disabled'::text
            ELSE 'active'::text
        END AS state,
    u.created_at,
    u.created_by,
    u.disabled_at,
    u.disabled_by,
    ( SELECT count(*) AS count
           FROM monitoring_internal.web_sessions s
          WHERE ((s.user_id = u.user_id) AND (s.revoked_at IS NULL) AND (s.expires_at > now()))) AS live_sessions,
    u.last_login_at
   FROM monitoring_internal.web_users u;

COMMENT ON VIEW monitoring.v_web_users IS 'Web users of pgvigil serve without their password hashes: name, role, state (active, disabled), created, disabled, live sessions and last login.';

ALTER TABLE monitoring_internal.api_keys ALTER COLUMN key_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring_internal.api_keys_key_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE monitoring_internal.check_runs (
    check_name text NOT NULL,
    last_run_at timestamp with time zone NOT NULL,
    last_source text NOT NULL,
    runs_total bigint DEFAULT 1 NOT NULL
);

COMMENT ON TABLE monitoring_internal.check_runs IS 'When each alert check last evaluated, and who ran it (pg_cron, manual, scheduler). resolve_resolved_alerts() resolves alerts not seen by the latest evaluation.';

CREATE UNLOGGED TABLE monitoring_internal.evaluation_values (
    source_key text NOT NULL,
    group_key text NOT NULL,
    group_labels jsonb NOT NULL,
    value double precision,
    samples bigint NOT NULL,
    severity text,
    details jsonb
);

COMMENT ON TABLE monitoring_internal.evaluation_values IS 'Scratch space of one evaluate_alert_rules() run: each distinct rule source''s value per group (source_key = rule_source_key()).';

CREATE TABLE monitoring_internal.expired_task_totals (
    task_type text NOT NULL,
    ended_count bigint DEFAULT 0 NOT NULL,
    completed_count bigint DEFAULT 0 NOT NULL,
    failed_count bigint DEFAULT 0 NOT NULL,
    cancelled_count bigint DEFAULT 0 NOT NULL,
    duration_sum double precision DEFAULT 0 NOT NULL,
    duration_buckets bigint[] NOT NULL
);

COMMENT ON TABLE monitoring_internal.expired_task_totals IS 'Task counts and duration histograms of the hour rollups retention deleted, per task type: the base the /metrics task counters add the kept history to.';

CREATE TABLE monitoring_internal.history_tables (
    table_name text NOT NULL,
    time_column text NOT NULL,
    retention_setting text NOT NULL
);

COMMENT ON TABLE monitoring_internal.history_tables IS 'Daily range-partitioned history tables: the time column they are partitioned by and the config key under "retention" that says how long they are kept.';

CREATE TABLE monitoring_internal.ingest_batches (
    batch_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    event_count integer NOT NULL,
    written_by text DEFAULT SESSION_USER NOT NULL,
    application_name text,
    CONSTRAINT ingest_batches_event_count_check CHECK ((event_count >= 0))
);

COMMENT ON TABLE monitoring_internal.ingest_batches IS 'Batches written by buffered clients, by id: a batch retried after an uncertain commit is recognised and skipped. Kept ingest.batch_ids_hours.';

CREATE TABLE monitoring_internal.pending_task_completions (
    task_id text NOT NULL,
    status text NOT NULL,
    output_size bigint,
    step_timings jsonb,
    end_time timestamp with time zone NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE monitoring_internal.pending_task_completions IS 'Completions that reached the database before their task''s start (buffered writers on several processes). Applied when the start arrives; expired after ingest.max_event_age_hours.';

CREATE TABLE monitoring_internal.rollup_pending (
    source text NOT NULL,
    range_start timestamp with time zone NOT NULL,
    range_end timestamp with time zone NOT NULL,
    noted_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT rollup_pending_range_check CHECK ((range_start < range_end)),
    CONSTRAINT rollup_pending_source_check CHECK ((source = ANY (ARRAY['performance_monitoring'::text, 'processing_metrics'::text])))
);

COMMENT ON TABLE monitoring_internal.rollup_pending IS 'Minute ranges [range_start, range_end) of a raw table (source) whose rollups must be recomputed: the range a watermark advance adds, and late events (event time before the watermark) noted by note_ingest(). Emptied by apply_rollup_pending(); the views read raw rows from the oldest pending minute on.';

CREATE TABLE monitoring_internal.rollup_state (
    state_id boolean DEFAULT true NOT NULL,
    watermark timestamp with time zone NOT NULL,
    advanced_at timestamp with time zone NOT NULL,
    applied_at timestamp with time zone,
    apply_duration_seconds double precision,
    minutes_refreshed bigint,
    CONSTRAINT rollup_state_state_id_check CHECK (state_id)
);

COMMENT ON TABLE monitoring_internal.rollup_state IS 'One row, created by the first refresh: the rollup watermark (rollups cover event times before it, except the ranges in rollup_pending), when it last moved, and what the last apply_rollup_pending() run did (when, how long in seconds, minutes re-aggregated).';

CREATE TABLE monitoring_internal.schema_sources (
    source_path text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE monitoring_internal.schema_sources IS 'Repeatable SQL sources (sql/functions, sql/views, sql/grants.sql) and the hash of the text last applied by pgvigil migrate.';

ALTER TABLE monitoring_internal.web_sessions ALTER COLUMN session_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring_internal.web_sessions_session_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE monitoring_internal.web_users ALTER COLUMN user_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME monitoring_internal.web_users_user_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY monitoring.error_tracking ATTACH PARTITION monitoring.error_tracking_default DEFAULT;

ALTER TABLE ONLY monitoring.performance_monitoring ATTACH PARTITION monitoring.performance_monitoring_default DEFAULT;

ALTER TABLE ONLY monitoring.performance_rollup_minute ATTACH PARTITION monitoring.performance_rollup_minute_default DEFAULT;

ALTER TABLE ONLY monitoring.processing_metrics ATTACH PARTITION monitoring.processing_metrics_default DEFAULT;

ALTER TABLE ONLY monitoring.queue_monitoring ATTACH PARTITION monitoring.queue_monitoring_default DEFAULT;

ALTER TABLE ONLY monitoring.system_health_history ATTACH PARTITION monitoring.system_health_history_default DEFAULT;

ALTER TABLE ONLY monitoring.task_rollup_minute ATTACH PARTITION monitoring.task_rollup_minute_default DEFAULT;

ALTER TABLE ONLY monitoring.alert_events
    ADD CONSTRAINT alert_events_pkey PRIMARY KEY (event_id);

ALTER TABLE ONLY monitoring.alert_rules
    ADD CONSTRAINT alert_rules_pkey PRIMARY KEY (rule_name);

ALTER TABLE ONLY monitoring.alerts
    ADD CONSTRAINT alerts_pkey PRIMARY KEY (alert_id);

ALTER TABLE ONLY monitoring.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);

ALTER TABLE ONLY monitoring.components
    ADD CONSTRAINT components_pkey PRIMARY KEY (component);

ALTER TABLE ONLY monitoring.config
    ADD CONSTRAINT config_pkey PRIMARY KEY (config_id);

ALTER TABLE ONLY monitoring.disabled_integrations
    ADD CONSTRAINT disabled_integrations_pkey PRIMARY KEY (receiver, integration, integration_index);

ALTER TABLE ONLY monitoring.error_tracking
    ADD CONSTRAINT error_tracking_pkey PRIMARY KEY (error_id, occurred_at);

ALTER TABLE ONLY monitoring.error_tracking_default
    ADD CONSTRAINT error_tracking_default_pkey PRIMARY KEY (error_id, occurred_at);

ALTER TABLE ONLY monitoring.escalations
    ADD CONSTRAINT escalations_alert_id_policy_name_key UNIQUE (alert_id, policy_name);

ALTER TABLE ONLY monitoring.escalations
    ADD CONSTRAINT escalations_pkey PRIMARY KEY (escalation_id);

ALTER TABLE ONLY monitoring.flapping_alerts
    ADD CONSTRAINT flapping_alerts_pkey PRIMARY KEY (fingerprint);

ALTER TABLE ONLY monitoring.notification_attempts
    ADD CONSTRAINT notification_attempts_pkey PRIMARY KEY (notification_id, attempt);

ALTER TABLE ONLY monitoring.notification_group_alerts
    ADD CONSTRAINT notification_group_alerts_pkey PRIMARY KEY (group_id, alert_id);

ALTER TABLE ONLY monitoring.notification_groups
    ADD CONSTRAINT notification_groups_pkey PRIMARY KEY (group_id);

ALTER TABLE ONLY monitoring.notification_groups
    ADD CONSTRAINT notification_groups_receiver_group_key_key UNIQUE (receiver, group_key);

ALTER TABLE ONLY monitoring.notification_suppressions
    ADD CONSTRAINT notification_suppressions_key UNIQUE (receiver, group_key, alert_id, reason, suppressed_by);

ALTER TABLE ONLY monitoring.notification_suppressions
    ADD CONSTRAINT notification_suppressions_pkey PRIMARY KEY (suppression_id);

ALTER TABLE ONLY monitoring.notifications
    ADD CONSTRAINT notifications_idempotency_key_key UNIQUE (idempotency_key);

ALTER TABLE ONLY monitoring.notifications
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (notification_id);

ALTER TABLE ONLY monitoring.performance_rollup_5min
    ADD CONSTRAINT performance_rollup_5min_pkey PRIMARY KEY (bucket, metric_name, component, metric_type, unit);

ALTER TABLE ONLY monitoring.performance_rollup_hour
    ADD CONSTRAINT performance_rollup_hour_pkey PRIMARY KEY (bucket, metric_name, component, metric_type, unit);

ALTER TABLE ONLY monitoring.performance_rollup_minute
    ADD CONSTRAINT performance_rollup_minute_pkey PRIMARY KEY (bucket, metric_name, component, metric_type, unit);

ALTER TABLE ONLY monitoring.performance_rollup_minute_default
    ADD CONSTRAINT performance_rollup_minute_default_pkey PRIMARY KEY (bucket, metric_name, component, metric_type, unit);

ALTER TABLE ONLY monitoring.processing_metrics
    ADD CONSTRAINT processing_metrics_pkey PRIMARY KEY (task_id, start_time);

ALTER TABLE ONLY monitoring.processing_metrics_default
    ADD CONSTRAINT processing_metrics_default_pkey PRIMARY KEY (task_id, start_time);

ALTER TABLE ONLY monitoring.silences
    ADD CONSTRAINT silences_pkey PRIMARY KEY (silence_id);

ALTER TABLE ONLY monitoring.system_health
    ADD CONSTRAINT system_health_pkey PRIMARY KEY (component_type, component_name);

ALTER TABLE ONLY monitoring.task_rollup_hour
    ADD CONSTRAINT task_rollup_hour_pkey PRIMARY KEY (bucket, task_type);

ALTER TABLE ONLY monitoring.task_rollup_minute
    ADD CONSTRAINT task_rollup_minute_pkey PRIMARY KEY (bucket, task_type);

ALTER TABLE ONLY monitoring.task_rollup_minute_default
    ADD CONSTRAINT task_rollup_minute_default_pkey PRIMARY KEY (bucket, task_type);

ALTER TABLE ONLY monitoring_internal.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);

ALTER TABLE ONLY monitoring_internal.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (key_id);

ALTER TABLE ONLY monitoring_internal.check_runs
    ADD CONSTRAINT check_runs_pkey PRIMARY KEY (check_name);

ALTER TABLE ONLY monitoring_internal.expired_task_totals
    ADD CONSTRAINT expired_task_totals_pkey PRIMARY KEY (task_type);

ALTER TABLE ONLY monitoring_internal.history_tables
    ADD CONSTRAINT history_tables_pkey PRIMARY KEY (table_name);

ALTER TABLE ONLY monitoring_internal.ingest_batches
    ADD CONSTRAINT ingest_batches_pkey PRIMARY KEY (batch_id);

ALTER TABLE ONLY monitoring_internal.notification_config
    ADD CONSTRAINT notification_config_pkey PRIMARY KEY (config_id);

ALTER TABLE ONLY monitoring_internal.pending_task_completions
    ADD CONSTRAINT pending_task_completions_pkey PRIMARY KEY (task_id);

ALTER TABLE ONLY monitoring_internal.rollup_state
    ADD CONSTRAINT rollup_state_pkey PRIMARY KEY (state_id);

ALTER TABLE ONLY monitoring_internal.rule_groups
    ADD CONSTRAINT rule_groups_pkey PRIMARY KEY (rule_name, group_key);

ALTER TABLE ONLY monitoring_internal.running_tasks
    ADD CONSTRAINT running_tasks_pkey PRIMARY KEY (task_id);

ALTER TABLE ONLY monitoring_internal.schema_sources
    ADD CONSTRAINT schema_sources_pkey PRIMARY KEY (source_path);

ALTER TABLE ONLY monitoring_internal.shipped_alert_rules
    ADD CONSTRAINT shipped_alert_rules_pkey PRIMARY KEY (rule_name);

ALTER TABLE ONLY monitoring_internal.web_sessions
    ADD CONSTRAINT web_sessions_pkey PRIMARY KEY (session_id);

ALTER TABLE ONLY monitoring_internal.web_sessions
    ADD CONSTRAINT web_sessions_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY monitoring_internal.web_users
    ADD CONSTRAINT web_users_name_key UNIQUE (name);

ALTER TABLE ONLY monitoring_internal.web_users
    ADD CONSTRAINT web_users_pkey PRIMARY KEY (user_id);

CREATE INDEX alert_events_alert_id_idx ON monitoring.alert_events USING btree (alert_id);

CREATE INDEX alert_events_occurred_at_idx ON monitoring.alert_events USING btree (occurred_at);

CREATE UNIQUE INDEX alerts_alert_key_open_key ON monitoring.alerts USING btree (alert_key) WHERE (resolved_at IS NULL);

CREATE INDEX alerts_fingerprint_idx ON monitoring.alerts USING btree (fingerprint, triggered_at);

CREATE INDEX alerts_resolved_at_idx ON monitoring.alerts USING btree (resolved_at);

CREATE INDEX audit_log_at_idx ON monitoring.audit_log USING btree (at);

CREATE INDEX error_tracking_component_occurred_at_idx ON ONLY monitoring.error_tracking USING btree (component, occurred_at);

CREATE INDEX error_tracking_default_component_occurred_at_idx ON monitoring.error_tracking_default USING btree (component, occurred_at);

CREATE INDEX error_tracking_occurred_at_idx ON ONLY monitoring.error_tracking USING brin (occurred_at);

CREATE INDEX error_tracking_default_occurred_at_idx ON monitoring.error_tracking_default USING brin (occurred_at);

CREATE INDEX error_tracking_task_id_idx ON ONLY monitoring.error_tracking USING btree (task_id) WHERE (task_id IS NOT NULL);

CREATE INDEX error_tracking_default_task_id_idx ON monitoring.error_tracking_default USING btree (task_id) WHERE (task_id IS NOT NULL);

CREATE INDEX escalations_next_at_idx ON monitoring.escalations USING btree (next_at) WHERE (status = ANY (ARRAY['active'::text, 'acknowledged'::text]));

CREATE INDEX notification_group_alerts_alert_id_idx ON monitoring.notification_group_alerts USING btree (alert_id);

CREATE INDEX notification_group_alerts_silenced_by_idx ON monitoring.notification_group_alerts USING btree (silenced_by) WHERE (silenced_by IS NOT NULL);

CREATE INDEX notification_groups_next_flush_at_idx ON monitoring.notification_groups USING btree (next_flush_at);

CREATE INDEX notification_suppressions_alert_id_idx ON monitoring.notification_suppressions USING btree (alert_id);

CREATE INDEX notification_suppressions_silence_id_idx ON monitoring.notification_suppressions USING btree (silence_id) WHERE (silence_id IS NOT NULL);

CREATE INDEX notifications_held_idx ON monitoring.notifications USING btree (receiver, integration, integration_index) WHERE ((status = 'held'::text) AND (summary_id IS NULL));

CREATE INDEX notifications_pending_idx ON monitoring.notifications USING btree (next_attempt_at) WHERE (status = 'pending'::text);

CREATE INDEX notifications_receiver_created_at_idx ON monitoring.notifications USING btree (receiver, integration, integration_index, created_at);

CREATE INDEX performance_monitoring_metric_name_component_recorded_at_idx ON ONLY monitoring.performance_monitoring USING btree (metric_name, component, recorded_at);

CREATE INDEX performance_monitoring_defaul_metric_name_component_recorde_idx ON monitoring.performance_monitoring_default USING btree (metric_name, component, recorded_at);

CREATE INDEX performance_monitoring_recorded_at_idx ON ONLY monitoring.performance_monitoring USING brin (recorded_at);

CREATE INDEX performance_monitoring_default_recorded_at_idx ON monitoring.performance_monitoring_default USING brin (recorded_at);

CREATE INDEX performance_rollup_5min_listing_idx ON monitoring.performance_rollup_5min USING btree (bucket DESC, metric_name, component);

CREATE INDEX performance_rollup_hour_listing_idx ON monitoring.performance_rollup_hour USING btree (bucket DESC, metric_name, component);

CREATE INDEX processing_metrics_end_time_idx ON ONLY monitoring.processing_metrics USING btree (end_time);

CREATE INDEX processing_metrics_default_end_time_idx ON monitoring.processing_metrics_default USING btree (end_time);

CREATE INDEX processing_metrics_start_time_idx ON ONLY monitoring.processing_metrics USING brin (start_time);

CREATE INDEX processing_metrics_default_start_time_idx ON monitoring.processing_metrics_default USING brin (start_time);

CREATE INDEX processing_metrics_task_type_start_time_idx ON ONLY monitoring.processing_metrics USING btree (task_type, start_time);

CREATE INDEX processing_metrics_default_task_type_start_time_idx ON monitoring.processing_metrics_default USING btree (task_type, start_time);

CREATE INDEX queue_monitoring_queue_name_recorded_at_idx ON ONLY monitoring.queue_monitoring USING btree (queue_name, recorded_at);

CREATE INDEX queue_monitoring_default_queue_name_recorded_at_idx ON monitoring.queue_monitoring_default USING btree (queue_name, recorded_at);

CREATE INDEX silences_ends_at_idx ON monitoring.silences USING btree (ends_at);

CREATE INDEX system_health_history_component_changed_at_idx ON ONLY monitoring.system_health_history USING btree (component_type, component_name, changed_at);

CREATE INDEX system_health_history_default_component_type_component_name_idx ON monitoring.system_health_history_default USING btree (component_type, component_name, changed_at);

CREATE INDEX evaluation_values_source_key_idx ON monitoring_internal.evaluation_values USING btree (source_key);

CREATE INDEX ingest_batches_received_at_idx ON monitoring_internal.ingest_batches USING brin (received_at);

CREATE INDEX rollup_pending_source_range_start_idx ON monitoring_internal.rollup_pending USING btree (source, range_start);

CREATE INDEX running_tasks_task_type_start_time_idx ON monitoring_internal.running_tasks USING btree (task_type, start_time);

CREATE INDEX web_sessions_expires_at_idx ON monitoring_internal.web_sessions USING btree (expires_at);

CREATE INDEX web_sessions_key_id_idx ON monitoring_internal.web_sessions USING btree (key_id) WHERE (key_id IS NOT NULL);

CREATE INDEX web_sessions_user_id_idx ON monitoring_internal.web_sessions USING btree (user_id) WHERE (user_id IS NOT NULL);

ALTER INDEX monitoring.error_tracking_component_occurred_at_idx ATTACH PARTITION monitoring.error_tracking_default_component_occurred_at_idx;

ALTER INDEX monitoring.error_tracking_occurred_at_idx ATTACH PARTITION monitoring.error_tracking_default_occurred_at_idx;

ALTER INDEX monitoring.error_tracking_pkey ATTACH PARTITION monitoring.error_tracking_default_pkey;

ALTER INDEX monitoring.error_tracking_task_id_idx ATTACH PARTITION monitoring.error_tracking_default_task_id_idx;

ALTER INDEX monitoring.performance_monitoring_metric_name_component_recorded_at_idx ATTACH PARTITION monitoring.performance_monitoring_defaul_metric_name_component_recorde_idx;

ALTER INDEX monitoring.performance_monitoring_recorded_at_idx ATTACH PARTITION monitoring.performance_monitoring_default_recorded_at_idx;

ALTER INDEX monitoring.performance_rollup_minute_pkey ATTACH PARTITION monitoring.performance_rollup_minute_default_pkey;

ALTER INDEX monitoring.processing_metrics_end_time_idx ATTACH PARTITION monitoring.processing_metrics_default_end_time_idx;

ALTER INDEX monitoring.processing_metrics_pkey ATTACH PARTITION monitoring.processing_metrics_default_pkey;

ALTER INDEX monitoring.processing_metrics_start_time_idx ATTACH PARTITION monitoring.processing_metrics_default_start_time_idx;

ALTER INDEX monitoring.processing_metrics_task_type_start_time_idx ATTACH PARTITION monitoring.processing_metrics_default_task_type_start_time_idx;

ALTER INDEX monitoring.queue_monitoring_queue_name_recorded_at_idx ATTACH PARTITION monitoring.queue_monitoring_default_queue_name_recorded_at_idx;

ALTER INDEX monitoring.system_health_history_component_changed_at_idx ATTACH PARTITION monitoring.system_health_history_default_component_type_component_name_idx;

ALTER INDEX monitoring.task_rollup_minute_pkey ATTACH PARTITION monitoring.task_rollup_minute_default_pkey;

CREATE TRIGGER alert_events_notify_live AFTER INSERT ON monitoring.alert_events FOR EACH STATEMENT EXECUTE FUNCTION monitoring_internal.notify_live('alert');

CREATE TRIGGER system_health_history_notify_live AFTER INSERT ON monitoring.system_health_history FOR EACH STATEMENT EXECUTE FUNCTION monitoring_internal.notify_live('health');

ALTER TABLE ONLY monitoring.alert_events
    ADD CONSTRAINT alert_events_alert_id_fkey FOREIGN KEY (alert_id) REFERENCES monitoring.alerts(alert_id) ON DELETE CASCADE;

ALTER TABLE ONLY monitoring.escalations
    ADD CONSTRAINT escalations_alert_id_fkey FOREIGN KEY (alert_id) REFERENCES monitoring.alerts(alert_id) ON DELETE CASCADE;

ALTER TABLE ONLY monitoring.notification_attempts
    ADD CONSTRAINT notification_attempts_notification_id_fkey FOREIGN KEY (notification_id) REFERENCES monitoring.notifications(notification_id) ON DELETE CASCADE;

ALTER TABLE ONLY monitoring.notification_group_alerts
    ADD CONSTRAINT notification_group_alerts_alert_id_fkey FOREIGN KEY (alert_id) REFERENCES monitoring.alerts(alert_id) ON DELETE CASCADE;

ALTER TABLE ONLY monitoring.notification_group_alerts
    ADD CONSTRAINT notification_group_alerts_group_id_fkey FOREIGN KEY (group_id) REFERENCES monitoring.notification_groups(group_id) ON DELETE CASCADE;

ALTER TABLE ONLY monitoring_internal.web_sessions
    ADD CONSTRAINT web_sessions_key_id_fkey FOREIGN KEY (key_id) REFERENCES monitoring_internal.api_keys(key_id) ON DELETE CASCADE;

ALTER TABLE ONLY monitoring_internal.web_sessions
    ADD CONSTRAINT web_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES monitoring_internal.web_users(user_id) ON DELETE CASCADE;

GRANT USAGE ON SCHEMA monitoring TO pgvigil_writer;
GRANT USAGE ON SCHEMA monitoring TO pgvigil_reader;
GRANT USAGE ON SCHEMA monitoring TO pgvigil_admin;
GRANT USAGE ON SCHEMA monitoring TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.acknowledge_alert(p_alert_id bigint, p_acknowledged_by text, p_note text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.acknowledge_alert(p_alert_id bigint, p_acknowledged_by text, p_note text) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.advance_rollup_watermark() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.advance_rollup_watermark() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.alert_fingerprint(p_labels jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.alert_fingerprint(p_labels jsonb) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.alert_response_report(p_since timestamp with time zone, p_until timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.alert_response_report(p_since timestamp with time zone, p_until timestamp with time zone) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.alertmanager_alert_groups(p_filter text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.alertmanager_alert_groups(p_filter text[]) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.alertmanager_alerts(p_filter text[], p_active boolean, p_silenced boolean, p_inhibited boolean, p_receiver text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.alertmanager_alerts(p_filter text[], p_active boolean, p_silenced boolean, p_inhibited boolean, p_receiver text) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.alertmanager_silences(p_silence_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.alertmanager_silences(p_silence_id uuid) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.alertmanager_status() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.alertmanager_status() TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.apply_config(p_document jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.apply_config(p_document jsonb) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.apply_rollup_pending() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.apply_rollup_pending() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.authenticate_api_key(p_key_hash bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.authenticate_api_key(p_key_hash bytea) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.authenticate_web_session(p_token_hash bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.authenticate_web_session(p_token_hash bytea) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.begin_ingest_batch(p_batch_id uuid, p_created_at timestamp with time zone, p_event_count integer) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.begin_ingest_batch(p_batch_id uuid, p_created_at timestamp with time zone, p_event_count integer) TO pgvigil_writer;

REVOKE ALL ON FUNCTION monitoring.check_error_rate_alerts() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.check_error_rate_alerts() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.check_processing_performance_alerts() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.check_processing_performance_alerts() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.check_queue_backlog_alerts() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.check_queue_backlog_alerts() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.check_system_health_alerts() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.check_system_health_alerts() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.check_watchdog(p_source text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.check_watchdog(p_source text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.claim_notifications(p_worker text, p_limit integer, p_lease_seconds double precision, p_integrations text[], p_notification_ids bigint[], p_skip_receivers text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.claim_notifications(p_worker text, p_limit integer, p_lease_seconds double precision, p_integrations text[], p_notification_ids bigint[], p_skip_receivers text[]) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.cleanup_old_monitoring_data(p_lock_timeout_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.cleanup_old_monitoring_data(p_lock_timeout_ms integer) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.complete_task_tracking(p_task_id text, p_status text, p_output_size bigint, p_step_timings jsonb, p_event_time timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.complete_task_tracking(p_task_id text, p_status text, p_output_size bigint, p_step_timings jsonb, p_event_time timestamp with time zone) TO pgvigil_writer;

REVOKE ALL ON FUNCTION monitoring.component_uptime_report(p_since timestamp with time zone, p_until timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.component_uptime_report(p_since timestamp with time zone, p_until timestamp with time zone) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.confirm_metric_copy(p_first_event_time timestamp with time zone, p_last_event_time timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.confirm_metric_copy(p_first_event_time timestamp with time zone, p_last_event_time timestamp with time zone) TO pgvigil_writer;

REVOKE ALL ON FUNCTION monitoring.create_api_key(p_name text, p_role text, p_key_hash bytea, p_key_prefix text, p_expires_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.create_api_key(p_name text, p_role text, p_key_hash bytea, p_key_prefix text, p_expires_at timestamp with time zone) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.create_silence(p_matchers text[], p_comment text, p_ends_at timestamp with time zone, p_duration text, p_starts_at timestamp with time zone, p_created_by text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.create_silence(p_matchers text[], p_comment text, p_ends_at timestamp with time zone, p_duration text, p_starts_at timestamp with time zone, p_created_by text) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.create_web_session(p_token_hash bytea, p_key_id bigint, p_user_id bigint, p_lifetime interval) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.create_web_session(p_token_hash bytea, p_key_id bigint, p_user_id bigint, p_lifetime interval) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.create_web_user(p_name text, p_role text, p_password_hash text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.create_web_user(p_name text, p_role text, p_password_hash text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.delete_alert_rule(p_rule_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.delete_alert_rule(p_rule_name text) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.delete_component(p_component text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.delete_component(p_component text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.detach_expired_partition(p_table_name text, p_partition_name text, p_lock_timeout_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.detach_expired_partition(p_table_name text, p_partition_name text, p_lock_timeout_ms integer) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.disable_web_user(p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.disable_web_user(p_name text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.drop_detached_partition(p_partition_name text, p_lock_timeout_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.drop_detached_partition(p_partition_name text, p_lock_timeout_ms integer) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.enable_integration(p_receiver text, p_integration text, p_integration_index integer) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.enable_integration(p_receiver text, p_integration text, p_integration_index integer) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.end_web_session(p_token_hash bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.end_web_session(p_token_hash bytea) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.estimate_percentile(p_bucket_counts bigint[], p_fraction double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.estimate_percentile(p_bucket_counts bigint[], p_fraction double precision) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.evaluate_alert_rules(p_source text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.evaluate_alert_rules(p_source text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.expire_ingest_state(OUT batch_ids_expired bigint, OUT orphan_completions_expired bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.expire_ingest_state(OUT batch_ids_expired bigint, OUT orphan_completions_expired bigint) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.expire_old_rows() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.expire_old_rows() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.expire_silence(p_silence_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.expire_silence(p_silence_id uuid) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.expired_partitions() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.expired_partitions() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.flush_notification_groups() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.flush_notification_groups() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.get_dashboard_summary() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.get_dashboard_summary() TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.job_definitions(p_runner text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.job_definitions(p_runner text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.labels_match(p_matchers text[], p_labels jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.labels_match(p_matchers text[], p_labels jsonb) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.list_tasks(p_since timestamp with time zone, p_until timestamp with time zone, p_task_type text, p_status text, p_worker_id text, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.list_tasks(p_since timestamp with time zone, p_until timestamp with time zone, p_task_type text, p_status text, p_worker_id text, p_limit integer) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.patch_config(p_patch jsonb, p_replace text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.patch_config(p_patch jsonb, p_replace text[]) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.performance_tail(p_since timestamp with time zone, p_width interval, p_fraction double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.performance_tail(p_since timestamp with time zone, p_width interval, p_fraction double precision) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.preview_config_patch(p_patch jsonb, p_replace text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.preview_config_patch(p_patch jsonb, p_replace text[]) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.prometheus_metrics() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.prometheus_metrics() TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.purge_cron_history() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.purge_cron_history() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.put_alert_rule(p_rule jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.put_alert_rule(p_rule jsonb) TO pgvigil_operator;

GRANT SELECT ON TABLE monitoring.components TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.put_component(p_component text, p_settings jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.put_component(p_component text, p_settings jsonb) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.receive_alerts(p_alerts jsonb, p_source text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.receive_alerts(p_alerts jsonb, p_source text) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.record_error(p_task_id text, p_error_type text, p_severity text, p_message text, p_component text, p_stack_trace text, p_context jsonb, p_event_time timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.record_error(p_task_id text, p_error_type text, p_severity text, p_message text, p_component text, p_stack_trace text, p_context jsonb, p_event_time timestamp with time zone) TO pgvigil_writer;

REVOKE ALL ON FUNCTION monitoring.record_notification_attempt(p_notification_id bigint, p_attempt integer, p_outcome text, p_status_code integer, p_latency_ms double precision, p_error text, p_retry_after_seconds double precision, p_worker text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.record_notification_attempt(p_notification_id bigint, p_attempt integer, p_outcome text, p_status_code integer, p_latency_ms double precision, p_error text, p_retry_after_seconds double precision, p_worker text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.record_performance_metric(p_metric_name text, p_metric_type text, p_value double precision, p_unit text, p_component text, p_tags jsonb, p_event_time timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.record_performance_metric(p_metric_name text, p_metric_type text, p_value double precision, p_unit text, p_component text, p_tags jsonb, p_event_time timestamp with time zone) TO pgvigil_writer;

REVOKE ALL ON FUNCTION monitoring.record_queue_stats(p_queue_name text, p_pending_count integer, p_processing_count integer, p_completed_count integer, p_failed_count integer, p_oldest_pending_age_seconds double precision, p_event_time timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.record_queue_stats(p_queue_name text, p_pending_count integer, p_processing_count integer, p_completed_count integer, p_failed_count integer, p_oldest_pending_age_seconds double precision, p_event_time timestamp with time zone) TO pgvigil_writer;

REVOKE ALL ON FUNCTION monitoring.record_task_events(p_kinds text[], p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_event_times timestamp with time zone[]) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.record_task_events(p_kinds text[], p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_event_times timestamp with time zone[]) TO pgvigil_writer;

REVOKE ALL ON PROCEDURE monitoring.refresh_rollups() FROM PUBLIC;
GRANT ALL ON PROCEDURE monitoring.refresh_rollups() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.resolve_alert(p_alert_id bigint, p_resolved_by text, p_note text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.resolve_alert(p_alert_id bigint, p_resolved_by text, p_note text) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.resolve_resolved_alerts() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.resolve_resolved_alerts() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.revoke_api_key(p_key_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.revoke_api_key(p_key_id bigint) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.rollup_boundary(p_source text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.rollup_boundary(p_source text) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.run_monitoring_checks(p_source text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.run_monitoring_checks(p_source text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.run_partition_maintenance() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.run_partition_maintenance() TO pgvigil_admin;

REVOKE ALL ON PROCEDURE monitoring.run_retention(INOUT partitions_dropped integer, INOUT partitions_busy integer, INOUT rows_removed bigint, IN p_lock_timeout_ms integer, IN p_attempts integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE monitoring.run_retention(INOUT partitions_dropped integer, INOUT partitions_busy integer, INOUT rows_removed bigint, IN p_lock_timeout_ms integer, IN p_attempts integer) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.schedule_jobs() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.schedule_jobs() TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.send_test_notification(p_receiver text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.send_test_notification(p_receiver text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.set_alert_rule_enabled(p_rule_name text, p_enabled boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.set_alert_rule_enabled(p_rule_name text, p_enabled boolean) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.start_task_tracking(p_task_id text, p_task_type text, p_input_size bigint, p_worker_id text, p_metadata jsonb, p_event_time timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.start_task_tracking(p_task_id text, p_task_type text, p_input_size bigint, p_worker_id text, p_metadata jsonb, p_event_time timestamp with time zone) TO pgvigil_writer;

REVOKE ALL ON FUNCTION monitoring.task_duration_bounds() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.task_duration_bounds() TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.task_tail(p_since timestamp with time zone, p_width interval) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.task_tail(p_since timestamp with time zone, p_width interval) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.test_alert_rule(p_rule jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.test_alert_rule(p_rule jsonb) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.test_route(p_labels jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.test_route(p_labels jsonb) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.unschedule_jobs() FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.unschedule_jobs() TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.silences TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.update_silence(p_silence_id uuid, p_ends_at timestamp with time zone, p_comment text, p_matchers text[], p_starts_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.update_silence(p_silence_id uuid, p_ends_at timestamp with time zone, p_comment text, p_matchers text[], p_starts_at timestamp with time zone) TO pgvigil_operator;

REVOKE ALL ON FUNCTION monitoring.update_system_health(p_component_type text, p_component_name text, p_status text, p_response_time_ms numeric, p_failure_reason text, p_details jsonb, p_event_time timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.update_system_health(p_component_type text, p_component_name text, p_status text, p_response_time_ms numeric, p_failure_reason text, p_details jsonb, p_event_time timestamp with time zone) TO pgvigil_writer;

REVOKE ALL ON FUNCTION monitoring.validate_config(p_document jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.validate_config(p_document jsonb) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring.web_user_password_hash(p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.web_user_password_hash(p_name text) TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring_internal.add_bucket_counts(p_counts bigint[], p_more bigint[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.add_sample_sums(p_ordinary double precision, p_huge numeric) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.add_to_duration_histogram(p_counts bigint[], p_seconds double precision) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.alert_rule_problems(p_document jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.alert_suppressions(p_alert_id bigint, p_labels jsonb, p_component text, p_inhibit_rules jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.alertmanager_matchers(p_matchers jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.alertmanager_time(p_at timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.api_key_error_hint(p_code text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.apply_parked_completions(p_task_ids text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.assert_count(p_argument text, p_value double precision) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.assert_event_time(p_event_time timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.assert_json_object(p_argument text, p_value jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.assert_task_completion(p_task_id text, p_status text, p_output_size bigint, p_step_timings jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.assert_task_events(p_kinds text[], p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_event_times timestamp with time zone[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.assert_task_start(p_task_id text, p_task_type text, p_input_size bigint, p_worker_id text, p_metadata jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.assert_text(p_argument text, p_value text, p_max_length integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.assert_time_range(p_since timestamp with time zone, p_until timestamp with time zone, p_longest interval) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.builtin_check_rules() FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.capped_severity(p_severity text, p_caps jsonb, p_details jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.compact_value_sketch(p_entries bigint[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.compile_alert_rules(p_document jsonb) FROM PUBLIC;

GRANT SELECT ON TABLE monitoring.alert_rules TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring_internal.compiled_rules(p_document jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.component_error_hint(p_code text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.config_changed_keys(p_old jsonb, p_new jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.config_merge(p_base jsonb, p_overlay jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.config_number(p_path text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.config_patch(p_document jsonb, p_patch jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.config_value(p_path text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.copy_notification_config(p_document jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.create_partition(p_table_name text, p_day date) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.database_role(p_role text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.email_config_problems(p_where text, p_config jsonb, p_global jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.end_rule_alerts(p_rule_names text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.escalation_policy_problems(p_section jsonb, p_receivers text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.estimate_value_percentile(p_sketch bigint[], p_fraction double precision, p_min double precision, p_max double precision) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.evaluate_rules(p_source text, p_only text[], p_skip text[], p_resolve boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.event_time_bounds(OUT earliest timestamp with time zone, OUT latest timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.expire_posted_alerts() FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.finish_check(p_check_name text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.finish_tasks(p_task_ids text[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_end_times timestamp with time zone[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.flap_changes(p_fingerprint text, p_window_seconds double precision) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.flap_detection_settings(p_notifications jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.format_number(p_value double precision) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.group_alert(p_alert_id bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.group_labels_text(p_labels jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.history_retention_cutoff(p_retention jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.integration_config(p_notifications jsonb, p_receiver text, p_integration text, p_index integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.integration_config_digest(p_notifications jsonb, p_receiver text, p_integration text, p_index integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.is_named_list(p_value jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.lock_checks() FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.matcher_problems(p_object jsonb, p_where text, p_prefix text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.matchers_match(p_matchers jsonb, p_labels jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.matchers_text(p_matchers jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.note_ingest(p_table text, p_first_event_time timestamp with time zone, p_last_event_time timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.notification_error_hint(p_code text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.notification_key_problems(p_where text, p_context text, p_object jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.notification_keys() FROM PUBLIC;

GRANT SELECT ON TABLE monitoring.notification_groups TO pgvigil_admin;

REVOKE ALL ON FUNCTION monitoring_internal.notification_payload(p_group monitoring.notification_groups, p_alert_ids bigint[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.notification_problems(p_document jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.notify_evaluator(p_reason text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.notify_live() FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.park_task_completions(p_task_ids text[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_end_times timestamp with time zone[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.parse_duration(p_value jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.parse_matcher(p_text text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.performance_minute_aggregate(p_from timestamp with time zone, p_to timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.posted_alert_problems(p_alerts jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.posted_alert_severity(p_labels jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.prometheus_escape(p_value text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.prometheus_number(p_value double precision) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.raise_rule_alert(p_rule monitoring.alert_rules, p_group_labels jsonb, p_no_data boolean, p_severity text, p_value double precision, p_threshold double precision, p_breached_since timestamp with time zone, p_source text, p_details jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.raise_silence_problems(p_matchers text[], p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_created_by text, p_comment text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.record_task_starts(p_task_ids text[], p_task_types text[], p_worker_ids text[], p_input_sizes bigint[], p_metadata jsonb[], p_start_times timestamp with time zone[], p_statuses text[], p_output_sizes bigint[], p_step_timings jsonb[], p_end_times timestamp with time zone[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.regex_problem(p_regex text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.register_components() FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.render_template(p_template text, p_labels jsonb, p_value double precision, p_severity text, p_threshold double precision, p_rule text, p_details jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.resolve_rule_alert(p_alert_id bigint, p_value double precision, p_source text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.route_alert(p_route jsonb, p_labels jsonb, p_parent jsonb, p_parent_key text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.route_matchers(p_route jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.route_problems(p_route jsonb, p_where text, p_receivers text[], p_intervals text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.rule_condition_problems(p_condition jsonb, p_group_by text[], p_document jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.rule_duration(p_value jsonb, p_document jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.rule_error_hint(p_code text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.rule_group_values(p_rule monitoring.alert_rules, p_at timestamp with time zone, p_shared boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.rule_problems(p_rule jsonb, p_document jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.rule_setting(p_value jsonb, p_document jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.rule_source_key(p_rule monitoring.alert_rules) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.rule_sources() FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.run_builtin_check(p_check_function text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.settings_problems(p_document jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.severity_rank(p_severity text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.severity_reached(p_value double precision, p_thresholds jsonb, p_comparison text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.silence_duration(p_duration text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.silence_error_hint(p_code text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.silence_problems(p_matchers text[], p_starts_at timestamp with time zone, p_ends_at timestamp with time zone, p_created_by text, p_comment text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.source_values(p_kind text, p_filter jsonb, p_aggregate text, p_window_seconds double precision, p_group_by text[], p_at timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.step_escalations() FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.step_rule_group(p_rule monitoring.alert_rules, p_at timestamp with time zone, p_source text, p_group_key text, p_group_labels jsonb, p_has_data boolean, p_is_nodata boolean, p_value double precision, p_severity text, p_threshold double precision, p_details jsonb, p_known boolean, p_state text, p_last_severity text, p_last_value double precision, p_last_threshold double precision, p_breached_since timestamp with time zone, p_last_breach_at timestamp with time zone, p_alert_id bigint, p_resolve boolean, OUT state text, OUT transitioned boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.synthetic_payload(p_receiver text, p_labels jsonb, p_annotations jsonb, p_starts_at timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.task_minute_aggregate(p_from timestamp with time zone, p_to timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.template_problem(p_template text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.time_interval_active(p_ranges jsonb, p_at timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.time_interval_ranges(p_notifications jsonb, p_name text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.time_range_problems(p_range jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.time_range_value(p_field text, p_text text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.top_severity(p_thresholds jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.value_sketch_key(p_value double precision) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.value_sketch_value(p_key integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.wait_for_checks_lock(p_seconds integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.web_user_error_hint(p_code text) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.write_audit_log(p_action text, p_subject text, p_details jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.write_flood_summaries() FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring_internal.write_notifications(p_receiver text, p_group_id bigint, p_escalation_id bigint, p_group_key text, p_reason text, p_key_prefix text, p_payload_with_resolved jsonb, p_payload_firing jsonb, p_integrations text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION monitoring.sum_bucket_counts(bigint[]) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.sum_bucket_counts(bigint[]) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring.task_duration_histogram(double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION monitoring.task_duration_histogram(double precision) TO pgvigil_reader;

REVOKE ALL ON FUNCTION monitoring_internal.merge_value_sketches(bigint[]) FROM PUBLIC;

GRANT SELECT ON TABLE monitoring.alert_events TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.alerts TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.audit_log TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.config TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.disabled_integrations TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.error_tracking TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.error_tracking_default TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.escalations TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.flapping_alerts TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.notification_attempts TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.notification_group_alerts TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.notification_suppressions TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.notifications TO pgvigil_admin;

GRANT INSERT ON TABLE monitoring.performance_monitoring TO pgvigil_writer;
GRANT SELECT ON TABLE monitoring.performance_monitoring TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.performance_monitoring_default TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.performance_rollup_5min TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.performance_rollup_hour TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.performance_rollup_minute TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.performance_rollup_minute_default TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.processing_metrics TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.processing_metrics_default TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.queue_monitoring TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.queue_monitoring_default TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.system_health TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.system_health_history TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.system_health_history_default TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.task_rollup_hour TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.task_rollup_minute TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.task_rollup_minute_default TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_active_alerts TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_active_alerts TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_alert_history TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_alert_history TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_alert_rules TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_alert_rules TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_api_keys TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_components TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_components TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_error_summary TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_error_summary TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_escalations TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_escalations TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_notification_log TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_notification_log TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_notification_receivers TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_notification_receivers TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_performance_history TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_performance_history TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_performance_trends TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_performance_trends TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_queue_performance TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_queue_performance TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_realtime_processing_status TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_realtime_processing_status TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_silences TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_silences TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_system_health_summary TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_system_health_summary TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_task_history TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_task_history TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_task_trends TO pgvigil_reader;
GRANT SELECT ON TABLE monitoring.v_task_trends TO pgvigil_admin;

GRANT SELECT ON TABLE monitoring.v_web_users TO pgvigil_admin;
