"""Migrations: a fresh install equals every upgrade path, re-running is a no-op,
changed repeatable sources are re-applied with their grants, and the wheel
carries the SQL and config it needs."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

import pgvigil.migrate as migrate_module
from pgvigil.migrate import apply_migrations, migrate, repeatable_sources, schema_fingerprint
from pgvigil.resources import sql_dir

REPO = Path(__file__).resolve().parents[1]
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
        "SELECT source_path, sha256, applied_at FROM monitoring.schema_sources ORDER BY 1"
    ).fetchall()
    report = migrate(dsn)
    assert report.changed is False
    assert report.migrations_applied == []
    assert report.sources_applied == []
    assert report.config_loaded is False
    assert schema_fingerprint(dsn) == before
    assert (
        conn.execute(
            "SELECT source_path, sha256, applied_at FROM monitoring.schema_sources ORDER BY 1"
        ).fetchall()
        == sources_before
    )


def test_every_repeatable_source_is_tracked_by_its_hash(conn):
    tracked = dict(conn.execute("SELECT source_path, sha256 FROM monitoring.schema_sources"))
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
    return bool(row.fetchone()[0])


def test_a_changed_view_is_reapplied_and_keeps_its_grants(dsn, conn):
    view = "monitoring.v_active_alerts"
    assert _reader_can_select(conn, view)
    oid_before = conn.execute("SELECT %s::regclass::oid", (view,)).fetchone()
    conn.execute(
        "DELETE FROM monitoring.schema_sources WHERE source_path = 'views/v_active_alerts.sql'"
    )
    report = migrate(dsn)
    assert report.changed is True
    assert report.sources_applied == ["views/v_active_alerts.sql", "grants.sql"]
    # It really was dropped and recreated, and the grants were applied again.
    assert conn.execute("SELECT %s::regclass::oid", (view,)).fetchone() != oid_before
    assert _reader_can_select(conn, view)
    assert not conn.execute(
        "SELECT has_table_privilege('pgvigil_writer', %s, 'SELECT')", (view,)
    ).fetchone()[0]
    assert migrate(dsn).changed is False


def test_a_changed_function_is_reapplied(dsn, conn):
    conn.execute(
        "UPDATE monitoring.schema_sources SET sha256 = 'stale'"
        " WHERE source_path = 'functions/record_error.sql'"
    )
    # Stand-in for an older definition: a body that returns -1.
    conn.execute(
        "CREATE OR REPLACE FUNCTION monitoring.record_error(p_task_id text, p_error_type text,"
        " p_severity text, p_message text, p_component text, p_stack_trace text DEFAULT NULL,"
        " p_context jsonb DEFAULT NULL, p_event_time timestamptz DEFAULT now())"
        " RETURNS bigint LANGUAGE sql AS 'SELECT -1::bigint'"
    )
    report = migrate(dsn)
    assert report.sources_applied == ["functions/record_error.sql", "grants.sql"]
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
        "SELECT tracked.sha256 FROM monitoring.schema_sources AS tracked"
        " WHERE source_path = 'functions/record_error.sql'"
    ).fetchone() == (
        hashlib.sha256((sql_dir() / "functions/record_error.sql").read_bytes()).hexdigest(),
    )


def test_a_failing_source_leaves_the_previous_definitions(dsn, conn, monkeypatch, tmp_path):
    # A copy of the SQL tree with one broken view file: migrate fails and rolls back.
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    (copy / "views" / "v_error_summary.sql").write_text("CREATE VIEW broken AS SELECT nope;")
    (copy / "views" / "v_active_alerts.sql").write_text(
        (copy / "views" / "v_active_alerts.sql").read_text() + "\n-- changed\n"
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


def test_the_wheel_carries_the_sql_and_the_config(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for required in (
            "pgvigil/__init__.py",
            "pgvigil/py.typed",
            "pgvigil/_resources/sql/migrations/0001_create_schema_and_roles.sql",
            "pgvigil/_resources/sql/functions/record_error.sql",
            "pgvigil/_resources/sql/views/v_active_alerts.sql",
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


def test_the_unpacked_wheel_finds_its_packaged_resources(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path)
    code = (
        "import pgvigil.resources as r, pgvigil.migrate as m; "
        "print(r.__file__); print(r.sql_dir()); print(r.default_config_path()); "
        "print(len(m.repeatable_sources()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
        text=True,
    )
    module_file, sql, config, sources = result.stdout.splitlines()
    root = tmp_path.resolve()
    assert Path(module_file).resolve().is_relative_to(root)
    assert Path(sql) == root / "pgvigil" / "_resources" / "sql"
    assert Path(config) == root / "pgvigil" / "_resources" / "config" / "monitoring_config.json"
    assert int(sources) == len(repeatable_sources())


def test_the_unpacked_wheel_migrates_a_database(wheel, tmp_path, empty_db):
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site")
    conninfo = empty_db("from_wheel")
    code = (
        "import sys, pgvigil.migrate as m; r = m.migrate(sys.argv[1]); "
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
