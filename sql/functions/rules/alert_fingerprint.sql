CREATE OR REPLACE FUNCTION monitoring.alert_fingerprint(p_labels jsonb)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
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
COMMENT ON FUNCTION monitoring.alert_fingerprint(jsonb) IS
    'Alertmanager''s fingerprint of a label set {"name": "value", ...}: 16 hex digits, equal to what Alertmanager and Prometheus compute for the same labels.';
