CREATE OR REPLACE FUNCTION monitoring.put_component(p_component text, p_settings jsonb)
RETURNS monitoring.components
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION monitoring.put_component(text, jsonb) IS
    'Registers a component or sets its component_type, labels, criticality, depends_on, description (keys given replace, null clears). Audited. Errors: PV001/PV008 (name), PV521 (a setting), PV522 (unknown dependency), PV523 (dependency cycle).';
