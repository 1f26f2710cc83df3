"""Migrations: a fresh install equals every upgrade path, re-running is a no-op,
changed repeatable sources are re-applied with their grants, and the wheel
carries the SQL and config it needs."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

import pgvigil.db.config
import pgvigil.db.migrate as migrate_module
import pgvigil.db.resources
from pgvigil import BufferedClient, MonitoringClient
from pgvigil.db.migrate import apply_migrations, migrate, repeatable_sources, schema_fingerprint
from pgvigil.db.queries import QUERIES
from pgvigil.db.resources import sql_dir

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((REPO / "sql" / "migrations").glob("*.sql"))


@pytest.fixture
def empty_db(server) -> Iterator[Any]:
    """A factory of empty databases, dropped after the test."""
    created: list[str] = []

    def make(suffix: str) -> str:
        name = f"pgvigil_mig_{os.getpid()}_{suffix}"
        server.drop_database(name)
        created.append(name)
        return server.create_database(name)

    yield make
    for name in created:
        server.drop_database(name)


@pytest.fixture(scope="module")
def fresh_fingerprint(server) -> Iterator[str]:
    name = f"pgvigil_mig_{os.getpid()}_fresh"
    server.drop_database(name)
    conninfo = server.create_database(name)
    try:
        report = migrate(conninfo)
        assert len(report.migrations_applied) == len(MIGRATIONS)
        assert report.config_loaded
        yield schema_fingerprint(conninfo)
    finally:
        server.drop_database(name)


@pytest.fixture
def dsn(fresh_dsn):
    """These tests change the schema and grants themselves: a brand-new database each."""
    return fresh_dsn


def test_there_are_migrations():
    assert len(MIGRATIONS) >= 2
    assert MIGRATIONS[0].name == "0001_create_schema_and_roles.sql"


@pytest.mark.parametrize("k", range(len(MIGRATIONS)))
def test_upgrade_from_the_first_k_migrations_equals_a_fresh_install(k, empty_db, fresh_fingerprint):
    conninfo = empty_db(f"upgrade_{k}")
    applied = apply_migrations(conninfo, limit=k)
    assert applied == [m.stem for m in MIGRATIONS[:k]]
    # Applying the same prefix again applies nothing.
    assert apply_migrations(conninfo, limit=k) == []
    report = migrate(conninfo)
    assert report.migrations_applied == [m.stem for m in MIGRATIONS[k:]]
    assert schema_fingerprint(conninfo) == fresh_fingerprint


def test_fingerprint_sees_a_schema_difference(dsn, conn, fresh_fingerprint):
    # Guard for the test above: the fingerprint is sensitive to real differences.
    assert schema_fingerprint(dsn) == fresh_fingerprint
    conn.execute("ALTER TABLE monitoring.alerts ADD COLUMN extra integer")
    assert schema_fingerprint(dsn) != fresh_fingerprint


def test_fingerprint_sees_a_lost_grant(dsn, conn, fresh_fingerprint):
    conn.execute("REVOKE SELECT ON monitoring.v_active_alerts FROM pgvigil_reader")
    assert schema_fingerprint(dsn) != fresh_fingerprint


def test_migrating_twice_changes_nothing(dsn, conn):
    before = schema_fingerprint(dsn)
    sources_before = conn.execute(
        "SELECT source_path, sha256, applied_at FROM monitoring_internal.schema_sources ORDER BY 1"
    ).fetchall()
    report = migrate(dsn)
    assert report.changed is False
    assert report.migrations_applied == []
    assert report.sources_applied == []
    assert report.config_loaded is False
    assert schema_fingerprint(dsn) == before
    assert (
        conn.execute(
            "SELECT source_path, sha256, applied_at FROM monitoring_internal.schema_sources ORDER BY 1"
        ).fetchall()
        == sources_before
    )


def test_every_repeatable_source_is_tracked_by_its_hash(conn):
    tracked = dict(
        conn.execute("SELECT source_path, sha256 FROM monitoring_internal.schema_sources")
    )
    root = sql_dir()
    expected = {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in repeatable_sources()
    }
    assert tracked == expected


def test_migrate_keeps_a_config_already_applied(dsn, conn):
    conn.execute(
        "SELECT monitoring.apply_config(jsonb_set(document, '{alert_thresholds,queue_backlog,low}',"
        " '7')) FROM monitoring.config"
    )
    report = migrate(dsn)
    assert report.config_loaded is False
    assert conn.execute(
        "SELECT document #>> '{alert_thresholds,queue_backlog,low}' FROM monitoring.config"
    ).fetchone() == ("7",)


def _reader_can_select(conn: psycopg.Connection[Any], view: str) -> bool:
    row = conn.execute("SELECT has_table_privilege('pgvigil_reader', %s, 'SELECT')", (view,))
    result = row.fetchone()
    assert result is not None
    return bool(result[0])


def test_a_changed_view_is_reapplied_and_keeps_its_grants(dsn, conn):
    view = "monitoring.v_active_alerts"
    assert _reader_can_select(conn, view)
    oid_before = conn.execute("SELECT %s::regclass::oid", (view,)).fetchone()
    conn.execute(
        "DELETE FROM monitoring_internal.schema_sources WHERE source_path = 'views/alerts/v_active_alerts.sql'"
    )
    report = migrate(dsn)
    assert report.changed is True
    assert report.sources_applied == ["views/alerts/v_active_alerts.sql", "grants.sql"]
    # It really was dropped and recreated, and the grants were applied again.
    assert conn.execute("SELECT %s::regclass::oid", (view,)).fetchone() != oid_before
    assert _reader_can_select(conn, view)
    assert not conn.execute(
        "SELECT has_table_privilege('pgvigil_writer', %s, 'SELECT')", (view,)
    ).fetchone()[0]
    assert migrate(dsn).changed is False


def test_a_changed_function_is_reapplied(dsn, conn):
    conn.execute(
        "UPDATE monitoring_internal.schema_sources SET sha256 = 'stale'"
        " WHERE source_path = 'functions/ingest/record_error.sql'"
    )
    # Stand-in for an older definition: a body that returns -1.
    conn.execute(
        "CREATE OR REPLACE FUNCTION monitoring.record_error(p_task_id text, p_error_type text,"
        " p_severity text, p_message text, p_component text, p_stack_trace text DEFAULT NULL,"
        " p_context jsonb DEFAULT NULL, p_event_time timestamptz DEFAULT now())"
        " RETURNS bigint LANGUAGE sql AS 'SELECT -1::bigint'"
    )
    report = migrate(dsn)
    assert report.sources_applied == ["functions/ingest/record_error.sql", "grants.sql"]
    error_id = conn.execute(
        "SELECT monitoring.record_error(NULL, 'e', 'low', 'm', 'c')"
    ).fetchone()[0]
    assert error_id > 0
    assert conn.execute(
        "SELECT has_function_privilege('pgvigil_writer',"
        " 'monitoring.record_error(text, text, text, text, text, text, jsonb, timestamptz)',"
        " 'EXECUTE')"
    ).fetchone() == (True,)
    assert conn.execute(
        "SELECT tracked.sha256 FROM monitoring_internal.schema_sources AS tracked"
        " WHERE source_path = 'functions/ingest/record_error.sql'"
    ).fetchone() == (
        hashlib.sha256((sql_dir() / "functions/ingest/record_error.sql").read_bytes()).hexdigest(),
    )


def test_a_failing_source_leaves_the_previous_definitions(dsn, conn, monkeypatch, tmp_path):
    # A copy of the SQL tree with one broken view file: migrate fails and rolls back.
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    (copy / "views" / "dashboard" / "v_error_summary.sql").write_text(
        "CREATE VIEW broken AS SELECT nope;"
    )
    (copy / "views" / "alerts" / "v_active_alerts.sql").write_text(
        (copy / "views" / "alerts" / "v_active_alerts.sql").read_text() + "\n-- changed\n"
    )
    monkeypatch.setattr(migrate_module, "sql_dir", lambda: copy)
    before = schema_fingerprint(dsn)
    with pytest.raises(psycopg.Error):
        migrate(dsn)
    assert schema_fingerprint(dsn) == before
    assert _reader_can_select(conn, "monitoring.v_active_alerts")


# --- the built wheel -----------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    wheels = list(out.glob("pgvigil-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.slow
def test_the_wheel_carries_the_sql_and_the_config(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for required in (
            "pgvigil/__init__.py",
            "pgvigil/py.typed",
            "pgvigil/db/queries.sql",
            "pgvigil/_resources/sql/migrations/0001_create_schema_and_roles.sql",
            "pgvigil/_resources/sql/functions/ingest/record_error.sql",
            "pgvigil/_resources/sql/views/alerts/v_active_alerts.sql",
            "pgvigil/_resources/sql/grants.sql",
            "pgvigil/_resources/config/monitoring_config.json",
            "pgvigil/_resources/config/monitoring_config.schema.json",
        ):
            assert required in names, required
        # Every SQL and config file of the source tree, byte for byte.
        for folder in ("sql", "config"):
            for path in sorted((REPO / folder).rglob("*")):
                if path.is_file():
                    member = f"pgvigil/_resources/{path.relative_to(REPO).as_posix()}"
                    assert zf.read(member) == path.read_bytes(), member
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "pgvigil = pgvigil.cli:main" in zf.read(entry_points).decode()


@pytest.mark.slow
def test_the_unpacked_wheel_finds_its_packaged_resources(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path)
    code = (
        "import pgvigil.db.resources as r, pgvigil.db.migrate as m, pgvigil.db.queries as q; "
        "print(r.__file__); print(r.sql_dir()); print(r.default_config_path()); "
        "print(len(m.repeatable_sources())); print(len(q.QUERIES))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
        text=True,
    )
    module_file, sql, config, sources, queries = result.stdout.splitlines()
    root = tmp_path.resolve()
    assert Path(module_file).resolve() == root / "pgvigil" / "db" / "resources.py"
    assert Path(sql) == root / "pgvigil" / "_resources" / "sql"
    assert Path(config) == root / "pgvigil" / "_resources" / "config" / "monitoring_config.json"
    assert int(sources) == len(repeatable_sources())
    assert int(queries) == len(QUERIES)


@pytest.mark.slow
def test_the_unpacked_wheel_migrates_a_database(wheel, tmp_path, empty_db):
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site")
    conninfo = empty_db("from_wheel")
    code = (
        "import sys, pgvigil.db.migrate as m; r = m.migrate(sys.argv[1]); "
        "print(len(r.migrations_applied), len(r.sources_applied), r.config_loaded)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, conninfo],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        check=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == [
        str(len(MIGRATIONS)),
        str(len(repeatable_sources())),
        "True",
    ]
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM monitoring.config").fetchone() == (1,)


# --- the tree: areas, moved files, deleted files, changed signatures ---------


def _sql_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the SQL tree that migrate() reads instead of the real one."""
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    monkeypatch.setattr(migrate_module, "sql_dir", lambda: copy)
    return copy


