CREATE OR REPLACE FUNCTION monitoring.alertmanager_silences(p_silence_id uuid DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
COMMENT ON FUNCTION monitoring.alertmanager_silences(uuid) IS
    'Silences as the Alertmanager API v2 answers GET /api/v2/silences (or one, by id).';
