CREATE OR REPLACE FUNCTION monitoring.receive_alerts(p_alerts jsonb, p_source text DEFAULT 'alertmanager-api')
RETURNS TABLE (received integer, fired integer, refreshed integer, resolved integer, ignored integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
COMMENT ON FUNCTION monitoring.receive_alerts(jsonb, text) IS
    'Alerts posted through the Alertmanager API (POST /api/v2/alerts): fires, refreshes or resolves each by fingerprint; counts of each. Errors: PV610.';
