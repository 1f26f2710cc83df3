CREATE OR REPLACE FUNCTION monitoring_internal.silence_error_hint(p_code text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Internal: the HINT of each silence error, one home for the wording.
    SELECT CASE p_code
        WHEN 'PV602' THEN 'Matchers are written as amtool writes them: alertname="DiskFull", service=~"api|web", env!="dev".'
        WHEN 'PV604' THEN 'A silence needs matchers (one that does not match the empty string), an end after its start and in the future, a creator and a comment: create_silence(ARRAY[''alertname="DiskFull"''], ''disk swap, TICKET-1'', p_duration => ''2h'').'
        WHEN 'PV609' THEN 'List silences with SELECT * FROM monitoring.v_silences (or pgvigil silence list).'
    END;
$$;
COMMENT ON FUNCTION monitoring_internal.silence_error_hint(text) IS
    'Internal: the HINT for the silence errors PV602, PV604 and PV609.';