def test_sources_are_found_in_every_area_folder_in_path_order():
    sources = [p.relative_to(sql_dir()).as_posix() for p in repeatable_sources()]
    assert "functions/ingest/record_error.sql" in sources
    assert "views/alerts/v_active_alerts.sql" in sources
    functions = [s for s in sources if s.startswith("functions/")]
    views = [s for s in sources if s.startswith("views/")]
    assert functions == sorted(functions) and views == sorted(views)
    assert sources == [*functions, *views, "grants.sql"]
    # No file sits directly in functions/ or views/: each has an area.
    assert all(s.count("/") == 2 for s in functions + views)


def test_a_moved_file_is_the_same_object_and_is_not_applied_again(dsn, conn, tmp_path, monkeypatch):
    copy = _sql_copy(tmp_path, monkeypatch)
    (copy / "functions" / "elsewhere").mkdir()
    shutil.move(
        copy / "functions" / "ingest" / "record_error.sql",
        copy / "functions" / "elsewhere" / "record_error.sql",
    )
    oid = conn.execute("SELECT 'monitoring.record_error'::regproc::oid").fetchone()
    report = migrate(dsn)
    assert report.sources_applied == []
    assert conn.execute("SELECT 'monitoring.record_error'::regproc::oid").fetchone() == oid
    assert conn.execute(
        "SELECT source_path FROM monitoring_internal.schema_sources WHERE source_path LIKE '%record_error%'"
    ).fetchall() == [("functions/elsewhere/record_error.sql",)]


