"""Install and upgrade the ``monitoring`` schema.

Three steps, each idempotent:

1. yoyo applies the numbered, append-only migrations in ``sql/migrations``
   (tables, indexes, roles). yoyo's bookkeeping tables live in their own
   schema, ``pgvigil_migrations``, out of the way of the monitored database.
2. The repeatable sources (one function or view per file, in a folder per
   area: ``sql/functions/<area>/<name>.sql``, ``sql/views/<area>/<name>.sql``,
   then ``sql/grants.sql``) are applied whenever their text changed, tracked
   by hash in ``monitoring.schema_sources``. An object is known by its kind
   and name, not its folder: a file moved to another area is not applied
   again. A routine no file defines any more (its file was deleted, or its
   signature changed) is dropped, so no stale overload keeps EXECUTE; so is
   a view no file defines.
3. On a first install the default config is loaded; daily partitions are
   created ahead.

The whole run holds an advisory lock, taken before anything else, so two
``migrate`` at once wait for each other instead of racing on ``CREATE
SCHEMA``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from yoyo import read_migrations
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import DatabaseURI

from pgvigil.config import load_config_file
from pgvigil.resources import default_config_path, sql_dir

MIGRATIONS_SCHEMA = "pgvigil_migrations"
# pg_advisory_lock key held for a whole migrate run (a constant, not a hash,
# so a DBA can find it in pg_locks: objid 0x70677669 is "pgvi").
MIGRATE_LOCK_KEY = 0x70677669


@dataclass
class MigrationReport:
    """What one ``migrate()`` run changed."""

    migrations_applied: list[str] = field(default_factory=list)
    sources_applied: list[str] = field(default_factory=list)
    config_loaded: bool = False
    partitions_created: int = 0
    pg_cron_created: bool = False
    config_defaults_added: bool = False
    jobs_rescheduled: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.migrations_applied
            or self.sources_applied
            or self.config_loaded
            or self.config_defaults_added
            or self.pg_cron_created
            or self.jobs_rescheduled
        )


class _Backend(PostgresqlPsycopgBackend):  # type: ignore[misc]
    """yoyo's psycopg 3 backend, connected from a libpq conninfo instead of a URL."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        uri = DatabaseURI("postgresql+psycopg", None, None, None, None, None, {})
        super().__init__(uri, "_yoyo_migration")

    def connect(self, dburi: Any) -> psycopg.Connection[Any]:
        self.schema = MIGRATIONS_SCHEMA
        return psycopg.connect(self._conninfo, autocommit=True)

    def copy(self) -> _Backend:
        return _Backend(self._conninfo)


