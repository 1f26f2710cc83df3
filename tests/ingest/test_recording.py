"""The recording functions store exactly what they are given.

start_task_tracking, complete_task_tracking, record_error,
record_performance_metric, update_system_health and record_queue_stats,
each checked against the rows it writes: explicit values, defaults, event
times placed in the past, durations computed from event times, truncation,
and the status-change history of update_system_health.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, db_now, one, rows, scalar

# One database for the module, emptied before each test: a fresh database
# per test (the conftest ``dsn`` fixture) costs a CREATE DATABASE each, and
# these tests only need empty tables and the default config.


# --- start_task_tracking / complete_task_tracking ---------------------------


def test_start_task_tracking_stores_every_argument(conn: Conn) -> None:
    started = db_now(conn) - timedelta(minutes=5, microseconds=123)
    returned = scalar(
        conn,
        "SELECT monitoring.start_task_tracking(%s, %s, %s, %s, %s, %s)",
        ("task-1", "ocr", 1024, "worker-7", Jsonb({"source": "s3", "pages": 3}), started),
    )
    assert returned == "task-1"
    assert rows(conn, "SELECT * FROM monitoring.processing_metrics") == [
        {
            "task_id": "task-1",
            "task_type": "ocr",
            "worker_id": "worker-7",
            "status": "running",
            "input_size": 1024,
            "output_size": None,
            "start_time": started,
            "end_time": None,
            "duration_seconds": None,
            "step_timings": None,
            "metadata": {"source": "s3", "pages": 3},
        }
    ]
    assert rows(conn, "SELECT * FROM monitoring_internal.running_tasks") == [
        {"task_id": "task-1", "task_type": "ocr", "worker_id": "worker-7", "start_time": started}
    ]


def test_start_task_tracking_defaults(conn: Conn) -> None:
    with conn.transaction():
        scalar(conn, "SELECT monitoring.start_task_tracking('task-2', 'ocr')")
        now = db_now(conn)
    row = one(conn, "SELECT * FROM monitoring.processing_metrics")
    assert row["start_time"] == now
    assert row["status"] == "running"
    assert row["input_size"] is None
    assert row["worker_id"] is None
    assert row["metadata"] is None
    assert one(conn, "SELECT * FROM monitoring_internal.running_tasks") == {
        "task_id": "task-2",
        "task_type": "ocr",
        "worker_id": None,
        "start_time": now,
    }


def test_start_task_tracking_zero_input_size_is_accepted(conn: Conn) -> None:
    conn.execute("SELECT monitoring.start_task_tracking('t', 'ocr', 0)")
    assert scalar(conn, "SELECT input_size FROM monitoring.processing_metrics") == 0


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled", "timeout"])
def test_complete_task_tracking_stores_values_and_duration(conn: Conn, status: str) -> None:
    now = db_now(conn)
    started = now - timedelta(seconds=300, microseconds=500_000)
    ended = now - timedelta(microseconds=250_000)
    conn.execute(
        "SELECT monitoring.start_task_tracking('task-3', 'ocr', 10, 'w1', NULL, %s)", (started,)
    )
    duration = scalar(
        conn,
        "SELECT monitoring.complete_task_tracking(%s, %s, %s, %s, %s)",
        ("task-3", status, 2048, Jsonb({"parse": 1.25, "store": 0, "upload": 12}), ended),
    )
    assert duration == pytest.approx(300.25, abs=1e-6)
    row = one(conn, "SELECT * FROM monitoring.processing_metrics")
    assert row == {
        "task_id": "task-3",
        "task_type": "ocr",
        "worker_id": "w1",
        "status": status,
        "input_size": 10,
        "output_size": 2048,
        "start_time": started,
        "end_time": ended,
        "duration_seconds": pytest.approx(300.25, abs=1e-6),
        "step_timings": {"parse": 1.25, "store": 0, "upload": 12},
        "metadata": None,
    }
    assert rows(conn, "SELECT * FROM monitoring_internal.running_tasks") == []


def test_complete_task_tracking_defaults(conn: Conn) -> None:
    started = db_now(conn) - timedelta(seconds=42)
    conn.execute(
        "SELECT monitoring.start_task_tracking('task-4', 'ocr', NULL, NULL, NULL, %s)", (started,)
    )
    with conn.transaction():
        duration = scalar(conn, "SELECT monitoring.complete_task_tracking('task-4', 'completed')")
        now = db_now(conn)
    expected = (now - started).total_seconds()
    assert duration == pytest.approx(expected, abs=1e-6)
    row = one(conn, "SELECT * FROM monitoring.processing_metrics")
    assert row["end_time"] == now
    assert row["duration_seconds"] == pytest.approx(expected, abs=1e-6)
    assert row["output_size"] is None
    assert row["step_timings"] is None
    assert row["status"] == "completed"


def test_complete_at_start_time_gives_zero_duration(conn: Conn) -> None:
    at = db_now(conn) - timedelta(minutes=1)
    conn.execute("SELECT monitoring.start_task_tracking('t', 'x', NULL, NULL, NULL, %s)", (at,))
    duration = scalar(
        conn,
        "SELECT monitoring.complete_task_tracking('t', 'completed', NULL, NULL, %s)",
        (at,),
    )
    assert duration == 0
    assert scalar(conn, "SELECT duration_seconds FROM monitoring.processing_metrics") == 0


def test_complete_updates_the_run_in_an_older_partition(conn: Conn) -> None:
    """A task started days ago is completed in its own partition, nothing else touched."""
    now = db_now(conn)
    started = now - timedelta(days=3, hours=2)
    conn.execute(
        "SELECT monitoring.start_task_tracking('old', 'batch', NULL, NULL, NULL, %s)", (started,)
    )
    conn.execute("SELECT monitoring.start_task_tracking('new', 'batch')")
    duration = scalar(
        conn,
        "SELECT monitoring.complete_task_tracking('old', 'completed', NULL, NULL, %s)",
        (now,),
    )
    assert duration == pytest.approx((now - started).total_seconds(), abs=1e-6)
    result = rows(
        conn,
        "SELECT task_id, status, tableoid::regclass::text AS part"
        " FROM monitoring.processing_metrics ORDER BY task_id",
    )
    assert [(r["task_id"], r["status"]) for r in result] == [
        ("new", "running"),
        ("old", "completed"),
    ]
    old_day = scalar(conn, "SELECT (%s::timestamptz AT TIME ZONE 'UTC')::date", (started,))
    assert result[1]["part"] == f"processing_metrics_p{old_day:%Y%m%d}"
    assert [
        r["task_id"] for r in rows(conn, "SELECT task_id FROM monitoring_internal.running_tasks")
    ] == ["new"]


def test_running_tasks_tracks_only_tasks_in_flight(conn: Conn) -> None:
    for task in ("a", "b", "c"):
        conn.execute("SELECT monitoring.start_task_tracking(%s, 'x')", (task,))
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.running_tasks") == 3
    conn.execute("SELECT monitoring.complete_task_tracking('b', 'failed')")
    assert [
        r[0]
        for r in conn.execute("SELECT task_id FROM monitoring_internal.running_tasks ORDER BY 1")
    ] == [
        "a",
        "c",
    ]
    assert scalar(conn, "SELECT count(*) FROM monitoring.processing_metrics") == 3


# --- record_error --------------------------------------------------------------


def test_record_error_stores_every_argument(conn: Conn) -> None:
    at = db_now(conn) - timedelta(hours=2, microseconds=7)
    error_id = scalar(
        conn,
        "SELECT monitoring.record_error(%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            "task-9",
            "validation_error",
            "high",
            "Invalid input",
            "processor",
            "Traceback ...",
            Jsonb({"field": "name"}),
            at,
        ),
    )
    assert isinstance(error_id, int)
    assert rows(conn, "SELECT * FROM monitoring.error_tracking") == [
        {
            "error_id": error_id,
            "task_id": "task-9",
            "error_type": "validation_error",
            "severity": "high",
            "message": "Invalid input",
            "component": "processor",
            "stack_trace": "Traceback ...",
            "context": {"field": "name"},
            "occurred_at": at,
        }
    ]


@pytest.mark.parametrize("severity", ["low", "medium", "high", "critical"])
def test_record_error_defaults_and_no_task(conn: Conn, severity: str) -> None:
    with conn.transaction():
        error_id = scalar(
            conn,
            "SELECT monitoring.record_error(NULL, 'io', %s, 'disk full', 'storage')",
            (severity,),
        )
        now = db_now(conn)
    row = one(conn, "SELECT * FROM monitoring.error_tracking")
    assert row == {
        "error_id": error_id,
        "task_id": None,
        "error_type": "io",
        "severity": severity,
        "message": "disk full",
        "component": "storage",
        "stack_trace": None,
        "context": None,
        "occurred_at": now,
    }


def test_record_error_returns_a_new_id_each_time(conn: Conn) -> None:
    ids = [
        scalar(conn, "SELECT monitoring.record_error(NULL, 'e', 'low', 'm', 'c')") for _ in range(3)
    ]
    assert len(set(ids)) == 3
    assert sorted(r[0] for r in conn.execute("SELECT error_id FROM monitoring.error_tracking")) == (
        sorted(ids)
    )


def test_record_error_truncates_message_and_stack_trace(conn: Conn) -> None:
    message = "m" * 10_000 + "TAIL"
    stack = "s" * 100_000 + "TAIL"
    conn.execute("SELECT monitoring.record_error(NULL, 'e', 'low', %s, 'c', %s)", (message, stack))
    row = one(conn, "SELECT message, stack_trace FROM monitoring.error_tracking")
    assert row["message"] == "m" * 10_000
    assert row["stack_trace"] == "s" * 100_000


def test_record_error_keeps_a_message_of_exactly_10000_chars(conn: Conn) -> None:
    message = "é" * 9_999 + "Z"
    conn.execute("SELECT monitoring.record_error(NULL, 'e', 'low', %s, 'c')", (message,))
    assert scalar(conn, "SELECT message FROM monitoring.error_tracking") == message


# --- record_performance_metric -------------------------------------------------


def test_record_performance_metric_stores_every_argument(conn: Conn) -> None:
    at = db_now(conn) - timedelta(days=6, minutes=3)
    conn.execute(
        "SELECT monitoring.record_performance_metric(%s, %s, %s, %s, %s, %s, %s)",
        ("memory_usage", "memory", 73.25, "%", "system", Jsonb({"host": "h1"}), at),
    )
    assert rows(conn, "SELECT * FROM monitoring.performance_monitoring") == [
        {
            "metric_name": "memory_usage",
            "metric_type": "memory",
            "metric_value": 73.25,
            "unit": "%",
            "component": "system",
            "tags": {"host": "h1"},
            "recorded_at": at,
        }
    ]


@pytest.mark.parametrize("value", [-12.5, 0.0, 1e300])
def test_record_performance_metric_defaults_and_any_finite_value(conn: Conn, value: float) -> None:
    with conn.transaction():
        conn.execute(
            "SELECT monitoring.record_performance_metric('delta', 'gauge', %s, 'C', 'sensor')",
            (value,),
        )
        now = db_now(conn)
    assert one(conn, "SELECT * FROM monitoring.performance_monitoring") == {
        "metric_name": "delta",
        "metric_type": "gauge",
        "metric_value": value,
        "unit": "C",
        "component": "sensor",
        "tags": None,
        "recorded_at": now,
    }


# --- record_queue_stats ----------------------------------------------------------


def test_record_queue_stats_stores_every_argument(conn: Conn) -> None:
    at = db_now(conn) - timedelta(minutes=30)
    conn.execute(
        "SELECT monitoring.record_queue_stats(%s, %s, %s, %s, %s, %s, %s)",
        ("ingest", 120, 4, 37, 2, 95.5, at),
    )
    assert rows(conn, "SELECT * FROM monitoring.queue_monitoring") == [
        {
            "queue_name": "ingest",
            "pending_count": 120,
            "processing_count": 4,
            "completed_count": 37,
            "failed_count": 2,
            "oldest_pending_age_seconds": 95.5,
            "recorded_at": at,
        }
    ]


def test_record_queue_stats_defaults(conn: Conn) -> None:
    with conn.transaction():
        conn.execute("SELECT monitoring.record_queue_stats('ingest', 0)")
        now = db_now(conn)
    assert one(conn, "SELECT * FROM monitoring.queue_monitoring") == {
        "queue_name": "ingest",
        "pending_count": 0,
        "processing_count": 0,
        "completed_count": 0,
        "failed_count": 0,
        "oldest_pending_age_seconds": None,
        "recorded_at": now,
    }


def test_record_queue_stats_null_counts_are_stored_as_zero(conn: Conn) -> None:
    conn.execute("SELECT monitoring.record_queue_stats('q', 5, NULL, NULL, NULL, NULL)")
    row = one(
        conn,
        "SELECT pending_count, processing_count, completed_count, failed_count"
        " FROM monitoring.queue_monitoring",
    )
    assert row == {
        "pending_count": 5,
        "processing_count": 0,
        "completed_count": 0,
        "failed_count": 0,
    }


def test_record_queue_stats_keeps_every_sample(conn: Conn) -> None:
    now = db_now(conn)
    for minutes, pending in ((3, 10), (2, 20), (1, 30)):
        conn.execute(
            "SELECT monitoring.record_queue_stats('q', %s, 0, 0, 0, NULL, %s)",
            (pending, now - timedelta(minutes=minutes)),
        )
    assert [
        r[0]
        for r in conn.execute(
            "SELECT pending_count FROM monitoring.queue_monitoring ORDER BY recorded_at"
        )
    ] == [10, 20, 30]


# --- update_system_health --------------------------------------------------------


def health(conn: Conn, name: str = "main_api") -> dict[str, Any]:
    return one(
        conn,
        "SELECT * FROM monitoring.system_health WHERE component_type = 'api'"
        " AND component_name = %s",
        (name,),
    )


def history(conn: Conn, name: str = "main_api") -> list[dict[str, Any]]:
    return rows(
        conn,
        "SELECT previous_status, status, previous_status_seconds, recovery_seconds,"
        " response_time_ms, failure_reason, changed_at FROM monitoring.system_health_history"
        " WHERE component_type = 'api' AND component_name = %s ORDER BY changed_at",
        (name,),
    )


def report(
    conn: Conn,
    status: str,
    at: datetime,
    response_time_ms: Any = None,
    failure_reason: str | None = None,
    details: Any = None,
    name: str = "main_api",
) -> bool:
    return scalar(
        conn,
        "SELECT monitoring.update_system_health('api', %s, %s, %s, %s, %s, %s)",
        (name, status, response_time_ms, failure_reason, details, at),
    )


def test_first_health_report(conn: Conn) -> None:
    at = db_now(conn) - timedelta(hours=1)
    assert report(conn, "healthy", at, 50, None, Jsonb({"version": "1.2"})) is True
    assert health(conn) == {
        "component_type": "api",
        "component_name": "main_api",
        "status": "healthy",
        "response_time_ms": Decimal("50"),
        "failure_reason": None,
        "details": {"version": "1.2"},
        "last_check_at": at,
        "status_since": at,
        "last_healthy_at": at,
        "outage_started_at": None,
        "consecutive_failures": 0,
        "check_count": 1,
    }
    assert history(conn) == [
        {
            "previous_status": None,
            "status": "healthy",
            "previous_status_seconds": None,
            "recovery_seconds": None,
            "response_time_ms": Decimal("50"),
            "failure_reason": None,
            "changed_at": at,
        }
    ]


@pytest.mark.parametrize(("status", "failures"), [("unhealthy", 1), ("degraded", 0)])
def test_first_report_not_healthy(conn: Conn, status: str, failures: int) -> None:
    at = db_now(conn) - timedelta(minutes=10)
    assert report(conn, status, at, Decimal("1234.5"), "timeout") is True
    row = health(conn)
    assert row["status"] == status
    assert row["last_healthy_at"] is None
    assert row["outage_started_at"] == at
    assert row["consecutive_failures"] == failures
    assert row["response_time_ms"] == Decimal("1234.5")
    assert row["failure_reason"] == "timeout"
    assert [(h["previous_status"], h["status"], h["failure_reason"]) for h in history(conn)] == [
        (None, status, "timeout")
    ]


def test_health_report_defaults_to_now(conn: Conn) -> None:
    with conn.transaction():
        assert scalar(conn, "SELECT monitoring.update_system_health('api', 'main_api', 'healthy')")
        now = db_now(conn)
    row = health(conn)
    assert row["last_check_at"] == now
    assert row["status_since"] == now
    assert row["response_time_ms"] is None
    assert row["details"] is None


def test_unchanged_status_returns_false_and_adds_no_history(conn: Conn) -> None:
    now = db_now(conn)
    first, second = now - timedelta(minutes=10), now - timedelta(minutes=5)
    assert report(conn, "healthy", first, 50) is True
    assert report(conn, "healthy", second, 70, None, Jsonb({"n": 2})) is False
    row = health(conn)
    assert row["status_since"] == first
    assert row["last_check_at"] == second
    assert row["last_healthy_at"] == second
    assert row["response_time_ms"] == Decimal("70")
    assert row["details"] == {"n": 2}
    assert row["check_count"] == 2
    assert len(history(conn)) == 1


def test_status_change_is_kept_with_time_in_previous_status(conn: Conn) -> None:
    now = db_now(conn)
    t0 = now - timedelta(hours=3)
    t1 = now - timedelta(hours=1, seconds=30)
    assert report(conn, "healthy", t0) is True
    assert report(conn, "degraded", t1, 900, "slow responses") is True
    row = health(conn)
    assert row["status"] == "degraded"
    assert row["status_since"] == t1
    assert row["last_healthy_at"] == t0
    assert row["outage_started_at"] == t1
    assert row["failure_reason"] == "slow responses"
    assert history(conn)[1] == {
        "previous_status": "healthy",
        "status": "degraded",
        "previous_status_seconds": pytest.approx((t1 - t0).total_seconds()),
        "recovery_seconds": None,
        "response_time_ms": Decimal("900"),
        "failure_reason": "slow responses",
        "changed_at": t1,
    }


def test_recovery_seconds_counts_from_leaving_healthy(conn: Conn) -> None:
    now = db_now(conn)
    t_healthy = now - timedelta(hours=5)
    t_degraded = now - timedelta(hours=4)
    t_unhealthy = now - timedelta(hours=3, minutes=30)
    t_back = now - timedelta(hours=2)
    report(conn, "healthy", t_healthy)
    report(conn, "degraded", t_degraded)
    report(conn, "unhealthy", t_unhealthy, None, "down")
    assert report(conn, "healthy", t_back, 20) is True
    entries = history(conn)
    assert [(e["previous_status"], e["status"]) for e in entries] == [
        (None, "healthy"),
        ("healthy", "degraded"),
        ("degraded", "unhealthy"),
        ("unhealthy", "healthy"),
    ]
    assert [e["recovery_seconds"] for e in entries[:3]] == [None, None, None]
    assert entries[3]["recovery_seconds"] == pytest.approx(2 * 3600)
    assert entries[3]["previous_status_seconds"] == pytest.approx(1.5 * 3600)
    assert entries[2]["previous_status_seconds"] == pytest.approx(1800)
    row = health(conn)
    assert row["outage_started_at"] is None
    assert row["last_healthy_at"] == t_back
    assert row["status_since"] == t_back
    assert row["failure_reason"] is None


def test_recovery_after_a_first_report_unhealthy(conn: Conn) -> None:
    now = db_now(conn)
    report(conn, "unhealthy", now - timedelta(minutes=40))
    report(conn, "healthy", now - timedelta(minutes=10))
    assert history(conn)[1]["recovery_seconds"] == pytest.approx(1800)


def test_consecutive_failures(conn: Conn) -> None:
    now = db_now(conn)
    expected = []
    for i, status in enumerate(
        ["unhealthy", "unhealthy", "unhealthy", "degraded", "unhealthy", "healthy", "unhealthy"]
    ):
        report(conn, status, now - timedelta(minutes=30 - i))
        expected.append(health(conn)["consecutive_failures"])
    assert expected == [1, 2, 3, 0, 1, 0, 1]
    assert health(conn)["check_count"] == 7


def test_older_report_is_ignored(conn: Conn) -> None:
    now = db_now(conn)
    latest = now - timedelta(minutes=5)
    report(conn, "healthy", now - timedelta(minutes=20))
    report(conn, "unhealthy", latest, 999, "down")
    before = health(conn)
    before_history = history(conn)
    assert report(conn, "healthy", now - timedelta(minutes=10), 1, None) is False
    assert health(conn) == before
    assert history(conn) == before_history


def test_report_at_the_same_time_as_the_latest_is_applied(conn: Conn) -> None:
    at = db_now(conn) - timedelta(minutes=5)
    report(conn, "healthy", at)
    assert report(conn, "degraded", at) is True
    assert health(conn)["status"] == "degraded"


def test_components_are_independent(conn: Conn) -> None:
    now = db_now(conn)
    report(conn, "healthy", now - timedelta(minutes=5), name="a")
    report(conn, "unhealthy", now - timedelta(minutes=5), name="b")
    assert report(conn, "unhealthy", now - timedelta(minutes=1), name="a") is True
    assert health(conn, "a")["status"] == "unhealthy"
    assert health(conn, "b")["consecutive_failures"] == 1
    assert len(history(conn, "a")) == 2
    assert len(history(conn, "b")) == 1


def test_failure_reason_is_truncated(conn: Conn) -> None:
    reason = "r" * 2000 + "TAIL"
    report(conn, "unhealthy", db_now(conn), None, reason)
    assert health(conn)["failure_reason"] == "r" * 2000
    assert history(conn)[0]["failure_reason"] == "r" * 2000