def test_a_name_defined_in_two_areas_is_refused(tmp_path, monkeypatch):
    copy = _sql_copy(tmp_path, monkeypatch)
    shutil.copy(copy / "functions" / "ingest" / "record_error.sql", copy / "functions" / "alerts")
    with pytest.raises(ValueError, match="functions/record_error is defined twice"):
        repeatable_sources()


def test_a_function_whose_file_was_deleted_is_dropped(dsn, conn, tmp_path, monkeypatch):
    copy = _sql_copy(tmp_path, monkeypatch)
    (copy / "functions" / "jobs" / "unschedule_jobs.sql").unlink()
    (copy / "views" / "dashboard" / "v_queue_performance.sql").unlink()
    grants = copy / "grants.sql"
    text = grants.read_text()
    assert " monitoring.v_queue_performance," in text
    grants.write_text(text.replace(" monitoring.v_queue_performance,", ""))
    report = migrate(dsn)
    assert report.sources_applied == ["grants.sql"]
    assert conn.execute("SELECT to_regproc('monitoring.unschedule_jobs')").fetchone() == (None,)
    assert conn.execute("SELECT to_regclass('monitoring.v_queue_performance')").fetchone() == (
        None,
    )
    assert conn.execute(
        "SELECT count(*) FROM monitoring_internal.schema_sources WHERE source_path LIKE '%unschedule_jobs%'"
        " OR source_path LIKE '%v_queue_performance%'"
    ).fetchone() == (0,)
    assert migrate(dsn).changed is False


