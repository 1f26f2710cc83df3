-- The schema of pgvigil's internals: the helper functions the public ones
-- call (validation, config lookups, the task lifecycle's shared steps,
-- partition creation, rollup arithmetic). Users call the functions and read
-- the views of schema monitoring; nothing here is a public interface, and no
-- role but the owner may use it: the monitoring functions that call these
-- helpers are SECURITY DEFINER (or aggregates, whose support functions run
-- with their owner's rights), so no grant is needed.
CREATE SCHEMA IF NOT EXISTS monitoring_internal;
REVOKE ALL ON SCHEMA monitoring_internal FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA monitoring_internal REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
COMMENT ON SCHEMA monitoring_internal IS
    'pgvigil internals: helpers of the monitoring functions. Not a public interface; usable by its owner only.';