@contextlib.contextmanager
def migration_lock(conninfo: str) -> Iterator[None]:
    """Hold the migrate advisory lock (session level) on a connection of its own."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))


def apply_migrations(conninfo: str, *, limit: int | None = None) -> list[str]:
    """Apply outstanding numbered migrations (the first ``limit`` of them, if given)."""
    with migration_lock(conninfo):
        return _apply_migrations(conninfo, limit=limit)


def _apply_migrations(conninfo: str, *, limit: int | None = None) -> list[str]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(MIGRATIONS_SCHEMA))
        )
    backend = _Backend(conninfo)
    try:
        backend.init_database()
        migrations = read_migrations(str(sql_dir() / "migrations"))
        with backend.lock():
            pending = backend.to_apply(migrations)
            if limit is not None:
                pending = pending[: max(limit - _applied_count(backend), 0)]
            backend.apply_migrations(pending)
        return [m.id for m in pending]
    finally:
        backend.connection.close()


def _applied_count(backend: Any) -> int:
    return len(backend.get_applied_migration_hashes())


def repeatable_sources() -> list[Path]:
    """Functions, then views, then grants: the order they must be applied in.

    Within each kind, files are taken in the order of their path below
    ``sql/``, so the order is the same on every machine.
    """
    root = sql_dir()
    sources = [
        *sorted((root / "functions").rglob("*.sql"), key=lambda p: p.relative_to(root).as_posix()),
        *sorted((root / "views").rglob("*.sql"), key=lambda p: p.relative_to(root).as_posix()),
    ]
    seen: dict[str, Path] = {}
    for path in sources:
        key = object_key(path.relative_to(root).as_posix())
        if key in seen:
            raise ValueError(f"{key} is defined twice: {seen[key]} and {path}")
        seen[key] = path
    return [*sources, root / "grants.sql"]


def object_key(source_path: str) -> str:
    """What a source defines, whatever its folder: ``functions/ingest/record_error.sql``
    and the flat ``functions/record_error.sql`` of 0.1.0 are both ``functions/record_error``."""
    parts = source_path.split("/")
    return "/".join([*parts[:1], Path(parts[-1]).stem]) if len(parts) > 1 else Path(parts[0]).stem


def apply_repeatable_sources(conn: psycopg.Connection[Any], *, force: bool = False) -> list[str]:
    """Apply every function/view file whose text changed, drop what no file
    defines any more, then apply the grants.

    One transaction: a failing file leaves the previous definitions in place.
    Function bodies are checked at first call, not at creation, so files can
    be applied in path order whatever they call (as pg_dump restores do).
    Returns the paths applied, relative to ``sql/``.
    """
    root = sql_dir()
    with conn.transaction():
        applied: dict[str, tuple[str, str]] = {
            object_key(path): (path, digest)
            for path, digest in conn.execute(
                "SELECT source_path, sha256 FROM monitoring.schema_sources"
            ).fetchall()
        }
        changed: list[str] = []
        conn.execute("SET LOCAL check_function_bodies = off")
        sources = repeatable_sources()
        keys = {object_key(p.relative_to(root).as_posix()) for p in sources}
        for path in sources:
            name = path.relative_to(root).as_posix()
            key = object_key(name)
            text = path.read_text(encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()
            tracked_path, tracked_digest = applied.get(key, (None, None))
            if name == "grants.sql":
                # Last, after the drops: REVOKE rewrites every pg_proc row,
                # which would hide which overloads this run re-created.
                dropped = _drop_undefined_objects(conn, sources, changed)
                if not (force or changed or dropped or tracked_digest != digest):
                    continue
            elif not force and tracked_digest == digest:
                if tracked_path != name:  # moved to another folder: same object
                    conn.execute(
                        "UPDATE monitoring.schema_sources SET source_path = %s"
                        " WHERE source_path = %s",
                        (name, tracked_path),
                    )
                continue
            if name.startswith("views/"):
                # CREATE OR REPLACE VIEW cannot drop or rename columns; a view
                # others depend on makes this fail loudly rather than cascade.
                conn.execute(
                    sql.SQL("DROP VIEW IF EXISTS monitoring.{}").format(sql.Identifier(path.stem))
                )
            conn.execute(text.encode())
            if tracked_path is not None:
                conn.execute(
                    "DELETE FROM monitoring.schema_sources WHERE source_path = %s", (tracked_path,)
                )
            conn.execute(
                "INSERT INTO monitoring.schema_sources (source_path, sha256) VALUES (%s, %s)",
                (name, digest),
            )
            changed.append(name)
        for key, (tracked_path, _digest) in applied.items():
            if key not in keys:
                conn.execute(
                    "DELETE FROM monitoring.schema_sources WHERE source_path = %s", (tracked_path,)
                )
    return changed


# Routines of schema monitoring that no source defines any more: a name no
# function file has, or an overload of a re-applied file that this
# transaction did not (re)create (CREATE OR REPLACE rewrites the pg_proc row,
# so a current definition has this transaction's xmin). Aggregates first,
# since they depend on their support functions.
_UNDEFINED_ROUTINES_SQL = """
    SELECT p.oid::regprocedure::text, p.prokind = 'a'
    FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = 'monitoring'::regnamespace
      AND (NOT p.proname = ANY(%(names)s)
           OR (p.proname = ANY(%(changed)s) AND p.xmin <> pg_current_xact_id()::xid))
    ORDER BY p.prokind <> 'a', 1
"""
_UNDEFINED_VIEWS_SQL = """
    SELECT c.relname FROM pg_catalog.pg_class AS c
    WHERE c.relnamespace = 'monitoring'::regnamespace AND c.relkind = 'v'
      AND NOT c.relname = ANY(%(names)s)
    ORDER BY 1
