CREATE OR REPLACE FUNCTION monitoring.enable_integration(
    p_receiver text,
    p_integration text DEFAULT NULL,
    p_integration_index integer DEFAULT NULL
)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
COMMENT ON FUNCTION monitoring.enable_integration(text, text, integer) IS
    'Enables again a receiver''s integrations disabled after a 410 Gone; returns how many. Errors: PV001/PV008 (receiver).';
