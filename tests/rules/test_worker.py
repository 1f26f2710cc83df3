"""pgvigil worker: evaluates every interval, wakes at once on a health change or
a critical error (NOTIFY from the recording functions), runs beside other
workers, and outlives a database it cannot reach."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, scalar
from pgvigil.cli import main
from pgvigil.jobs.worker import Evaluation, run_worker

HEALTH_RULE = {
    "name": "component_down",
    "source": {"kind": "health"},
    "aggregate": "unhealthy",
    "group_by": ["component_type", "component_name"],
    "thresholds": {"high": 1},
}
CRITICAL_ERRORS_RULE = {
    "name": "critical_errors",
    "source": {"kind": "error", "severity": "critical"},
    "aggregate": "count",
    "window": "5m",
    "group_by": ["component"],
    "thresholds": {"critical": 1},
}


def _start(dsn: str, **kwargs: Any) -> tuple[threading.Thread, threading.Event, list[Evaluation]]:
    stop = threading.Event()
    seen: list[Evaluation] = []
    thread = threading.Thread(
        target=run_worker,
        args=(dsn,),
        kwargs={"stop": stop, "on_evaluation": seen.append, **kwargs},
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:  # its first evaluation: listening by then
        time.sleep(0.02)
    assert seen, "the worker did not start"
    return thread, stop, seen


def _wait_for(predicate: Any, timeout: float = 5.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_a_health_change_wakes_the_worker_long_before_its_interval(dsn, conn: Conn):
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (Jsonb(HEALTH_RULE),))
    thread, stop, seen = _start(dsn, interval=60)
    try:
        conn.execute("SELECT monitoring.update_system_health('db', 'primary', 'unhealthy')")
        waited = _wait_for(
            lambda: scalar(
                conn, "SELECT count(*) FROM monitoring.alerts WHERE rule_name = 'component_down'"
            )
        )
        assert waited < 5  # the interval is 60 s: only the NOTIFY can explain it
        # The worker reports its evaluation after committing it: the alert can be seen first.
        _wait_for(lambda: any(e.reason == "event" for e in seen))
        labels = scalar(conn, "SELECT labels FROM monitoring.alerts")
        assert labels["component_name"] == "primary" and labels["severity"] == "high"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_a_critical_error_wakes_the_worker(dsn, conn: Conn):
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (Jsonb(CRITICAL_ERRORS_RULE),))
    thread, stop, seen = _start(dsn, interval=60)
    try:
        conn.execute("SELECT monitoring.record_error(NULL, 'crash', 'low', 'minor', 'api')")
        time.sleep(0.5)
        assert [e.reason for e in seen] == ["start"]  # a low error wakes no one
        conn.execute("SELECT monitoring.record_error(NULL, 'crash', 'critical', 'down', 'api')")
        _wait_for(lambda: scalar(conn, "SELECT count(*) FROM monitoring.alerts"))
    finally:
        stop.set()
        thread.join(10)


def test_the_worker_evaluates_every_interval(dsn, conn: Conn):
    started = time.monotonic()
    stats = run_worker(dsn, interval=0.2, max_evaluations=4)
    assert stats.evaluations == 4 and stats.failures == 0
    assert time.monotonic() - started >= 0.6
    assert (
        scalar(
            conn,
            "SELECT last_source FROM monitoring_internal.check_runs WHERE check_name = 'alert_rules'",
        )
        == "worker"
    )


def test_two_workers_at_once_raise_one_alert(dsn, conn: Conn):
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (Jsonb(HEALTH_RULE),))
    conn.execute("SELECT monitoring.update_system_health('db', 'primary', 'unhealthy')")
    results: list[Any] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(run_worker(dsn, interval=0.05, max_evaluations=20))
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r.evaluations for r in results) == 40
    # One alert of the rule (and one of the shipped component_health rule).
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM monitoring.alerts WHERE rule_name = %s",
            (HEALTH_RULE["name"],),
        )
        == 1
    )
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts") == 2
    assert scalar(conn, "SELECT count(*) FROM monitoring.alert_events") == 2


def test_the_worker_outlives_a_database_it_cannot_reach(server):
    stop = threading.Event()
    timer = threading.Timer(1.5, stop.set)
    timer.start()
    stats = run_worker(
        "host=127.0.0.1 port=1 connect_timeout=1", interval=1, stop=stop, max_backoff=0.5
    )
    timer.join()
    assert stats.evaluations == 0 and stats.failures >= 1


def test_pgvigil_worker_command(dsn, capsys):
    assert main(["--database", dsn, "worker", "--interval", "0.1", "--evaluations", "2"]) == 0
    out = capsys.readouterr().out
    assert "2 evaluations" in out
    with pytest.raises(SystemExit) as refused:
        main(["--database", dsn, "worker", "--interval", "0"])
    assert refused.value.code == 2
    assert "must be a number of seconds > 0" in capsys.readouterr().err


def test_an_evaluation_is_one_transaction(dsn, conn: Conn):
    # A rule added while an evaluation runs is seen by the next one, whole.
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (Jsonb(HEALTH_RULE),))
    with psycopg.connect(dsn, autocommit=True) as other:
        rows = other.execute(
            "SELECT rule_name FROM monitoring.evaluate_alert_rules('t')"
        ).fetchall()
    assert ("component_down",) in rows
