"""Install and upgrade the ``monitoring`` schema.

Three steps, each idempotent:

1. yoyo applies the numbered, append-only migrations in ``sql/migrations``
   (tables, indexes, roles). yoyo's bookkeeping tables live in their own
   schema, ``pgvigil_migrations``, out of the way of the monitored database.
2. The repeatable sources (one function or view per file, in a folder per
   area: ``sql/functions/<area>/<name>.sql``, ``sql/views/<area>/<name>.sql``,
   then ``sql/grants.sql``) are applied whenever their text changed, tracked
   by hash in ``monitoring_internal.schema_sources``. An object is known by its kind
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
import re
import time
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

from pgvigil.db.config import load_config_file
from pgvigil.db.queries import query, template
from pgvigil.db.resources import default_config_path, sql_dir  # names tests monkeypatch here

MIGRATIONS_SCHEMA = "pgvigil_migrations"
# The schemas whose routines the function files define: the public interface
# and the internal helpers.
MANAGED_SCHEMAS = ("monitoring", "monitoring_internal")
# pg_advisory_lock key held for a whole migrate run (a constant, not a hash,
# so a DBA can find it in pg_locks: objid 0x70677669 is "pgvi").
MIGRATE_LOCK_KEY = 0x70677669

_TRY_LOCK = query("migrate_try_lock")
_UNLOCK = query("migrate_unlock")
_CREATE_MIGRATIONS_SCHEMA = template("create_migrations_schema")
_TRACKED_SOURCES = query("tracked_sources")
_DEFER_BODY_CHECKS = query("defer_function_body_checks")
_MOVE_TRACKED_SOURCE = query("move_tracked_source")
_DROP_VIEW_BEFORE_REPLACING = template("drop_view_before_replacing")
_UNTRACK_SOURCE = query("untrack_source")
_TRACK_SOURCE = query("track_source")
_UNDEFINED_VIEWS = query("undefined_views")
_UNDEFINED_ROUTINES = query("undefined_routines")
_DROP_VIEW = template("drop_view")
_DROP_AGGREGATE = template("drop_aggregate")
_DROP_ROUTINE = template("drop_routine")
_ROUTINES_NAMED = query("routines_named")
_ROUTINE_VERSIONS = query("routine_versions")
_HAS_CONFIG = query("has_config")
_APPLY_CONFIG = query("apply_config")
_MERGE_CONFIG_DEFAULTS = query("merge_config_defaults")
_RECORD_SHIPPED_RULES = query("record_shipped_alert_rules")
_RECOMPILE_RULES = query("recompile_alert_rules")
_PG_CRON_MISSING = query("pg_cron_missing")
_CREATE_PG_CRON = query("create_pg_cron")
_HAS_PG_CRON_JOBS_TABLE = query("has_pg_cron_jobs_table")
_OUTDATED_JOBS = query("outdated_jobs")
_SCHEDULE_JOBS = query("schedule_jobs")
_RUN_PARTITION_MAINTENANCE = query("run_partition_maintenance")
_SCHEMA_FINGERPRINT = query("schema_fingerprint")


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


def _fetch_bool(row: Any) -> bool:
    return bool(row and row[0])


@contextlib.contextmanager
def migration_lock(conninfo: str) -> Iterator[None]:
    """Hold the migrate advisory lock (session level) on a connection of its own.

    Polled with pg_try_advisory_lock rather than waited for: a session
    blocked in pg_advisory_lock holds a snapshot, and a CREATE INDEX
    CONCURRENTLY in the migrate that has the lock would wait for it forever.
    """
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while not _fetch_bool(conn.execute(_TRY_LOCK, (MIGRATE_LOCK_KEY,)).fetchone()):
            time.sleep(0.2)
        try:
            yield
        finally:
            conn.execute(_UNLOCK, (MIGRATE_LOCK_KEY,))


def apply_migrations(conninfo: str, *, limit: int | None = None) -> list[str]:
    """Apply outstanding numbered migrations (the first ``limit`` of them, if given)."""
    with migration_lock(conninfo):
        return _apply_migrations(conninfo, limit=limit)


def _apply_migrations(conninfo: str, *, limit: int | None = None) -> list[str]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(_CREATE_MIGRATIONS_SCHEMA.format(schema=sql.Identifier(MIGRATIONS_SCHEMA)))
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
            for path, digest in conn.execute(_TRACKED_SOURCES).fetchall()
        }
        changed: list[str] = []
        fresh: list[int] = []  # oids of the routines the changed function files (re)created
        conn.execute(_DEFER_BODY_CHECKS)
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
                dropped = _drop_undefined_objects(conn, sources, changed, fresh)
                if not (force or changed or dropped or tracked_digest != digest):
                    continue
            elif not force and tracked_digest == digest:
                if tracked_path != name:  # moved to another folder: same object
                    conn.execute(_MOVE_TRACKED_SOURCE, (name, tracked_path))
                continue
            if name.startswith("views/"):
                # CREATE OR REPLACE VIEW cannot drop or rename columns; a view
                # others depend on makes this fail loudly rather than cascade.
                conn.execute(_DROP_VIEW_BEFORE_REPLACING.format(view=sql.Identifier(path.stem)))
                conn.execute(text.encode())
            elif name.startswith("functions/"):
                fresh.extend(_replace_routine(conn, path, text))
            else:
                conn.execute(text.encode())
            if tracked_path is not None:
                conn.execute(_UNTRACK_SOURCE, (tracked_path,))
            conn.execute(_TRACK_SOURCE, (name, digest))
            changed.append(name)
        for key, (tracked_path, _digest) in applied.items():
            if key not in keys:
                conn.execute(_UNTRACK_SOURCE, (tracked_path,))
    return changed


def _replace_routine(conn: psycopg.Connection[Any], path: Path, text: str) -> list[int]:
    """Apply a function file; returns the oids of the routines it (re)created.

    CREATE OR REPLACE cannot change a routine's result type, OUT columns,
    parameter names or defaults; then the routines of that name are dropped
    first (a dependent view makes the DROP fail loudly rather than cascade)
    and the file applied again. The grants follow, as after any change. What
    the file (re)created is told by comparing each routine's pg_proc row
    version (xmin) before and after: a subtransaction's rows carry its own
    xid, so "this transaction's xmin" would not do.
    """
    schema, name = routine_name(path).split(".")
    before = dict(conn.execute(_ROUTINE_VERSIONS, (schema, name)).fetchall())
    try:
        with conn.transaction():  # a savepoint: the failed CREATE is undone alone
            conn.execute(text.encode())
    except psycopg.errors.InvalidFunctionDefinition:
        for signature, is_aggregate in conn.execute(_ROUTINES_NAMED, (schema, name)).fetchall():
            drop = _DROP_AGGREGATE if is_aggregate else _DROP_ROUTINE
            conn.execute(drop.format(signature=sql.SQL(signature)))
        conn.execute(text.encode())
    after = conn.execute(_ROUTINE_VERSIONS, (schema, name)).fetchall()
    return [oid for oid, version in after if before.get(oid) != version]


_CREATE_ROUTINE = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE|AGGREGATE)\s+(\w+)\.(\w+)\s*\(", re.I
)


def routine_name(path: Path) -> str:
    """``schema.name`` of the routine a function file creates (its first CREATE):
    public functions in ``monitoring``, helpers in ``monitoring_internal``."""
    found = _CREATE_ROUTINE.search(path.read_text(encoding="utf-8"))
    if not found or found[2] != path.stem or found[1] not in MANAGED_SCHEMAS:
        raise ValueError(
            f"{path}: must create a routine named {path.stem} in one of {', '.join(MANAGED_SCHEMAS)}"
        )
    return f"{found[1]}.{found[2]}"


def _drop_undefined_objects(
    conn: psycopg.Connection[Any], sources: list[Path], changed: list[str], fresh: list[int]
) -> list[str]:
    """Drop the views and routines no source defines; returns what was dropped."""
    root = sql_dir()
    kinds = [(p.relative_to(root).parts[0], p) for p in sources]
    defined = {p: routine_name(p) for kind, p in kinds if kind == "functions"}
    functions = list(defined.values())
    views = [p.stem for kind, p in kinds if kind == "views"]
    changed_functions = [defined[root / n] for n in changed if n.startswith("functions/")]
    dropped: list[str] = []
    for (view,) in conn.execute(_UNDEFINED_VIEWS, {"names": views}).fetchall():
        conn.execute(_DROP_VIEW.format(view=sql.Identifier(view)))
        dropped.append(f"view monitoring.{view}")
    # undefined_routines lists aggregates first: they depend on their support functions.
    for signature, is_aggregate in conn.execute(
        _UNDEFINED_ROUTINES, {"names": functions, "changed": changed_functions, "fresh": fresh}
    ).fetchall():
        # regprocedure prints the signature quoted and schema-qualified.
        drop = _DROP_AGGREGATE if is_aggregate else _DROP_ROUTINE
        conn.execute(drop.format(signature=sql.SQL(signature)))
        dropped.append(signature)
    return dropped


def migrate(conninfo: str, *, config_file: Path | None = None) -> MigrationReport:
    """Bring the database to the current schema; see the module docstring."""
    report = MigrationReport()
    with migration_lock(conninfo), psycopg.connect(conninfo, autocommit=True) as conn:
        report.migrations_applied = _apply_migrations(conninfo)
        report.sources_applied = apply_repeatable_sources(conn)
        has_config = conn.execute(_HAS_CONFIG).fetchone()
        shipped = load_config_file(default_config_path())
        if not (has_config and has_config[0]):
            document = load_config_file(config_file) if config_file else shipped
            conn.execute(_APPLY_CONFIG, (Jsonb(document),))
            report.config_loaded = True
        else:
            # Settings and rules a newer release added get their shipped
            # defaults; the values already stored win. Defaults are written
            # in one place.
            row = conn.execute(_MERGE_CONFIG_DEFAULTS, {"defaults": Jsonb(shipped)}).fetchone()
            report.config_defaults_added = bool(row and row[0])
            conn.execute(_RECOMPILE_RULES)
        # Shipped rules can be disabled, not removed: an upgrade would add them back.
        names = [rule["name"] for rule in shipped.get("alert_rules", [])]
        conn.execute(_RECORD_SHIPPED_RULES, {"names": names})
        report.pg_cron_created = create_pg_cron_if_preloaded(conn)
        report.jobs_rescheduled = reschedule_outdated_jobs(conn)  # needs the config
        rows = conn.execute(_RUN_PARTITION_MAINTENANCE).fetchall()
        report.partitions_created = sum(r[0] for r in rows)
    return report


def create_pg_cron_if_preloaded(conn: psycopg.Connection[Any]) -> bool:
    """Create the pg_cron extension where the server preloads it for this
    database and it is missing; returns whether it was created. Needs a
    superuser (or a role pg_cron's packaging trusts); without one the
    extension is left to the DBA and schedule_jobs() says so (PV401)."""
    row = conn.execute(_PG_CRON_MISSING).fetchone()
    if not (row and row[0]):
        return False
    try:
        conn.execute(_CREATE_PG_CRON)
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


def reschedule_outdated_jobs(conn: psycopg.Connection[Any]) -> bool:
    """Where pgvigil's jobs are scheduled in pg_cron and a command differs from
    job_definitions(), schedule them again (by name: an update, not a second
    job). A database whose jobs were never scheduled is left alone."""
    row = conn.execute(_HAS_PG_CRON_JOBS_TABLE).fetchone()
    if not (row and row[0]):
        return False
    row = conn.execute(_OUTDATED_JOBS).fetchone()
    if not (row and row[0]):
        return False
    conn.execute(_SCHEDULE_JOBS).fetchall()
    return True


def schema_fingerprint(conninfo: str) -> str:
    """A canonical description of the ``monitoring`` schema, to compare installs."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(_SCHEMA_FINGERPRINT).fetchall()
    return json.dumps(rows, indent=0)
