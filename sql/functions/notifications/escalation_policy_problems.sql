CREATE OR REPLACE FUNCTION monitoring_internal.escalation_policy_problems(p_section jsonb, p_receivers text[])
RETURNS TABLE (code text, problem text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Internal: the problems of the notifications section's escalation
-- policies and of the routes naming them: PV605 a policy unnamed or named
-- twice, without tiers, a tier's delay negative or not a duration, a
-- repeat that is not a count, an ack_timeout that is not a duration, a
-- route naming a policy that does not exist; PV601 a tier's receiver that
-- is not a receiver; PV606 an unknown key.
DECLARE
    v_policy jsonb;
    v_tier jsonb;
    v_names text[] := '{}'::text[];
    v_where text;
    v_n integer := 0;
    v_t integer;
    v_name text;
BEGIN
    IF p_section ? 'escalation_policies' AND jsonb_typeof(p_section -> 'escalation_policies') <> 'array' THEN
        RETURN QUERY SELECT 'PV605', 'notifications.escalation_policies must be a list of policies'::text;
        RETURN;
    END IF;
    FOR v_policy IN SELECT p FROM jsonb_array_elements(coalesce(p_section -> 'escalation_policies', '[]')) AS p LOOP
        v_where := format('notifications.escalation_policies[%s]', coalesce(v_policy ->> 'name', v_n::text));
        v_n := v_n + 1;
        IF jsonb_typeof(v_policy) <> 'object' OR jsonb_typeof(v_policy -> 'name') IS DISTINCT FROM 'string'
           OR length(v_policy ->> 'name') NOT BETWEEN 1 AND 200 THEN
            RETURN QUERY SELECT 'PV605', format('%s needs a name', v_where);
            CONTINUE;
        END IF;
        IF v_policy ->> 'name' = ANY (v_names) THEN
            RETURN QUERY SELECT 'PV605', format('%s is defined twice', v_where);
        END IF;
        v_names := v_names || (v_policy ->> 'name');
        RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(v_where, 'escalation_policy', v_policy);
        IF jsonb_typeof(v_policy -> 'tiers') IS DISTINCT FROM 'array' OR jsonb_array_length(v_policy -> 'tiers') = 0 THEN
            RETURN QUERY SELECT 'PV605', format('%s needs tiers: a list of {receiver, delay}', v_where);
        ELSE
            v_t := 0;
            FOR v_tier IN SELECT t FROM jsonb_array_elements(v_policy -> 'tiers') AS t LOOP
                RETURN QUERY SELECT * FROM monitoring_internal.notification_key_problems(
                    format('%s.tiers[%s]', v_where, v_t), 'escalation_tier', v_tier);
                IF jsonb_typeof(v_tier) = 'object' THEN
                    IF jsonb_typeof(v_tier -> 'receiver') IS DISTINCT FROM 'string' OR NOT (v_tier ->> 'receiver') = ANY (p_receivers) THEN
                        RETURN QUERY SELECT 'PV601', format('%s.tiers[%s].receiver %s is not a receiver of notifications.receivers',
                                                            v_where, v_t, coalesce(v_tier -> 'receiver', 'null'::jsonb));
                    END IF;
                    IF v_tier ? 'delay' AND coalesce(monitoring_internal.parse_duration(v_tier -> 'delay') < 0, true) THEN
                        RETURN QUERY SELECT 'PV605', format('%s.tiers[%s].delay must be a duration of 0 or more such as "10m", got %s',
                                                            v_where, v_t, v_tier -> 'delay');
                    END IF;
                END IF;
                v_t := v_t + 1;
            END LOOP;
        END IF;
        IF v_policy ? 'repeat' AND (jsonb_typeof(v_policy -> 'repeat') <> 'number'
                                    OR (v_policy ->> 'repeat')::numeric NOT BETWEEN 0 AND 100
                                    OR (v_policy ->> 'repeat')::numeric <> trunc((v_policy ->> 'repeat')::numeric)) THEN
            RETURN QUERY SELECT 'PV605', format('%s.repeat must be a whole number of times, 0 to 100', v_where);
        END IF;
        IF v_policy ? 'ack_timeout' AND coalesce(monitoring_internal.parse_duration(v_policy -> 'ack_timeout') <= 0, true) THEN
            RETURN QUERY SELECT 'PV605', format('%s.ack_timeout must be a duration such as "1h"', v_where);
        END IF;
    END LOOP;
    -- The routes that name a policy, at any depth.
    FOR v_name IN SELECT DISTINCT x #>> '{}' FROM jsonb_path_query(coalesce(p_section -> 'route', '{}'), 'lax $.**.escalation_policy') AS x LOOP
        IF NOT v_name = ANY (v_names) THEN
            RETURN QUERY SELECT 'PV605', format('notifications.route: escalation_policy %s is not one of notifications.escalation_policies', to_jsonb(v_name));
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION monitoring_internal.escalation_policy_problems(jsonb, text[]) IS
    'Internal: the problems of the escalation policies and of the routes naming them (PV605, PV601, PV606).';
