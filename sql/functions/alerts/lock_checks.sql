CREATE OR REPLACE FUNCTION monitoring_internal.lock_checks()
RETURNS void
LANGUAGE sql
AS $$
    -- Internal: serialises the alert checks (pg_cron catching up while a DBA
    -- runs them by hand) for the rest of the transaction.
    SELECT pg_advisory_xact_lock(hashtext('pgvigil.monitoring_checks'));
$$;
COMMENT ON FUNCTION monitoring_internal.lock_checks() IS
    'Internal: takes the transaction-scoped advisory lock shared by all alert checks.';