"""


def _drop_undefined_objects(
    conn: psycopg.Connection[Any], sources: list[Path], changed: list[str]
) -> list[str]:
    """Drop the views and routines no source defines; returns what was dropped."""
    root = sql_dir()
    kinds = [(p.relative_to(root).parts[0], p.stem) for p in sources]
    functions = [name for kind, name in kinds if kind == "functions"]
    views = [name for kind, name in kinds if kind == "views"]
    changed_functions = [Path(n).stem for n in changed if n.startswith("functions/")]
    dropped: list[str] = []
    for (view,) in conn.execute(_UNDEFINED_VIEWS_SQL, {"names": views}).fetchall():
        conn.execute(sql.SQL("DROP VIEW monitoring.{}").format(sql.Identifier(view)))
        dropped.append(f"view monitoring.{view}")
    for signature, is_aggregate in conn.execute(
        _UNDEFINED_ROUTINES_SQL, {"names": functions, "changed": changed_functions}
    ).fetchall():
        kind = "AGGREGATE" if is_aggregate else "ROUTINE"
        conn.execute(sql.SQL(f"DROP {kind} {{}}").format(sql.SQL(signature)))
        dropped.append(signature)
    return dropped


def migrate(conninfo: str, *, config_file: Path | None = None) -> MigrationReport:
    """Bring the database to the current schema; see the module docstring."""
    report = MigrationReport()
    with migration_lock(conninfo), psycopg.connect(conninfo, autocommit=True) as conn:
        report.migrations_applied = _apply_migrations(conninfo)
        report.sources_applied = apply_repeatable_sources(conn)
        has_config = conn.execute("SELECT EXISTS (SELECT FROM monitoring.config)").fetchone()
        if not (has_config and has_config[0]):
            document = load_config_file(config_file or default_config_path())
            conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(document),))
            report.config_loaded = True
        else:
            # Settings a newer release added get their shipped defaults; the
            # values already stored win. Defaults are written in one place.
            defaults = Jsonb(load_config_file(default_config_path()))
            row = conn.execute(_MERGE_DEFAULTS_SQL, {"defaults": defaults}).fetchone()
            report.config_defaults_added = bool(row and row[0])
        report.pg_cron_created = create_pg_cron_if_preloaded(conn)
        report.jobs_rescheduled = reschedule_outdated_jobs(conn)  # needs the config
        rows = conn.execute(
            "SELECT partitions_created FROM monitoring.run_partition_maintenance()"
        ).fetchall()
        report.partitions_created = sum(r[0] for r in rows)
    return report


_MERGE_DEFAULTS_SQL = """
    SELECT monitoring.apply_config(monitoring.config_merge(%(defaults)s, c.document)) IS NOT NULL
    FROM monitoring.config AS c
    WHERE monitoring.config_merge(%(defaults)s, c.document) <> c.document
"""
# pg_cron runs jobs in the one database named by cron.database_name.
_PG_CRON_MISSING_SQL = """
    SELECT 'pg_cron' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
           AND current_setting('cron.database_name', true) = current_database()
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')
"""


def create_pg_cron_if_preloaded(conn: psycopg.Connection[Any]) -> bool:
    """Create the pg_cron extension where the server preloads it for this
    database and it is missing; returns whether it was created. Needs a
    superuser (or a role pg_cron's packaging trusts); without one the
    extension is left to the DBA and schedule_jobs() says so (PV401)."""
    row = conn.execute(_PG_CRON_MISSING_SQL).fetchone()
    if not (row and row[0]):
        return False
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


# Jobs scheduled by an earlier release whose command has changed since (0.1.0
# scheduled the cleanup as a function; it is now CALL run_retention()).
_OUTDATED_JOBS_SQL = """
    SELECT count(*) FROM cron.job AS j
    JOIN monitoring.job_definitions('pg_cron') AS d ON d.job_name = j.jobname
    WHERE j.command <> d.command AND j.database = current_database()
"""


def reschedule_outdated_jobs(conn: psycopg.Connection[Any]) -> bool:
    """Where pgvigil's jobs are scheduled in pg_cron and a command differs from
    job_definitions(), schedule them again (by name: an update, not a second
    job). A database whose jobs were never scheduled is left alone."""
    row = conn.execute("SELECT to_regclass('cron.job') IS NOT NULL").fetchone()
    if not (row and row[0]):
        return False
    row = conn.execute(_OUTDATED_JOBS_SQL).fetchone()
    if not (row and row[0]):
        return False
    conn.execute("SELECT * FROM monitoring.schedule_jobs()").fetchall()
    return True


def schema_fingerprint(conninfo: str) -> str:
    """A canonical description of the ``monitoring`` schema, to compare installs."""
    query = """
        SELECT c.relkind::text, c.relname, coalesce(pg_get_viewdef(c.oid), ''),
               coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                                           ', ' ORDER BY a.attnum)
                         FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
                           AND NOT a.attisdropped), '')
        FROM pg_class c WHERE c.relnamespace = 'monitoring'::regnamespace
        UNION ALL
        SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid), ''
        FROM pg_constraint WHERE connamespace = 'monitoring'::regnamespace
        UNION ALL
        SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid), ''
        FROM pg_index WHERE indrelid IN (
            SELECT oid FROM pg_class WHERE relnamespace = 'monitoring'::regnamespace)
        UNION ALL
        SELECT 'function', p.oid::regprocedure::text,
               -- pg_get_functiondef() rejects aggregates: describe them by their parts.
               md5(CASE WHEN p.prokind = 'a'
                        THEN (SELECT concat_ws(' ', a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
                                               a.aggtranstype::regtype, a.agginitval, p.proparallel,
                                               obj_description(p.oid, 'pg_proc'))
                              FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
                        ELSE pg_get_functiondef(p.oid) END),
               coalesce(array_to_string(p.proacl, ','), '')
        FROM pg_proc p WHERE p.pronamespace = 'monitoring'::regnamespace
        UNION ALL
        SELECT 'acl', c.relname, coalesce(array_to_string(c.relacl, ','), ''), ''
        FROM pg_class c WHERE c.relnamespace = 'monitoring'::regnamespace
        ORDER BY 1, 2, 3
    """
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(query).fetchall()
    return json.dumps(rows, indent=0)
