"""Install and upgrade the ``monitoring`` schema.

Three steps, each idempotent:

1. yoyo applies the numbered, append-only migrations in ``sql/migrations``
   (tables, indexes, roles). yoyo's bookkeeping tables live in their own
   schema, ``pgvigil_migrations``, out of the way of the monitored database.
2. The repeatable sources (one function or view per file in
   ``sql/functions`` and ``sql/views``, then ``sql/grants.sql``) are applied
   whenever their text changed, tracked by hash in
   ``monitoring.schema_sources``.
3. On a first install the default config is loaded; daily partitions are
   created ahead.
"""

from __future__ import annotations

import hashlib
import json
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


@dataclass
class MigrationReport:
    """What one ``migrate()`` run changed."""

    migrations_applied: list[str] = field(default_factory=list)
    sources_applied: list[str] = field(default_factory=list)
    config_loaded: bool = False
    partitions_created: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.migrations_applied or self.sources_applied or self.config_loaded)


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


def apply_migrations(conninfo: str, *, limit: int | None = None) -> list[str]:
    """Apply outstanding numbered migrations (the first ``limit`` of them, if given)."""
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
    """Functions, then views, then grants: the order they must be applied in."""
    root = sql_dir()
    return [
        *sorted((root / "functions").glob("*.sql")),
        *sorted((root / "views").glob("*.sql")),
        root / "grants.sql",
    ]


def apply_repeatable_sources(conn: psycopg.Connection[Any], *, force: bool = False) -> list[str]:
    """Apply every function/view file whose text changed, then the grants.

    One transaction: a failing file leaves the previous definitions in place.
    Function bodies are checked at first call, not at creation, so files can
    be applied in name order whatever they call (as pg_dump restores do).
    """
    root = sql_dir()
    with conn.transaction():
        applied = dict(
            conn.execute("SELECT source_path, sha256 FROM monitoring.schema_sources").fetchall()
        )
        changed: list[str] = []
        conn.execute("SET LOCAL check_function_bodies = off")
        for path in repeatable_sources():
            name = path.relative_to(root).as_posix()
            text = path.read_text(encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()
            is_grants = name == "grants.sql"
            if not force and applied.get(name) == digest and not (is_grants and changed):
                continue
            if name.startswith("views/"):
                # CREATE OR REPLACE VIEW cannot drop or rename columns; a view
                # others depend on makes this fail loudly rather than cascade.
                conn.execute(
                    sql.SQL("DROP VIEW IF EXISTS monitoring.{}").format(sql.Identifier(path.stem))
                )
            conn.execute(text.encode())
            conn.execute(
                "INSERT INTO monitoring.schema_sources (source_path, sha256) VALUES (%s, %s)"
                " ON CONFLICT (source_path) DO UPDATE SET sha256 = excluded.sha256, applied_at = now()",
                (name, digest),
            )
            changed.append(name)
    return changed


def migrate(conninfo: str, *, config_file: Path | None = None) -> MigrationReport:
    """Bring the database to the current schema; see the module docstring."""
    report = MigrationReport()
    report.migrations_applied = apply_migrations(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        report.sources_applied = apply_repeatable_sources(conn)
        has_config = conn.execute("SELECT EXISTS (SELECT FROM monitoring.config)").fetchone()
        if not (has_config and has_config[0]):
            document = load_config_file(config_file or default_config_path())
            conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(document),))
            report.config_loaded = True
        rows = conn.execute(
            "SELECT partitions_created FROM monitoring.run_partition_maintenance()"
        ).fetchall()
        report.partitions_created = sum(r[0] for r in rows)
    return report


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
