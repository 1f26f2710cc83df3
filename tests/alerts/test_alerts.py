"""The alert lifecycle, through run_monitoring_checks() and the check_* functions.

Each alert type (error_rate, slow_processing, task_failure_rate, stuck_tasks,
component_health, queue_backlog) fires with the right severity, subject and
title; re-running updates the same alert; severity changes, acknowledgement,
manual and automatic resolution are kept in alert_events; thresholds come
from the active config; concurrent runs wait at most 5 s for each other and never
duplicate alerts.

Every call below runs in its own transaction (autocommit) unless a test opens
one, so now() moves on between check runs as it does under pg_cron.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import CHECK_NAMES, Conn, rows, scalar
from signals import add_errors, add_tasks, delete_errors, queue_sample, report_health, start_task

# One database for the module, emptied before each test: a fresh database
# per test (the conftest ``dsn`` fixture) costs a CREATE DATABASE each, and
# these tests only need empty tables and the default config.


# --- helpers ---------------------------------------------------------------------


def run_checks(conn: Conn, source: str | None = None) -> list[tuple[str, int]]:
    if source is None:
        result = conn.execute("SELECT * FROM monitoring.run_monitoring_checks()").fetchall()
    else:
        result = conn.execute(
            "SELECT * FROM monitoring.run_monitoring_checks(%s)", (source,)
        ).fetchall()
    return [(r[0], r[1]) for r in result]


def alerts(conn: Conn, alert_type: str | None = None) -> list[dict[str, Any]]:
    return rows(
        conn,
        "SELECT * FROM monitoring.alerts WHERE %(t)s::text IS NULL OR alert_type = %(t)s"
        " ORDER BY alert_id",
        {"t": alert_type},
    )


def the_alert(conn: Conn, alert_type: str | None = None) -> dict[str, Any]:
    found = alerts(conn, alert_type)
    assert len(found) == 1, found
    return found[0]


def open_alerts(conn: Conn) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT alert_key, severity FROM monitoring.alerts WHERE resolved_at IS NULL ORDER BY 1"
        )
    ]


def events(conn: Conn, alert_id: int) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT event_type, previous_severity, severity, actor FROM monitoring.alert_events"
            " WHERE alert_id = %s ORDER BY event_id",
            (alert_id,),
        )
    ]


def apply_config(conn: Conn, changes: dict[tuple[str, str], Any]) -> None:
    document = scalar(conn, "SELECT document FROM monitoring.config")
    for (section, key), value in changes.items():
        document[section][key] = value
    conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(document),))


# --- each alert type -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("errors", "severity", "threshold"),
    [
        (24, None, None),
        (25, "low", 25),
        (49, "low", 25),
        (50, "medium", 50),
        (75, "high", 75),
        (100, "critical", 100),
        (130, "critical", 100),
    ],
)
def test_error_rate_severity(conn: Conn, errors: int, severity: str | None, threshold: Any) -> None:
    add_errors(conn, "processor", errors)
    result = dict(run_checks(conn))
    if severity is None:
        assert alerts(conn) == []
        assert result["check_error_rate_alerts"] == 0
        return
    assert result["check_error_rate_alerts"] == 1
    alert = the_alert(conn)
    assert alert["alert_type"] == "error_rate"
    assert alert["alert_key"] == "error_rate:processor"
    assert alert["subject"] == "processor"
    assert alert["severity"] == severity
    assert alert["status"] == "active"
    assert alert["title"] == "High error rate in processor"
    assert f"{errors} errors in the last 60 minutes in processor" in alert["message"]
    assert alert["current_value"] == pytest.approx(errors)
    assert alert["threshold_value"] == threshold
    assert alert["occurrence_count"] == 1
    assert alert["details"]["error_count"] == errors
    assert events(conn, alert["alert_id"]) == [("triggered", None, severity, "manual")]


def test_error_rate_is_per_component_and_within_the_window(conn: Conn) -> None:
    add_errors(conn, "api", 30, "critical")
    add_errors(conn, "db", 20)
    add_errors(conn, "db", 60, minutes_ago=61)  # outside the 60-minute window
    add_errors(conn, "worker", 55, "low", minutes_ago=59)
    assert scalar(conn, "SELECT monitoring.check_error_rate_alerts()") == 2
    assert open_alerts(conn) == [("error_rate:api", "low"), ("error_rate:worker", "medium")]
    api = alerts(conn)[0]
    assert api["details"]["high_or_critical_count"] == 30


def test_error_rate_is_scaled_to_errors_per_hour(conn: Conn) -> None:
    apply_config(conn, {("alert_settings", "error_rate_window_minutes"): 30})
    add_errors(conn, "api", 26, minutes_ago=20)  # 26 in 30 minutes = 52 per hour
    add_errors(conn, "api", 40, minutes_ago=45)  # outside the 30-minute window
    run_checks(conn)
    alert = the_alert(conn)
    assert alert["severity"] == "medium"
    assert alert["current_value"] == pytest.approx(52)
    assert alert["details"]["window_minutes"] == 30


@pytest.mark.parametrize(
    ("durations", "severity", "p95"),
    [
        ([200.0] * 5, "low", 200.0),
        ([100.0, 100.0, 100.0, 100.0, 1000.0], "high", 820.0),
        ([300.0] * 6, "medium", 300.0),
        ([950.0] * 5, "critical", 950.0),
        ([179.0] * 8, None, None),
        ([5000.0] * 4, None, None),  # fewer than processing_min_tasks (5)
    ],
)
def test_slow_processing(conn: Conn, durations: list[float], severity: Any, p95: Any) -> None:
    add_tasks(conn, "ocr", durations)
    run_checks(conn)
    if severity is None:
        assert alerts(conn) == []
        return
    alert = the_alert(conn)
    assert alert["alert_type"] == "slow_processing"
    assert alert["subject"] == "ocr"
    assert alert["title"] == "Slow ocr tasks"
    assert alert["severity"] == severity
    assert alert["current_value"] == pytest.approx(p95)
    assert alert["message"].startswith(f"p95 of {len(durations)} ocr tasks that ended")
    assert alert["details"]["ended_count"] == len(durations)
    assert alert["details"]["max_duration_seconds"] == pytest.approx(max(durations))


def test_slow_processing_is_per_task_type_and_ignores_tasks_ended_long_ago(conn: Conn) -> None:
    add_tasks(conn, "ocr", [700.0] * 5)
    add_tasks(conn, "resize", [10.0] * 5)
    add_tasks(conn, "resize", [2000.0] * 10, ended_ago_seconds=3700)
    run_checks(conn)
    assert open_alerts(conn) == [("slow_processing:ocr", "high")]


@pytest.mark.parametrize(
    ("statuses", "severity", "ratio"),
    [
        (["completed"] * 7 + ["failed", "failed", "timeout"], "high", 0.3),
        (["completed"] * 19 + ["failed"], "low", 0.05),
        (["completed"] * 9 + ["failed"], "medium", 0.1),
        (["completed"] * 5 + ["timeout"] * 5, "critical", 0.5),
        (["completed"] * 5 + ["cancelled"] * 5, None, None),
        (["failed"] * 4, None, None),  # fewer than processing_min_tasks
    ],
)
def test_task_failure_rate(conn: Conn, statuses: list[str], severity: Any, ratio: Any) -> None:
    add_tasks(conn, "ocr", [1.0] * len(statuses), statuses)
    run_checks(conn)
    if severity is None:
        assert alerts(conn) == []
        return
    alert = the_alert(conn)
    assert alert["alert_type"] == "task_failure_rate"
    assert alert["alert_key"] == "task_failure_rate:ocr"
    assert alert["title"] == "ocr tasks failing"
    assert alert["severity"] == severity
    assert alert["current_value"] == pytest.approx(ratio)
    assert alert["details"]["ended_count"] == len(statuses)


def test_stuck_tasks(conn: Conn) -> None:
    start_task(conn, "ocr-1", "ocr", 1000)
    start_task(conn, "ocr-2", "ocr", 500)
    start_task(conn, "ocr-3", "ocr", 10)
    start_task(conn, "resize-1", "resize", 400)
    start_task(conn, "fresh-1", "fresh", 100)
    run_checks(conn)
    assert open_alerts(conn) == [("stuck_tasks:ocr", "critical"), ("stuck_tasks:resize", "medium")]
    ocr = alerts(conn, "stuck_tasks")[0]
    assert ocr["title"] == "Stuck ocr tasks"
    assert ocr["subject"] == "ocr"
    assert ocr["current_value"] >= 1000
    assert ocr["threshold_value"] == 900
    # Since the check became the rule stuck_tasks, its details count every
    # running task of the type (the old check counted those past the low
    # threshold only).
    assert ocr["details"] == {
        "running_count": 3,
        "oldest_task_ids": ["ocr-1", "ocr-2", "ocr-3"],
        "oldest_age_seconds": 1000,
        "group": {"task_type": "ocr"},
    }
    assert ocr["message"] == "3 ocr tasks running; the oldest for 1000 s (critical threshold 900 s)"


def test_stuck_task_alert_resolves_when_the_task_completes(conn: Conn) -> None:
    start_task(conn, "ocr-1", "ocr", 1000)
    run_checks(conn)
    alert_id = the_alert(conn)["alert_id"]
    conn.execute("SELECT monitoring.complete_task_tracking('ocr-1', 'completed')")
    result = dict(run_checks(conn))
    assert result["resolve_resolved_alerts"] == 1
    assert the_alert(conn)["status"] == "resolved"
    assert events(conn, alert_id)[-1] == ("resolved", None, "critical", "manual")


@pytest.mark.parametrize(
    ("status", "seconds", "severity"),
    # An unhealthy component is high at once (a failure that affects users)
    # and critical after alert_thresholds.unhealthy_seconds.critical (900 s);
    # a degraded one is held at alert_settings.degraded_max_severity.
    [
        ("unhealthy", 5, "high"),
        ("unhealthy", 400, "high"),
        ("unhealthy", 1000, "critical"),
        ("degraded", 5, "medium"),
        ("degraded", 1000, "medium"),
        ("healthy", 5000, None),
    ],
)
def test_component_health(conn: Conn, status: str, seconds: float, severity: Any) -> None:
    report_health(conn, "main", status, seconds, "connection refused")
    run_checks(conn)
    if severity is None:
        assert alerts(conn) == []
        return
    alert = the_alert(conn)
    assert alert["alert_type"] == "component_health"
    assert alert["subject"] == "api/main"
    assert alert["title"] == f"api main is {status}"
    assert alert["severity"] == severity
    assert alert["current_value"] == pytest.approx(seconds, abs=5)
    assert alert["message"].endswith(": connection refused")
    assert alert["details"]["status"] == status


def test_component_health_counts_from_the_status_change(conn: Conn) -> None:
    report_health(conn, "main", "unhealthy", 2000)
    report_health(conn, "main", "unhealthy", 30)  # same status: still unhealthy since 2000 s ago
    report_health(conn, "other", "healthy", 2000)
    report_health(conn, "other", "unhealthy", 100)
    run_checks(conn)
    assert open_alerts(conn) == [
        ("component_health:api/main", "critical"),
        ("component_health:api/other", "high"),
    ]
    assert alerts(conn)[0]["details"]["consecutive_failures"] == 2
    assert alerts(conn)[1]["details"]["seconds_in_status"] == pytest.approx(100, abs=5)


def test_degraded_cap_comes_from_the_config(conn: Conn) -> None:
    apply_config(conn, {("alert_settings", "degraded_max_severity"): "high"})
    report_health(conn, "main", "degraded", 1000)
    run_checks(conn)
    assert open_alerts(conn) == [("component_health:api/main", "high")]


def test_queue_backlog_uses_the_latest_sample(conn: Conn) -> None:
    queue_sample(conn, "ingest", 600, 600)
    queue_sample(conn, "ingest", 120, 60, 42.4)
    queue_sample(conn, "export", 10, 600)
    queue_sample(conn, "export", 700, 30)
    queue_sample(conn, "stale", 1000, 16 * 60)  # older than queue_sample_max_age_minutes
    queue_sample(conn, "small", 49, 30)
    assert scalar(conn, "SELECT monitoring.check_queue_backlog_alerts()") == 2
    assert open_alerts(conn) == [
        ("queue_backlog:export", "critical"),
        ("queue_backlog:ingest", "medium"),
    ]
    ingest = alerts(conn)[1]
    assert ingest["subject"] == "ingest"
    assert ingest["title"] == "Queue ingest backing up"
    assert ingest["current_value"] == 120
    assert ingest["threshold_value"] == 100
    assert ingest["message"] == "120 items pending in ingest (medium threshold 100); 0 processing"


@pytest.mark.parametrize(
    ("pending", "severity"),
    [(50, "low"), (100, "medium"), (200, "high"), (500, "critical"), (49, None)],
)
def test_queue_backlog_thresholds(conn: Conn, pending: int, severity: Any) -> None:
    queue_sample(conn, "q", pending, 10)
    run_checks(conn)
    expected = [] if severity is None else [("queue_backlog:q", severity)]
    assert open_alerts(conn) == expected


# --- the lifecycle -----------------------------------------------------------------------


def test_run_monitoring_checks_reports_every_check(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    start_task(conn, "t", "ocr", 1000)
    queue_sample(conn, "q", 60, 10)
    result = conn.execute("SELECT * FROM monitoring.run_monitoring_checks()").fetchall()
    assert [r[0] for r in result] == CHECK_NAMES
    assert [r[1] for r in result] == [1, 1, 1, 0, 1, 0, 0, 0]  # api registered first
    assert all(r[2] >= 0 for r in result)
    checks = dict(
        conn.execute(
            "SELECT check_name, last_source FROM monitoring_internal.check_runs"
        ).fetchall()
    )
    assert checks == {
        name: "manual"
        for name in (
            "error_rate",
            "slow_processing",
            "task_failure_rate",
            "stuck_tasks",
            "component_health",
            "queue_backlog",
            "alert_rules",  # evaluate_alert_rules(): the rules' evaluation
            "register_components",
        )
    }


def test_rerun_updates_the_same_alert(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    seen = []
    for _ in range(3):
        run_checks(conn)
        alert = the_alert(conn)
        seen.append(alert["last_seen_at"])
    assert alert["occurrence_count"] == 3
    assert seen[0] < seen[1] < seen[2]
    assert alert["triggered_at"] == seen[0]
    assert alert["severity_changed_at"] is None
    assert events(conn, alert["alert_id"]) == [("triggered", None, "low", "manual")]


def test_severity_raised_and_lowered_are_recorded(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    run_checks(conn)
    add_errors(conn, "api", 25)
    run_checks(conn)
    raised = the_alert(conn)
    assert raised["severity"] == "medium"
    assert raised["severity_changed_at"] == raised["last_seen_at"]
    delete_errors(conn, "api", 26)
    run_checks(conn)
    alert = the_alert(conn)
    assert alert["alert_id"] == raised["alert_id"]
    assert alert["severity"] == "low"
    assert alert["current_value"] == pytest.approx(29)
    assert alert["occurrence_count"] == 3
    assert alert["severity_changed_at"] > raised["severity_changed_at"]
    assert events(conn, alert["alert_id"]) == [
        ("triggered", None, "low", "manual"),
        ("severity_changed", "low", "medium", "manual"),
        ("severity_changed", "medium", "low", "manual"),
    ]


def test_cleared_condition_resolves_and_a_new_breach_opens_a_new_alert(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    run_checks(conn, "scheduler")
    first = the_alert(conn)
    delete_errors(conn, "api")
    result = dict(run_checks(conn, "scheduler"))
    assert result["resolve_resolved_alerts"] == 1
    resolved = the_alert(conn)
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None
    assert resolved["resolved_by"] == "scheduler"
    assert resolved["resolution_note"].startswith("condition cleared")
    assert events(conn, first["alert_id"])[-1] == ("resolved", None, "low", "scheduler")
    assert scalar(conn, "SELECT count(*) FROM monitoring.v_active_alerts") == 0

    run_checks(conn, "scheduler")  # still clear: nothing happens
    assert len(alerts(conn)) == 1

    add_errors(conn, "api", 80)
    run_checks(conn, "scheduler")
    second = alerts(conn)[-1]
    assert second["alert_id"] != first["alert_id"]
    assert second["alert_key"] == first["alert_key"]
    assert second["severity"] == "high"
    assert second["status"] == "active"
    assert second["occurrence_count"] == 1
    assert events(conn, second["alert_id"]) == [("triggered", None, "high", "scheduler")]
    assert open_alerts(conn) == [("error_rate:api", "high")]


def test_only_alerts_of_checks_that_ran_are_resolved(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    queue_sample(conn, "q", 60, 10)
    run_checks(conn)
    delete_errors(conn, "api")
    conn.execute("DELETE FROM monitoring.queue_monitoring")
    conn.execute("SELECT monitoring.check_error_rate_alerts()")
    assert scalar(conn, "SELECT monitoring.resolve_resolved_alerts()") == 1
    assert open_alerts(conn) == [("queue_backlog:q", "low")]


def test_acknowledge_alert(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    run_checks(conn)
    alert_id = the_alert(conn)["alert_id"]
    assert scalar(conn, "SELECT monitoring.acknowledge_alert(%s, 'alice', 'on it')", (alert_id,))
    alert = the_alert(conn)
    assert alert["status"] == "acknowledged"
    assert alert["acknowledged_by"] == "alice"
    assert alert["acknowledgement_note"] == "on it"
    assert alert["acknowledged_at"] is not None
    assert alert["resolved_at"] is None
    assert scalar(conn, "SELECT monitoring.acknowledge_alert(%s, 'bob')", (alert_id,)) is False
    assert the_alert(conn)["acknowledged_by"] == "alice"

    run_checks(conn)  # still firing: updated, still acknowledged
    alert = the_alert(conn)
    assert alert["status"] == "acknowledged"
    assert alert["occurrence_count"] == 2
    view = rows(conn, "SELECT status, acknowledged_by FROM monitoring.v_active_alerts")
    assert view == [{"status": "acknowledged", "acknowledged_by": "alice"}]

    delete_errors(conn, "api")
    run_checks(conn)
    assert the_alert(conn)["status"] == "resolved"
    assert events(conn, alert_id) == [
        ("triggered", None, "low", "manual"),
        ("acknowledged", None, "low", "alice"),
        ("resolved", None, "low", "manual"),
    ]


def test_acknowledge_defaults_to_the_session_user(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    run_checks(conn)
    alert_id = the_alert(conn)["alert_id"]
    assert scalar(conn, "SELECT monitoring.acknowledge_alert(%s)", (alert_id,)) is True
    assert the_alert(conn)["acknowledged_by"] == scalar(conn, "SELECT session_user::text")


def test_resolve_alert_by_hand(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    run_checks(conn)
    alert_id = the_alert(conn)["alert_id"]
    assert scalar(conn, "SELECT monitoring.resolve_alert(%s, 'bob', 'fixed the bug')", (alert_id,))
    alert = the_alert(conn)
    assert alert["status"] == "resolved"
    assert alert["resolved_by"] == "bob"
    assert alert["resolution_note"] == "fixed the bug"
    assert events(conn, alert_id)[-1] == ("resolved", None, "low", "bob")
    assert scalar(conn, "SELECT count(*) FROM monitoring.v_active_alerts") == 0

    run_checks(conn)  # the errors are still there: resolving is not silencing
    found = alerts(conn)
    assert len(found) == 2
    assert found[0]["status"] == "resolved"
    assert found[1]["status"] == "active"
    assert found[1]["alert_id"] != alert_id
    assert events(conn, found[1]["alert_id"]) == [("triggered", None, "low", "manual")]


def test_triggered_by_records_the_source(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    run_checks(conn, "pg_cron")
    queue_sample(conn, "q", 60, 10)
    conn.execute("SELECT monitoring.check_queue_backlog_alerts()")
    error_alert, queue_alert = alerts(conn)
    assert error_alert["triggered_by"] == "pg_cron"
    assert events(conn, error_alert["alert_id"]) == [("triggered", None, "low", "pg_cron")]
    assert queue_alert["triggered_by"] == "manual"
    assert (
        scalar(
            conn,
            "SELECT last_source FROM monitoring_internal.check_runs WHERE check_name = 'error_rate'",
        )
        == "pg_cron"
    )
    assert (
        scalar(
            conn,
            "SELECT last_source FROM monitoring_internal.check_runs WHERE check_name = 'queue_backlog'",
        )
        == "manual"
    )
    # The source is local to its transaction: it does not leak into later calls.
    assert scalar(conn, "SELECT current_setting('pgvigil.check_source', true)") in (None, "")


def test_thresholds_come_from_the_config(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    run_checks(conn)
    assert open_alerts(conn) == [("error_rate:api", "low")]
    apply_config(
        conn,
        {("alert_thresholds", "error_rates"): {"low": 5, "medium": 10, "high": 20, "critical": 30}},
    )
    run_checks(conn)
    alert = the_alert(conn)
    assert alert["severity"] == "critical"
    assert alert["threshold_value"] == 30
    apply_config(
        conn,
        {("alert_thresholds", "error_rates"): {"low": 5, "medium": 10, "high": 20, "critical": 40}},
    )
    run_checks(conn)
    assert the_alert(conn)["severity"] == "high"
    apply_config(
        conn,
        {
            ("alert_thresholds", "error_rates"): {
                "low": 31,
                "medium": 40,
                "high": 50,
                "critical": 60,
            }
        },
    )
    run_checks(conn)
    assert the_alert(conn)["status"] == "resolved"
    assert [e[:3] for e in events(conn, alert["alert_id"])] == [
        ("triggered", None, "low"),
        ("severity_changed", "low", "critical"),
        ("severity_changed", "critical", "high"),
        ("resolved", None, "high"),
    ]


def test_processing_thresholds_and_min_tasks_come_from_the_config(conn: Conn) -> None:
    add_tasks(conn, "ocr", [100.0] * 3)
    run_checks(conn)
    assert alerts(conn) == []
    apply_config(
        conn,
        {
            ("alert_settings", "processing_min_tasks"): 3,
            ("alert_thresholds", "processing_times"): {
                "low": 10,
                "medium": 50,
                "high": 90,
                "critical": 1000,
            },
        },
    )
    run_checks(conn)
    assert open_alerts(conn) == [("slow_processing:ocr", "high")]


# --- concurrency ---------------------------------------------------------------------------


def test_concurrent_runs_wait_briefly_then_skip_without_duplicating(
    conn: Conn, module_dsn: str
) -> None:
    add_errors(conn, "api", 30)
    queue_sample(conn, "q", 600, 10)
    with psycopg.connect(module_dsn) as first, psycopg.connect(module_dsn) as second:
        second.execute("SET statement_timeout = '10s'")
        second.commit()
        ran = first.execute("SELECT * FROM monitoring.run_monitoring_checks('first')").fetchall()
        assert [r[0] for r in ran] == CHECK_NAMES
        # first's transaction is still open and holds the checks' lock: the
        # second run waits 5 s for it (a watchdog or worker evaluation would
        # be done by then), then skips.
        started = time.monotonic()
        skipped = second.execute(
            "SELECT * FROM monitoring.run_monitoring_checks('second')"
        ).fetchall()
        assert skipped == []
        assert time.monotonic() - started >= 4.5
        second.commit()
        first.commit()
    found = alerts(conn)
    assert [(a["alert_key"], a["triggered_by"], a["occurrence_count"]) for a in found] == [
        ("error_rate:api", "first", 1),
        ("queue_backlog:q", "first", 1),
    ]


def test_direct_check_waits_for_a_running_check_and_does_not_duplicate(
    conn: Conn, module_dsn: str
) -> None:
    add_errors(conn, "api", 30)
    outcome: dict[str, Any] = {}
    with psycopg.connect(module_dsn) as first, psycopg.connect(module_dsn) as second:
        first.execute("SELECT * FROM monitoring.run_monitoring_checks('first')").fetchall()
        second_pid = second.info.backend_pid

        def direct_check() -> None:
            try:
                outcome["result"] = second.execute(
                    "SELECT monitoring.check_error_rate_alerts()"
                ).fetchone()
                second.commit()
            except Exception as exc:  # reported below
                outcome["error"] = exc

        thread = threading.Thread(target=direct_check)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            waiting = False
            while time.monotonic() < deadline and not waiting:
                waiting = bool(
                    scalar(
                        conn,
                        "SELECT count(*) FROM pg_locks WHERE pid = %s AND locktype = 'advisory'"
                        " AND NOT granted",
                        (second_pid,),
                    )
                )
                if not waiting:
                    time.sleep(0.01)
            assert waiting, "the direct check did not wait for the advisory lock"
            assert thread.is_alive()
            assert "result" not in outcome
        finally:
            first.commit()
            thread.join(timeout=10)
        assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"] == (1,)
    alert = the_alert(conn)
    assert alert["triggered_by"] == "first"
    assert alert["occurrence_count"] == 2
    assert open_alerts(conn) == [("error_rate:api", "low")]
    assert (
        scalar(conn, "SELECT count(*) FROM monitoring.alert_events WHERE event_type = 'triggered'")
        == 1
    )