def test_a_changed_signature_leaves_no_stale_overload(dsn, conn, tmp_path, monkeypatch):
    copy = _sql_copy(tmp_path, monkeypatch)
    path = copy / "functions" / "alerts" / "resolve_alert.sql"
    text = path.read_text()
    assert "p_note text DEFAULT NULL\n" in text, "fixture out of date: resolve_alert changed"
    # A new trailing parameter: CREATE OR REPLACE makes a second overload.
    path.write_text(
        text.replace(
            "p_note text DEFAULT NULL\n", "p_note text DEFAULT NULL, p_extra integer DEFAULT 0\n", 1
        ).replace("resolve_alert(bigint, text, text)", "resolve_alert(bigint, text, text, integer)")
    )
    report = migrate(dsn)
    assert report.sources_applied == ["functions/alerts/resolve_alert.sql", "grants.sql"]
    overloads = conn.execute(
        "SELECT pg_get_function_identity_arguments(oid) FROM pg_proc"
        " WHERE pronamespace = 'monitoring'::regnamespace AND proname = 'resolve_alert'"
    ).fetchall()
    assert overloads == [("p_alert_id bigint, p_resolved_by text, p_note text, p_extra integer",)]
    assert conn.execute(
        "SELECT has_function_privilege('pgvigil_admin',"
        " 'monitoring.resolve_alert(bigint,text,text,integer)', 'EXECUTE')"
    ).fetchone() == (True,)


def test_a_changed_result_type_is_applied_by_dropping_the_old_routine(
    dsn, conn, tmp_path, monkeypatch
):
    copy = _sql_copy(tmp_path, monkeypatch)
    path = copy / "functions" / "alerts" / "resolve_alert.sql"
    text = path.read_text()
    assert "RETURNS boolean" in text, "fixture out of date: resolve_alert changed"
    # CREATE OR REPLACE cannot change a result type: migrate drops, then creates.
    path.write_text(
        text.replace("RETURNS boolean", "RETURNS integer", 1).replace("RETURN true;", "RETURN 1;")
    )
    report = migrate(dsn)
    assert report.sources_applied == ["functions/alerts/resolve_alert.sql", "grants.sql"]
    assert conn.execute(
        "SELECT prorettype::regtype::text FROM pg_proc"
        " WHERE pronamespace = 'monitoring'::regnamespace AND proname = 'resolve_alert'"
    ).fetchall() == [("integer",)]
    assert conn.execute(
        "SELECT has_function_privilege('pgvigil_admin',"
        " 'monitoring.resolve_alert(bigint,text,text)', 'EXECUTE')"
    ).fetchone() == (True,)


def test_two_migrates_at_once_both_succeed(empty_db):
    # Before the advisory lock, about half of such races failed on
    # CREATE SCHEMA (duplicate key in pg_namespace_nspname_index).
    for trial in range(6):
        conninfo = empty_db(f"race_{trial}")
        barrier = threading.Barrier(2)
        outcomes: list[Any] = []

        def run(conninfo: str = conninfo, barrier: threading.Barrier = barrier,
                outcomes: list[Any] = outcomes) -> None:  # fmt: skip
            barrier.wait()
            try:
                outcomes.append(migrate(conninfo))
            except Exception as exc:  # reported by the assertion below
                outcomes.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert sorted(len(o.migrations_applied) for o in outcomes) == [0, len(MIGRATIONS)]


