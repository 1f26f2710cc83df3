CREATE OR REPLACE FUNCTION monitoring_internal.render_template(
    p_template text,
    p_labels jsonb,
    p_value double precision,
    p_severity text,
    p_threshold double precision,
    p_rule text,
    p_details jsonb DEFAULT NULL
)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION monitoring_internal.render_template(text, jsonb, double precision, text, double precision, text, jsonb) IS
    'Internal: a label or annotation template with $value, $threshold, $severity, $rule, $labels.NAME and $details.NAME substituted.';
