CREATE OR REPLACE FUNCTION monitoring.delete_component(p_component text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
COMMENT ON FUNCTION monitoring.delete_component(text) IS
    'Removes a component from the registry. Audited. Errors: PV522 (unknown), PV523 (others depend on it).';