# --- upgrading a database installed by a released version ----------------------

RELEASES = Path(__file__).resolve().parent / "releases"


# The old modules a released migrate.py imports, by the names it imports them
# by, and the module of this tree that provides what it takes from each.
_RELEASE_IMPORTS = {
    "pgvigil.config": pgvigil.db.config,  # load_config_file
    "pgvigil.resources": pgvigil.db.resources,  # sql_dir, default_config_path
}


@contextlib.contextmanager
def _release_module_names() -> Iterator[None]:
    """While a released migrate.py is imported, answer its imports of modules
    that have moved since (``from pgvigil.config import load_config_file``)
    with this tree's modules, registered under the old names in sys.modules.

    The package has no modules at those paths (no shims), and the names are
    gone again once it is imported: its module-level imports are the only
    lookups it makes, what it took stays bound in its namespace, and the
    caller then points its sql_dir and default_config_path at the release's
    own tree. The archive holds only migrate.py, so its imports resolve to
    this tree's modules, as they did before they moved.
    """
    taken = [name for name in _RELEASE_IMPORTS if name in sys.modules]
    assert not taken, f"{taken} exist: the aliases would hide a real module"
    sys.modules.update(_RELEASE_IMPORTS)
    try:
        yield
    finally:
        for name in _RELEASE_IMPORTS:
            del sys.modules[name]


def _install_release(version: str, conninfo: str, tmp_path: Path) -> None:
    """Install ``version`` as it was released: its own migrations, function
    sources, default config and migrate module, from the frozen archive made
    with ``git archive --prefix=pgvigil-V/ vV sql config client/pgvigil/migrate.py``."""
    with tarfile.open(RELEASES / f"pgvigil-{version}.tar.gz") as archive:
        archive.extractall(tmp_path, filter="data")
    tree = tmp_path / f"pgvigil-{version}"
    spec = importlib.util.spec_from_file_location(
        f"pgvigil_release_{version.replace('.', '_')}_migrate",
        tree / "client" / "pgvigil" / "migrate.py",
    )
    assert spec and spec.loader
    released = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = released  # its dataclasses look their module up there
    with _release_module_names():  # it imports pgvigil.config and pgvigil.resources
        spec.loader.exec_module(released)
    released.sql_dir = lambda: tree / "sql"  # type: ignore[attr-defined]
    released.default_config_path = lambda: tree / "config" / "monitoring_config.json"  # type: ignore[attr-defined]
    report = released.migrate(conninfo)
    assert report.config_loaded


def test_upgrade_from_0_1_0_as_released_equals_a_fresh_install(
    empty_db, fresh_fingerprint, tmp_path
):
    conninfo = empty_db("from_0_1_0")
    _install_release("0.1.0", conninfo, tmp_path)
    with psycopg.connect(conninfo) as conn:
        flat = conn.execute(
            "SELECT count(*) FROM monitoring.schema_sources WHERE source_path ~ '^functions/[^/]+$'"
        ).fetchone()
        assert flat and flat[0] > 0, "0.1.0 kept its functions in one flat folder"
    report = migrate(conninfo)
    assert report.config_loaded is False
    assert schema_fingerprint(conninfo) == fresh_fingerprint
    assert migrate(conninfo).changed is False


