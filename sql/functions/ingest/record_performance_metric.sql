CREATE OR REPLACE FUNCTION monitoring.record_performance_metric(
    p_metric_name text,
    p_metric_type text,
    p_value double precision,
    p_unit text,
    p_component text,
    p_tags jsonb DEFAULT NULL,
    p_event_time timestamptz DEFAULT now()
)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
COMMENT ON FUNCTION monitoring.record_performance_metric(text, text, double precision, text, text, jsonb, timestamptz) IS
    'Records one performance sample (value in the given unit) for a component. Errors: PV001, PV005, PV006, PV007, PV008.';
