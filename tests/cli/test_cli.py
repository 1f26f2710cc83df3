"""The ``pgvigil`` command line, run in-process with ``--database`` against a real database."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbhelpers import CHECK_NAMES
from pgvigil.cli import build_parser, main
from pgvigil.db.cluster import LocalCluster
from pgvigil.db.resources import default_config_path


def default_config() -> dict[str, Any]:
    return json.loads(default_config_path().read_text(encoding="utf-8"))


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_migrate_on_a_migrated_database_says_up_to_date(dsn, capsys):
    assert main(["--database", dsn, "migrate"]) == 0
    out = capsys.readouterr().out
    assert "schema up to date" in out
    assert "applied" not in out


def test_migrate_on_an_empty_database_installs_everything(server, capsys):
    name = "pgvigil_cli_migrate_empty"
    server.drop_database(name)
    conninfo = server.create_database(name)
    try:
        assert main(["--database", conninfo, "migrate"]) == 0
        out = capsys.readouterr().out
        assert "applied migration 0001_create_schema_and_roles" in out
        assert "applied functions/ingest/record_error.sql" in out
        assert "applied grants.sql" in out
        assert "loaded config" in out
        assert "migrate done" in out
        with psycopg.connect(conninfo) as conn:
            assert conn.execute("SELECT count(*) FROM monitoring.config").fetchone() == (1,)
        assert main(["--database", conninfo, "migrate"]) == 0
        assert "schema up to date" in capsys.readouterr().out
    finally:
        server.drop_database(name)


def test_config_validate_accepts_the_shipped_config(tmp_path, capsys):
    path = write_json(tmp_path / "ok.json", default_config())
    assert main(["config", "validate", str(path)]) == 0
    assert f"{path}: valid" in capsys.readouterr().out


def test_config_validate_lists_every_problem_and_returns_2(tmp_path, capsys):
    document = default_config()
    del document["schedules"]
    document["alert_thresholds"]["error_rates"]["critical"] = "lots"
    document["retention"]["processing_metrics_days"] = -1
    document["surprise"] = True
    path = write_json(tmp_path / "bad.json", document)
    assert main(["config", "validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "valid" not in captured.out
    err = captured.err
    assert "PV301" in err
    assert "4 problem(s)" in err
    assert "'schedules' is a required property" in err
    assert "alert_thresholds.error_rates.critical: 'lots' is not of type 'number'" in err
    assert "retention.processing_metrics_days: -1 is less than" in err
    assert "'surprise' was unexpected" in err
    assert "HINT:" in err


def test_config_validate_rejects_invalid_json(tmp_path, capsys):
    path = tmp_path / "broken.json"
    path.write_text('{"alert_thresholds": {},}', encoding="utf-8")
    assert main(["config", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "is not valid JSON" in err
    assert "HINT:" in err


def test_config_apply_changes_the_active_config(dsn, conn, tmp_path, capsys):
    document = default_config()
    document["alert_thresholds"]["queue_backlog"] = {
        "low": 5,
        "medium": 10,
        "high": 20,
        "critical": 40,
    }
    path = write_json(tmp_path / "new.json", document)
    assert main(["--database", dsn, "config", "apply", str(path)]) == 0
    assert f"applied {path}" in capsys.readouterr().out
    assert conn.execute("SELECT document FROM monitoring.config").fetchone() == (document,)
    # The checks use it: 12 pending is now "medium".
    conn.execute("SELECT monitoring.record_queue_stats('emails', 12)")
    conn.execute("SELECT * FROM monitoring.run_monitoring_checks()")
    assert conn.execute("SELECT severity FROM monitoring.alerts").fetchone() == ("medium",)


def test_config_apply_rejected_by_the_database_changes_nothing(dsn, conn, tmp_path, capsys):
    before = conn.execute("SELECT document FROM monitoring.config").fetchone()
    document = default_config()
    # Valid for the JSON Schema, but thresholds out of order: the database refuses.
    document["alert_thresholds"]["queue_backlog"] = {
        "low": 50,
        "medium": 10,
        "high": 200,
        "critical": 500,
    }
    path = write_json(tmp_path / "unordered.json", document)
    assert main(["--database", dsn, "config", "apply", str(path)]) == 2
    err = capsys.readouterr().err
    assert "PV301" in err
    assert "alert_thresholds.queue_backlog.medium" in err
    assert conn.execute("SELECT document FROM monitoring.config").fetchone() == before


def test_config_show_prints_the_active_document(dsn, conn, capsys):
    assert main(["--database", dsn, "config", "show"]) == 0
    captured = capsys.readouterr()
    shown = json.loads(captured.out)
    assert shown == conn.execute("SELECT document FROM monitoring.config").fetchone()[0]
    assert shown == default_config()
    assert "# applied" in captured.err


def test_config_show_without_config_returns_1(dsn, conn, capsys):
    conn.execute("DELETE FROM monitoring.config")
    assert main(["--database", dsn, "config", "show"]) == 1
    assert "no config loaded" in capsys.readouterr().err


def test_check_prints_the_checks_and_the_changes(dsn, conn, capsys):
    conn.execute("SELECT monitoring.record_queue_stats('documents', 650)")
    conn.execute("SELECT monitoring.update_system_health('api', 'main_api', 'unhealthy')")
    assert main(["--database", dsn, "check"]) == 0
    out = capsys.readouterr().out
    for name in CHECK_NAMES:
        assert name in out
    lines = out.splitlines()
    backlog = [line for line in lines if "queue_backlog" in line and "documents" in line]
    assert len(backlog) == 1
    assert backlog[0].split()[:2] == ["triggered", str(_alert_id(conn, "queue_backlog"))]
    assert "critical" in backlog[0]
    health = [line for line in lines if "component_health" in line]
    assert len(health) == 1 and "api/main_api" in health[0]
    assert "no alert changed" not in out
    rows = conn.execute(
        "SELECT alert_type, triggered_by FROM monitoring.alerts ORDER BY 1"
    ).fetchall()
    assert rows == [("component_health", "manual"), ("queue_backlog", "manual")]

    # Nothing new: a second run changes nothing. Then the queue drains: resolved.
    assert main(["--database", dsn, "check"]) == 0
    assert "no alert changed" in capsys.readouterr().out
    conn.execute("SELECT monitoring.record_queue_stats('documents', 0)")
    assert main(["--database", dsn, "check"]) == 0
    out = capsys.readouterr().out
    resolved = [line for line in out.splitlines() if line.startswith("resolved")]
    assert len(resolved) == 1 and "queue_backlog" in resolved[0]


def _alert_id(conn: psycopg.Connection[Any], alert_type: str) -> int:
    row = conn.execute(
        "SELECT alert_id FROM monitoring.alerts WHERE alert_type = %s", (alert_type,)
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_status_shows_every_section(dsn, conn, capsys):
    conn.execute("SELECT monitoring.start_task_tracking('t1', 'document_processing')")
    conn.execute("SELECT monitoring.record_error(NULL, 'e', 'high', 'm', 'ocr_engine')")
    conn.execute("SELECT monitoring.update_system_health('cache', 'redis', 'degraded', 250)")
    conn.execute("SELECT monitoring.record_queue_stats('emails', 7)")
    assert main(["--database", dsn, "status"]) == 0
    out = capsys.readouterr().out
    assert "pgvigil dashboard" in out
    for section in ("TASKS", "ERRORS", "HEALTH", "QUEUES", "ALERTS"):
        assert any(line.startswith(section) for line in out.splitlines()), section
    assert "cache/redis" in out
    assert "ocr_engine" in out
    assert "emails" in out
    assert "\033[" not in out  # not a terminal: no colors


def test_status_json_is_the_dashboard_document(dsn, conn, capsys):
    conn.execute("SELECT monitoring.record_queue_stats('emails', 7)")
    assert main(["--database", dsn, "status", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["queues"][0]["queue_name"] == "emails"
    assert {"tasks", "errors", "health", "alerts"} <= summary.keys()


def test_collect_records_system_metrics(dsn, conn, capsys):
    args = ["--database", dsn, "collect", "--count", "2", "--interval", "0.05"]
    assert main([*args, "--component", "test-host"]) == 0
    out = capsys.readouterr().out
    written = int(out.split("recorded ")[1].split()[0])
    rows = conn.execute(
        "SELECT metric_name, metric_type, unit, component FROM monitoring.performance_monitoring"
    ).fetchall()
    assert len(rows) == written
    names = [r[0] for r in rows]
    for gauge in ("cpu_percent", "memory_percent", "memory_used_bytes", "disk_percent"):
        assert names.count(gauge) == 2, gauge  # one per tick
    # Rates need a baseline: at most one per rate (the second tick).
    for name in set(names) - {"cpu_percent", "memory_percent", "memory_used_bytes", "disk_percent"}:
        assert name.endswith("_bytes_per_second")
        assert names.count(name) == 1
    assert {r[3] for r in rows} == {"test-host"}
    assert ("cpu_percent", "cpu", "%", "test-host") in rows


def test_demo_writes_history_and_the_checks_raise_alerts(dsn, conn, capsys):
    assert main(["--database", dsn, "demo", "--history-minutes", "30", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "30 min of history" in out
    assert "pgvigil dashboard" in out
    counts = conn.execute(
        "SELECT (SELECT count(*) FROM monitoring.processing_metrics),"
        " (SELECT count(*) FROM monitoring.error_tracking),"
        " (SELECT count(*) FROM monitoring.system_health),"
        " (SELECT count(*) FROM monitoring.queue_monitoring),"
        " (SELECT count(*) FROM monitoring.performance_monitoring),"
        " (SELECT count(*) FROM monitoring_internal.running_tasks),"
        " (SELECT count(*) FROM monitoring.alerts)"
    ).fetchone()
    assert counts is not None
    tasks, errors, components, queue_samples, metrics, running, alerts = counts
    assert tasks > 100 and errors > 30 and queue_samples >= 60 and metrics >= 60
    assert components == 7
    assert running == 2  # the two tasks stuck on the dead worker
    assert alerts == 0  # nothing checked yet

    assert main(["--database", dsn, "check"]) == 0
    out = capsys.readouterr().out
    types = {r[0] for r in conn.execute("SELECT alert_type FROM monitoring.alerts").fetchall()}
    assert {"component_health", "stuck_tasks", "error_rate", "queue_backlog"} <= types
    assert out.count("triggered") == len(
        conn.execute(
            "SELECT FROM monitoring.alert_events WHERE event_type = 'triggered'"
        ).fetchall()
    )
    assert conn.execute(
        "SELECT subject FROM monitoring.alerts WHERE alert_type = 'component_health'"
    ).fetchall() == [("worker/worker-03",)]


def test_schedule_in_a_database_without_pg_cron_returns_2_with_the_hint(dsn, capsys):
    assert main(["--database", dsn, "schedule"]) == 2
    err = capsys.readouterr().err
    assert "PV401" in err
    assert "pg_cron is not available" in err
    assert "HINT:" in err
    assert "shared_preload_libraries = 'pg_cron'" in err
    assert "pgvigil scheduler" in err


def test_unschedule_in_a_database_without_pg_cron_removes_nothing(dsn, capsys):
    assert main(["--database", dsn, "unschedule"]) == 0
    assert "removed 0 pg_cron jobs" in capsys.readouterr().out


def test_unreachable_database_is_reported_not_raised(capsys):
    dsn = "host=/nonexistent/pgvigil-socket-dir dbname=x connect_timeout=1"
    assert main(["--database", dsn, "config", "show"]) == 2
    assert "pgvigil: error" in capsys.readouterr().err


def test_up_and_down_run_an_embedded_cluster(monkeypatch, capsys):
    for variable in ("DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("PGSERVICE", raising=False)
    # Not tmp_path: pytest's base temp dir is private to root, and the server
    # runs as the postgres OS user when the tests run as root.
    home = Path(tempfile.mkdtemp(prefix="pgvigil-cli-up-"))
    cluster = LocalCluster(home)
    try:
        assert main(["--home", str(home), "up"]) == 0
        out = capsys.readouterr().out
        assert "6 pg_cron jobs scheduled" in out
        assert "ready" in out
        assert cluster.is_running()
        with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM monitoring.config").fetchone() == (1,)
            jobs = conn.execute("SELECT jobname FROM cron.job ORDER BY 1").fetchall()
        assert [j[0] for j in jobs] == [
            "pgvigil-cleanup",
            "pgvigil-monitoring-checks",
            "pgvigil-partition-maintenance",
            "pgvigil-purge-cron-history",
            "pgvigil-rollups",
            "pgvigil-watchdog",
        ]

        # Without --database, the CLI uses the running embedded cluster.
        assert main(["--home", str(home), "status"]) == 0
        assert "pgvigil dashboard" in capsys.readouterr().out
        # up again: already running and migrated, nothing to do.
        assert main(["--home", str(home), "up"]) == 0
        assert "(0 migrations, 0 functions/views applied)" in capsys.readouterr().out

        assert main(["--home", str(home), "down"]) == 0
        assert "local cluster stopped" in capsys.readouterr().out
        assert not cluster.is_running()
        assert cluster.is_initialized()
        assert main(["--home", str(home), "down"]) == 0
        assert "was not running" in capsys.readouterr().out

        assert main(["--home", str(home), "down", "--destroy"]) == 0
        assert "deleted" in capsys.readouterr().out
        assert not home.exists()
    finally:
        cluster.destroy()
        shutil.rmtree(home, ignore_errors=True)


# Global options in either position ---------------------------------------------------------


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command and nested command of the parser, as (argv prefix, its parser)."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def _is_leaf(parser: argparse.ArgumentParser) -> bool:
    return not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


def _positionals(parser: argparse.ArgumentParser) -> list[str]:
    """Placeholder values for the parser's required arguments: positionals,
    and required options (keys create --name --role)."""
    values: list[str] = []
    for i, a in enumerate(parser._actions):
        value = "1" if a.type is int else str(next(iter(a.choices))) if a.choices else f"ARG{i}"
        if not a.option_strings:
            values.append(value)
        elif a.required:
            values += [a.option_strings[0], value]
    return values


COMMANDS = [path for path, _ in _commands(build_parser())]
LEAVES = [path for path, p in _commands(build_parser()) if path and _is_leaf(p)]


def test_the_command_discovery_finds_every_command():
    assert {"up", "down", "migrate", "check", "status", "demo"} <= {p[0] for p in LEAVES}
    assert ("config", "apply") in LEAVES and ("config",) not in LEAVES
    # The top level, and the groups: config, rules, components, silence, notify, keys, users.
    assert len(COMMANDS) == len(LEAVES) + 8


# Markup of reStructuredText: ``literal``, :role:`target`, `interpreted`_, .. directive::
_REST = re.compile(r"``|:[a-z][\w:-]*:`|`_|^\s*\.\. |::$", re.MULTILINE)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "pgvigil")
def test_help_is_plain_text(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {' '.join(('pgvigil', *command))}")
    assert "``" not in out
    assert not _REST.search(out), _REST.search(out)
    # Every help shows the global options, and where they can go.
    for option in ("--database DSN", "--home HOME", "--version"):
        assert option in out
    assert "the one after the command wins" in " ".join(out.split())


@pytest.mark.parametrize("command", LEAVES, ids=" ".join)
@pytest.mark.parametrize("where", ["before", "after", "between"])
def test_every_command_accepts_the_global_options_in_every_position(command, where):
    parser = build_parser()
    leaf = dict(_commands(parser))[command]
    options = ["--database", "host=h dbname=d", "--home", "/some/home"]
    argv = [*command, *_positionals(leaf)]
    if where == "before":
        argv = [*options, *argv]
    elif where == "after":
        argv = [*argv, *options]
    elif len(command) > 1:  # between a command and its nested command
        argv = [command[0], *options, *argv[1:]]
    else:
        argv = [options[0], options[1], *argv, *options[2:]]
    args = parser.parse_args(argv)
    assert args.database == "host=h dbname=d"
    assert args.home == "/some/home"


@pytest.mark.parametrize("command", LEAVES, ids=" ".join)
def test_without_global_options_the_defaults_are_kept(command):
    parser = build_parser()
    leaf = dict(_commands(parser))[command]
    args = parser.parse_args([*command, *_positionals(leaf)])
    assert args.database is None
    assert args.home is None


@pytest.mark.parametrize(
    ("argv", "database", "home"),
    [
        (["-d", "before", "status"], "before", None),
        (["status", "-d", "after"], "after", None),
        (["-d", "before", "status", "-d", "after"], "after", None),
        (["--database", "before", "status", "--home", "h"], "before", "h"),
        (["--home", "before", "down", "--home", "after"], None, "after"),
        (["-d", "top", "config", "-d", "config", "show"], "config", None),
        (["-d", "top", "config", "-d", "config", "show", "-d", "show"], "show", None),
        (["-d", "top", "config", "apply", "FILE", "-d", "apply"], "apply", None),
    ],
)
def test_the_option_after_the_command_wins(argv, database, home):
    args = build_parser().parse_args(argv)
    assert (args.database, args.home) == (database, home)


def test_version_after_the_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["config", "show", "--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("pgvigil ")


def _same_shape(text: str) -> list[list[str]]:
    """The text without what differs between two runs: numbers, times, column widths."""
    return [
        [re.sub(r"[\d.:+-]+", "N", word) for word in line.split()] for line in text.splitlines()
    ]


@pytest.mark.parametrize(
    "command",
    [["migrate"], ["config", "show"], ["status"], ["status", "--json"], ["check"]],
    ids=" ".join,
)
@pytest.mark.parametrize("flag", ["--database", "-d"])
def test_the_database_after_the_command_works_as_before_it(dsn, capsys, command, flag):
    assert main([flag, dsn, *command]) == 0
    before = capsys.readouterr()
    assert main([*command, flag, dsn]) == 0
    after = capsys.readouterr()
    assert before.out, before
    assert _same_shape(after.out) == _same_shape(before.out)
    assert _same_shape(after.err) == _same_shape(before.err)


def test_migrate_with_the_database_after_the_command_installs_the_schema(server, capsys):
    name = "pgvigil_cli_migrate_after"
    server.drop_database(name)
    conninfo = server.create_database(name)
    try:
        assert main(["migrate", "--database", conninfo]) == 0
        out = capsys.readouterr().out
        assert "applied migration 0001_create_schema_and_roles" in out
        assert "migrate done" in out
        with psycopg.connect(conninfo) as conn:
            assert conn.execute("SELECT count(*) FROM monitoring.config").fetchone() == (1,)
        assert main(["migrate", "-d", conninfo]) == 0
        assert "schema up to date" in capsys.readouterr().out
    finally:
        server.drop_database(name)


def test_check_with_the_database_after_the_command_raises_the_alert(dsn, conn, capsys):
    conn.execute("SELECT monitoring.record_queue_stats('documents', 650)")
    assert main(["check", "--database", dsn]) == 0
    out = capsys.readouterr().out
    assert any(
        line.startswith("triggered") and "queue_backlog" in line for line in out.splitlines()
    )
    assert conn.execute("SELECT alert_type, triggered_by FROM monitoring.alerts").fetchall() == [
        ("queue_backlog", "manual")
    ]


def test_status_with_the_database_after_the_command_reads_that_database(dsn, conn, capsys):
    conn.execute("SELECT monitoring.record_queue_stats('emails-after', 7)")
    assert main(["status", "--json", "--database", dsn]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [q["queue_name"] for q in summary["queues"]] == ["emails-after"]


def test_config_apply_with_the_database_after_the_nested_command(dsn, conn, tmp_path, capsys):
    document = default_config()
    document["alert_thresholds"]["queue_backlog"] = {
        "low": 5,
        "medium": 10,
        "high": 20,
        "critical": 40,
    }
    path = write_json(tmp_path / "new.json", document)
    assert main(["config", "apply", str(path), "--database", dsn]) == 0
    assert f"applied {path}" in capsys.readouterr().out
    assert conn.execute("SELECT document FROM monitoring.config").fetchone() == (document,)


UNREACHABLE = "host=/nonexistent/pgvigil-socket-dir dbname=x connect_timeout=1"


@pytest.mark.parametrize("command", [["config", "show"], ["status"], ["check"]], ids=" ".join)
def test_the_database_after_the_command_wins_over_the_one_before(dsn, capsys, command):
    # The one after is used: the unreachable one before is ignored...
    assert main(["--database", UNREACHABLE, *command, "--database", dsn]) == 0
    assert "pgvigil: error" not in capsys.readouterr().err
    # ...and the other way round, the unreachable one after is the one tried.
    assert main(["--database", dsn, *command, "--database", UNREACHABLE]) == 2
    assert "pgvigil: error" in capsys.readouterr().err


def _table_counts(conn) -> tuple[int, ...]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM monitoring.processing_metrics),"
        " (SELECT count(*) FROM monitoring.error_tracking),"
        " (SELECT count(*) FROM monitoring.system_health_history),"
        " (SELECT count(*) FROM monitoring.queue_monitoring),"
        " (SELECT count(*) FROM monitoring.performance_monitoring),"
        " (SELECT count(*) FROM monitoring_internal.running_tasks)"
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_demo_writes_the_same_workload_through_either_client(dsn, conn, capsys):
    # Both clients are Recorders: the same seed gives the same rows either way.
    args = ["--database", dsn, "demo", "--history-minutes", "20", "--seed", "11"]
    assert main(args) == 0
    direct = _table_counts(conn)
    for table in ("processing_metrics", "error_tracking", "system_health_history",
                  "system_health", "queue_monitoring", "performance_monitoring"):  # fmt: skip
        conn.execute(f"DELETE FROM monitoring.{table}")
    conn.execute("DELETE FROM monitoring_internal.running_tasks")
    assert main([*args, "--buffered"]) == 0
    assert "pgvigil dashboard" in capsys.readouterr().out
    assert _table_counts(conn) == direct
    assert direct[0] > 50


def test_collect_records_through_a_buffered_client(dsn, conn, capsys):
    args = ["--database", dsn, "collect", "--count", "2", "--interval", "0.05", "--buffered"]
    assert main(args) == 0
    written = int(capsys.readouterr().out.split("recorded ")[1].split()[0])
    assert written >= 8
    assert conn.execute("SELECT count(*) FROM monitoring.performance_monitoring").fetchone() == (
        written,
    )


def test_the_demo_delivers_grouped_notifications_and_holds_one_back(dsn, conn, capsys):
    from pgvigil.tools.demo_notifications import DemoReceiver, deliver_demo_notifications

    assert main(["--database", dsn, "demo", "--history-minutes", "30", "--seed", "7"]) == 0
    silence = conn.execute("SELECT created_by, matchers FROM monitoring.silences").fetchall()
    assert silence == [
        ("pgvigil demo", [{"name": "alertname", "op": "=", "value": "demo_memory_climbing"}])
    ]
    # What pg_cron's checks job does, then what the demo does after it.
    assert main(["--database", dsn, "check"]) == 0
    receiver = DemoReceiver()
    try:
        report = deliver_demo_notifications(conn, receiver)
    finally:
        receiver.close()
    names = {b["groupLabels"]["alertname"] for b in receiver.bodies}
    assert {"component_health", "error_rate", "queue_backlog"} <= names
    assert "demo_memory_climbing" not in names
    assert report.delivered == len(receiver.bodies) == len(names)  # one per group
    assert [(h["alertname"], h["reason"]) for h in report.held_back] == [
        ("demo_memory_climbing", "silenced")
    ]
    # A second demo run expires the first one's silence rather than stacking them.
    assert main(["--database", dsn, "demo", "--history-minutes", "30", "--seed", "8"]) == 0
    assert conn.execute(
        "SELECT count(*) FROM monitoring.silences WHERE ends_at > now()"
    ).fetchone() == (1,)


def test_demo_serve_leaves_the_dashboard_running_until_down(dsn, conn, capsys, tmp_path):
    """pgvigil demo --serve: pgvigil serve (with the worker), the webhook
    receiver and the live workload keep running after the demo returns; the
    printed keys sign in; pgvigil down stops all three."""
    import socket
    import time

    import httpx

    from pgvigil.tools import background

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    home = tmp_path / "home"
    args = ["--database", dsn, "--home", str(home)]
    try:
        assert main([*args, "demo", "--history-minutes", "5", "--seed", "3", "--serve",
                     "--serve-port", str(port)]) == 0  # fmt: skip
        out = capsys.readouterr().out
        url = re.search(r"dashboard: (http://127\.0\.0\.1:\d+/)", out)
        assert url is not None, out
        viewer, operator = re.findall(r"^    (pgv_\S+)$", out, re.MULTILINE)
        page = httpx.get(url.group(1), timeout=10)
        assert page.status_code == 200 and "pgvigil" in page.text
        for key, role in ((viewer, "viewer"), (operator, "operator")):
            session = httpx.post(url.group(1) + "api/v1/session", json={"key": key}, timeout=10)
            assert (session.status_code, session.json()["role"]) == (201, role)
        tasks_before = conn.execute("SELECT count(*) FROM monitoring.processing_metrics").fetchone()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the live workload writes a few tasks a second
            now = conn.execute("SELECT count(*) FROM monitoring.processing_metrics").fetchone()
            if now[0] > tasks_before[0]:
                break
            time.sleep(0.5)
        assert now[0] > tasks_before[0], "the live workload wrote nothing"
        assert {p.stem for p in (home / "run").glob("*.pid")} == {"serve", "webhooks", "workload"}
    finally:
        assert main([*args, "down"]) == 0
    out = capsys.readouterr().out
    for name in ("serve", "webhooks", "workload"):
        assert f"pgvigil: {name} stopped" in out
    assert list((home / "run").glob("*.pid")) == []
    with pytest.raises(httpx.TransportError):
        httpx.get(url.group(1) + "health", timeout=2)
    assert background.stop_all(home) == []