def test_writers_of_0_1_0_go_on_between_the_migrations_and_the_new_functions(
    empty_db, fresh_fingerprint, tmp_path
):
    # migrate commits the migrations (0015 moves the bookkeeping tables to
    # monitoring_internal), then installs the functions in a transaction of
    # its own. In between, the functions already installed must still write.
    conninfo = empty_db("window_0_1_0")
    _install_release("0.1.0", conninfo, tmp_path)
    apply_migrations(conninfo)
    with MonitoringClient(conninfo) as client:
        started = client.start_task("etl", task_id="direct-1")
        client.complete_task(started, "completed")
    buffered = BufferedClient(conninfo)
    try:
        began = datetime.now(timezone.utc) - timedelta(seconds=5)
        buffered.complete_task("buffered-1", "failed")  # arrives before its start: parked
        assert buffered.flush(timeout=10)
        buffered.start_task("etl", task_id="buffered-1", event_time=began)
        assert buffered.flush(timeout=10)
    finally:
        buffered.close()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        statuses: dict[str, str] = dict(
            conn.execute("SELECT task_id, status FROM monitoring.processing_metrics").fetchall()
        )
        assert statuses == {"direct-1": "completed", "buffered-1": "failed"}
        conn.execute("SELECT monitoring.expire_ingest_state()")
        conn.execute("SELECT * FROM monitoring.run_partition_maintenance()")
        assert conn.execute(
            "SELECT count(*) FROM monitoring_internal.ingest_batches"
        ).fetchone() == (2,)
    report = migrate(conninfo)
    assert "functions/ingest/record_task_events.sql" in report.sources_applied
    # The new functions use the tables where they are; the bridging views are gone.
    assert schema_fingerprint(conninfo) == fresh_fingerprint


# --- migrations that touch existing tables do not lock them for a scan ---------

_CREATE_TABLE = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?monitoring\.(\w+)", re.I)
_ALTER_TABLE = re.compile(r"ALTER TABLE (?:ONLY )?monitoring\.(\w+)(.*?);", re.I | re.S)
_CREATE_INDEX = re.compile(
    r"CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?\w+\s+ON (ONLY )?monitoring\.(\w+)",
    re.I,
)


def _without_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def test_migrations_add_constraints_and_indexes_to_existing_tables_without_a_locked_scan():
    """ADD CONSTRAINT ... CHECK / FOREIGN KEY on a table an earlier migration
    created must be NOT VALID (a later migration validates it, under a lock
    writers pass); CREATE INDEX on such a table must be CONCURRENTLY, or ON
    ONLY the parent of a partitioned table (partitions indexed concurrently,
    then attached). A table created in the same migration is empty: anything goes."""
    problems = []
    for path in MIGRATIONS:
        text = _without_comments(path.read_text())
        created_here = set(_CREATE_TABLE.findall(text))
        for table, body in _ALTER_TABLE.findall(text):
            if table in created_here:
                continue
            for clause in re.split(r",\s*(?=ADD )", body):
                if re.search(
                    r"ADD CONSTRAINT \w+\s+(CHECK|FOREIGN KEY)", clause, re.I
                ) and not re.search(r"NOT VALID", clause, re.I):
                    problems.append(f"{path.name}: {table}: {clause.strip()[:60]}")
        for concurrently, only, table in _CREATE_INDEX.findall(text):
            if table not in created_here and not (concurrently or only):
                problems.append(f"{path.name}: index on existing table {table}")
    assert problems == []


def test_the_constraints_added_not_valid_are_validated(conn):
    assert conn.execute(
        "SELECT count(*) FROM pg_constraint"
        " WHERE connamespace = 'monitoring'::regnamespace AND NOT convalidated"
    ).fetchone() == (0,)


def test_migrate_adds_new_default_settings_under_the_stored_config(dsn, conn):
    # As after an upgrade to a release with a new setting: the stored config
    # lacks it. migrate adds the shipped default; values already set win.
    conn.execute(
        "UPDATE monitoring.config SET document = jsonb_set(document #- '{ingest,batch_ids_hours}',"
        " '{alert_thresholds,queue_backlog,low}', '7')"
    )
    report = migrate(dsn)
    assert report.config_defaults_added is True
    shipped = json.loads((REPO / "config" / "monitoring_config.json").read_text())
    document = conn.execute("SELECT document FROM monitoring.config").fetchone()[0]
    assert document["ingest"]["batch_ids_hours"] == shipped["ingest"]["batch_ids_hours"]
    assert document["alert_thresholds"]["queue_backlog"]["low"] == 7
    assert migrate(dsn).config_defaults_added is False


def test_config_merge_merges_objects_and_replaces_everything_else(conn):
    merged = conn.execute(
        "SELECT monitoring_internal.config_merge(%s::jsonb, %s::jsonb)",
        ('{"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": {"k": 1}}',
         '{"a": {"y": [3], "z": 2}, "b": {"n": 1}, "d": null}'),
    ).fetchone()[0]  # fmt: skip
    assert merged == {"a": {"x": 1, "y": [3], "z": 2}, "b": {"n": 1}, "c": {"k": 1}, "d": None}
