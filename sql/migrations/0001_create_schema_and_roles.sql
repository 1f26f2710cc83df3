-- pgvigil 0.1: the monitoring schema, the three NOLOGIN roles, and the table
-- that tracks which repeatable sources (functions, views) are applied.
-- Least privilege from the start: nothing in the schema is usable by PUBLIC.

CREATE SCHEMA IF NOT EXISTS monitoring;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pgvigil_writer') THEN
        CREATE ROLE pgvigil_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pgvigil_reader') THEN
        CREATE ROLE pgvigil_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pgvigil_admin') THEN
        CREATE ROLE pgvigil_admin NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA monitoring FROM PUBLIC;
GRANT USAGE ON SCHEMA monitoring TO pgvigil_writer, pgvigil_reader, pgvigil_admin;

-- Functions created later in this schema are not executable by PUBLIC.
ALTER DEFAULT PRIVILEGES IN SCHEMA monitoring REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

CREATE TABLE monitoring.schema_sources (
    source_path text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT schema_sources_pkey PRIMARY KEY (source_path)
);
COMMENT ON TABLE monitoring.schema_sources IS
    'Repeatable SQL sources (sql/functions, sql/views, sql/grants.sql) and the hash of the text last applied by pgvigil migrate.';
