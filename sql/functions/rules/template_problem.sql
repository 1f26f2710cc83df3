CREATE OR REPLACE FUNCTION monitoring_internal.template_problem(p_template text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION monitoring_internal.template_problem(text) IS
    'Internal: NULL for a well-formed label or annotation template, else what is wrong with it.';
