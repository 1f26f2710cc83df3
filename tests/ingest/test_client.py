"""MonitoringClient against a real, migrated database: every method, the task
helpers, error mapping, pool ownership and connection settings. The original
design's Python examples are in test_design_examples.py."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from dbhelpers import CHECK_NAMES
from pgvigil import (
    AlertAlreadyResolvedError,
    DatabaseUnavailableError,
    InvalidArgumentError,
    MonitoringClient,
    NotFiniteError,
    PgvigilError,
    TaskAlreadyCompletedError,
    TaskAlreadyRunningError,
    UnknownAlertError,
    UnknownSeverityError,
    UnknownStatusError,
    UnknownTaskError,
)

UNREACHABLE = "host=/nonexistent/pgvigil-socket-dir port=5432 dbname=nowhere user=nobody"


@pytest.fixture
def client(dsn: str) -> Iterator[MonitoringClient]:
    with MonitoringClient(dsn) as c:
        yield c


def one(conn: psycopg.Connection[Any], query: str, params: Any = None) -> tuple[Any, ...]:
    row = conn.execute(query, params).fetchone()
    assert row is not None, query
    return row


# --- recording methods -------------------------------------------------------


def test_start_task_generates_a_uuid_when_no_id_given(client, conn):
    task_id = client.start_task("doc_processing", 1024, worker_id="w1", metadata={"k": "v"})
    assert str(uuid.UUID(task_id)) == task_id
    row = one(
        conn,
        "SELECT task_type, status, input_size, worker_id, metadata FROM processing_metrics"
        " WHERE task_id = %s",
        (task_id,),
    )
    assert row == ("doc_processing", "running", 1024, "w1", {"k": "v"})
    assert one(
        conn,
        "SELECT count(*) FROM monitoring_internal.running_tasks WHERE task_id = %s",
        (task_id,),
    ) == (1,)


def test_start_task_uses_the_given_id(client, conn):
    assert client.start_task("t", task_id="my-task-1") == "my-task-1"
    assert one(conn, "SELECT task_type FROM processing_metrics WHERE task_id = 'my-task-1'") == (
        "t",
    )


def test_two_started_tasks_get_different_ids(client):
    assert client.start_task("t") != client.start_task("t")


def test_complete_task_returns_duration_and_records_outcome(client, conn):
    task_id = client.start_task("t", 10)
    duration = client.complete_task(task_id, "completed", 20, {"parse": 0.5})
    assert isinstance(duration, float)
    row = one(
        conn,
        "SELECT status, output_size, step_timings, duration_seconds, end_time - start_time"
        " FROM processing_metrics WHERE task_id = %s",
        (task_id,),
    )
    assert row[:3] == ("completed", 20, {"parse": 0.5})
    assert row[3] == pytest.approx(duration)
    assert row[4].total_seconds() == pytest.approx(duration)
    assert duration >= 0
    assert one(conn, "SELECT count(*) FROM monitoring_internal.running_tasks") == (0,)


def test_complete_task_duration_matches_event_times(client, conn):
    start, end = one(conn, "SELECT now() - interval '90 seconds', now() - interval '30 seconds'")
    task_id = client.start_task("t", event_time=start)
    assert client.complete_task(task_id, "failed", event_time=end) == pytest.approx(60.0)
    assert one(conn, "SELECT status FROM processing_metrics WHERE task_id = %s", (task_id,)) == (
        "failed",
    )


def test_record_error_returns_the_id_of_the_row(client, conn):
    task_id = client.start_task("t")
    error_id = client.record_error(
        task_id,
        "validation_error",
        "medium",
        "Invalid input",
        "processor",
        stack_trace="trace",
        context={"line": 3},
    )
    assert isinstance(error_id, int)
    row = one(
        conn,
        "SELECT task_id, error_type, severity, message, component, stack_trace, context"
        " FROM error_tracking WHERE error_id = %s",
        (error_id,),
    )
    assert row == (
        task_id,
        "validation_error",
        "medium",
        "Invalid input",
        "processor",
        "trace",
        {"line": 3},
    )
    second = client.record_error(None, "e", "low", "m", "c")
    assert second != error_id
    assert one(conn, "SELECT task_id FROM error_tracking WHERE error_id = %s", (second,)) == (None,)


def test_record_performance_metric(client, conn):
    client.record_performance_metric("cpu", "cpu", 42.5, "%", "system", tags={"host": "a"})
    client.record_performance_metric("delta", "custom", -3.0, "items", "system")
    rows = conn.execute(
        "SELECT metric_name, metric_type, metric_value, unit, component, tags"
        " FROM performance_monitoring ORDER BY metric_name"
    ).fetchall()
    assert rows == [
        ("cpu", "cpu", 42.5, "%", "system", {"host": "a"}),
        ("delta", "custom", -3.0, "items", "system", None),
    ]


def test_update_system_health_takes_response_time_in_milliseconds(client, conn):
    assert client.update_system_health("api", "main_api", "healthy", 123.4) is True
    assert one(
        conn,
        "SELECT status, response_time_ms FROM system_health"
        " WHERE component_type = 'api' AND component_name = 'main_api'",
    ) == ("healthy", Decimal("123.4"))
    # Same status: recorded, but not a change.
    assert client.update_system_health("api", "main_api", "healthy", 80) is False
    assert (
        client.update_system_health(
            "api", "main_api", "unhealthy", failure_reason="timeout", details={"code": 504}
        )
        is True
    )
    row = one(
        conn,
        "SELECT status, response_time_ms, failure_reason, details, check_count FROM system_health",
    )
    assert row == ("unhealthy", None, "timeout", {"code": 504}, 3)
    assert conn.execute(
        "SELECT previous_status, status FROM system_health_history ORDER BY changed_at"
    ).fetchall() == [(None, "healthy"), ("healthy", "unhealthy")]


def test_record_queue_stats(client, conn):
    client.record_queue_stats(
        "emails", 12, 3, completed_count=40, failed_count=2, oldest_pending_age_seconds=7.5
    )
    client.record_queue_stats("sms", 0)
    rows = conn.execute(
        "SELECT queue_name, pending_count, processing_count, completed_count, failed_count,"
        " oldest_pending_age_seconds FROM queue_monitoring ORDER BY queue_name"
    ).fetchall()
    assert rows == [("emails", 12, 3, 40, 2, 7.5), ("sms", 0, 0, 0, 0, None)]


def test_get_dashboard_summary_returns_a_dict_of_what_was_recorded(client):
    task_id = client.start_task("t")
    client.complete_task(task_id, "completed")
    client.start_task("t")
    client.record_error(None, "e", "critical", "m", "payments")
    client.update_system_health("db", "primary", "degraded", 5)
    client.record_queue_stats("emails", 7)
    summary = client.get_dashboard_summary()
    assert isinstance(summary, dict)
    assert {"generated_at", "tasks", "errors", "health", "queues", "alerts"} <= summary.keys()
    assert summary["tasks"]["by_status"] == {"completed": 1, "running": 1}
    assert summary["tasks"]["running"] == 1
    assert summary["errors"]["by_severity"]["critical"] == 1
    assert summary["errors"]["top_components"] == [{"component": "payments", "errors": 1}]
    assert summary["health"]["degraded"] == 1
    assert [q["queue_name"] for q in summary["queues"]] == ["emails"]
    assert summary["queues"][0]["pending"] == 7
    assert summary["alerts"]["active"] == 0


def _raise_backlog_alert(client: MonitoringClient, conn: psycopg.Connection[Any]) -> int:
    client.record_queue_stats("emails", 600)
    client.run_checks()
    return int(one(conn, "SELECT alert_id FROM alerts WHERE alert_type = 'queue_backlog'")[0])


def test_run_checks_returns_one_row_per_check_and_raises_alerts(client, conn):
    client.record_queue_stats("emails", 600)
    rows = client.run_checks(source="client-test")
    assert [r["check_name"] for r in rows] == CHECK_NAMES
    by_name = {r["check_name"]: r for r in rows}
    assert by_name["check_queue_backlog_alerts"]["alerts"] == 1
    assert by_name["check_error_rate_alerts"]["alerts"] == 0
    assert all(r["duration_ms"] >= 0 for r in rows)
    assert one(
        conn,
        "SELECT severity, triggered_by, subject FROM alerts WHERE alert_type = 'queue_backlog'",
    ) == ("critical", "client-test", "emails")
    assert one(
        conn,
        "SELECT last_source FROM monitoring_internal.check_runs WHERE check_name = 'queue_backlog'",
    ) == ("client-test",)


def test_acknowledge_and_resolve_alert(client, conn):
    alert_id = _raise_backlog_alert(client, conn)
    assert client.acknowledge_alert(alert_id, by="alice", note="looking") is True
    assert client.acknowledge_alert(alert_id, by="alice") is False
    assert one(
        conn,
        "SELECT status, acknowledged_by, acknowledgement_note FROM alerts WHERE alert_id = %s",
        (alert_id,),
    ) == ("acknowledged", "alice", "looking")
    assert client.resolve_alert(alert_id, by="bob", note="scaled workers") is True
    assert one(
        conn,
        "SELECT status, resolved_by, resolution_note FROM alerts WHERE alert_id = %s",
        (alert_id,),
    ) == ("resolved", "bob", "scaled workers")
    events = conn.execute(
        "SELECT event_type, actor FROM alert_events WHERE alert_id = %s ORDER BY event_id",
        (alert_id,),
    ).fetchall()
    assert events == [("triggered", "client"), ("acknowledged", "alice"), ("resolved", "bob")]
    with pytest.raises(AlertAlreadyResolvedError) as excinfo:
        client.resolve_alert(alert_id)
    assert excinfo.value.sqlstate == "PV202"


# --- task() and track() ------------------------------------------------------


def test_task_context_manager_completes_with_output_size_and_step_timings(client, conn):
    with client.task("ingest", 100, worker_id="w9", metadata={"batch": 1}) as t:
        with t.step("parse"):
            pass
        with t.step("store"):
            pass
        with t.step("parse"):
            pass
        t.output_size = 55
    row = one(
        conn,
        "SELECT task_type, status, input_size, output_size, worker_id, metadata, step_timings,"
        " duration_seconds FROM processing_metrics WHERE task_id = %s",
        (t.task_id,),
    )
    assert row[:6] == ("ingest", "completed", 100, 55, "w9", {"batch": 1})
    assert set(row[6]) == {"parse", "store"}
    assert row[6] == pytest.approx(t.step_timings)
    assert row[7] is not None
    assert one(conn, "SELECT count(*) FROM error_tracking") == (0,)


def test_task_context_manager_on_exception_fails_records_error_and_reraises(client, conn):
    with pytest.raises(ValueError, match="bad input"), client.task("ingest") as t:
        raise ValueError("bad input")
    assert one(conn, "SELECT status FROM processing_metrics WHERE task_id = %s", (t.task_id,)) == (
        "failed",
    )
    row = one(
        conn,
        "SELECT task_id, error_type, severity, message, component, stack_trace FROM error_tracking",
    )
    assert row[:5] == (t.task_id, "ValueError", "high", "bad input", "ingest")
    assert "ValueError: bad input" in row[5]
    assert one(conn, "SELECT count(*) FROM monitoring_internal.running_tasks") == (0,)


def test_task_context_manager_uses_the_given_component_and_id(client, conn):
    class CustomFailure(RuntimeError):
        pass

    with pytest.raises(CustomFailure), client.task("ingest", task_id="fixed", component="parser"):
        raise CustomFailure()
    assert one(conn, "SELECT task_id, error_type, message, component FROM error_tracking") == (
        "fixed",
        "CustomFailure",
        "CustomFailure",
        "parser",
    )


def test_task_context_manager_on_keyboard_interrupt_cancels_without_error(client, conn):
    with pytest.raises(KeyboardInterrupt), client.task("ingest") as t:
        raise KeyboardInterrupt
    assert one(conn, "SELECT status FROM processing_metrics WHERE task_id = %s", (t.task_id,)) == (
        "cancelled",
    )
    assert one(conn, "SELECT count(*) FROM error_tracking") == (0,)


def test_track_decorator_tracks_each_call(client, conn):
    @client.track("double")
    def double(x: int) -> int:
        """Doubles."""
        return x * 2

    assert double.__name__ == "double"
    assert double.__doc__ == "Doubles."
    assert double(3) == 6
    assert double(4) == 8
    assert conn.execute(
        "SELECT task_type, status FROM processing_metrics ORDER BY start_time"
    ).fetchall() == [("double", "completed"), ("double", "completed")]


def test_track_decorator_on_exception_fails_and_reraises(client, conn):
    @client.track("explode", component="bombs")
    def explode() -> None:
        raise LookupError("no such key")

    assert explode.__name__ == "explode"
    with pytest.raises(LookupError, match="no such key"):
        explode()
    assert one(conn, "SELECT status FROM processing_metrics") == ("failed",)
    assert one(conn, "SELECT error_type, message, component FROM error_tracking") == (
        "LookupError",
        "no such key",
        "bombs",
    )


# --- errors ------------------------------------------------------------------


def test_unknown_severity_maps_to_its_class_with_sqlstate_and_hint(client, conn):
    with pytest.raises(UnknownSeverityError) as excinfo:
        client.record_error(None, "e", "urgent", "m", "c")
    exc = excinfo.value
    assert isinstance(exc, InvalidArgumentError)
    assert isinstance(exc, PgvigilError)
    assert exc.sqlstate == "PV003"
    assert exc.hint and "low, medium, high, critical" in exc.hint
    assert "urgent" in exc.message
    assert "HINT:" in str(exc)
    assert one(conn, "SELECT count(*) FROM error_tracking") == (0,)


def test_unknown_task_error(client):
    with pytest.raises(UnknownTaskError) as excinfo:
        client.complete_task("never-started")
    assert excinfo.value.sqlstate == "PV102"
    assert excinfo.value.hint


def test_task_already_completed_error(client):
    task_id = client.start_task("t")
    client.complete_task(task_id)
    with pytest.raises(TaskAlreadyCompletedError) as excinfo:
        client.complete_task(task_id)
    assert excinfo.value.sqlstate == "PV103"


def test_task_already_running_error(client):
    client.start_task("t", task_id="dup")
    with pytest.raises(TaskAlreadyRunningError) as excinfo:
        client.start_task("t", task_id="dup")
    assert excinfo.value.sqlstate == "PV101"


def test_nan_maps_to_not_finite_error(client, conn):
    with pytest.raises(NotFiniteError) as excinfo:
        client.record_performance_metric("cpu", "cpu", math.nan, "%", "system")
    assert excinfo.value.sqlstate == "PV005"
    with pytest.raises(NotFiniteError):
        client.record_performance_metric("cpu", "cpu", math.inf, "%", "system")
    assert one(conn, "SELECT count(*) FROM performance_monitoring") == (0,)


def test_unknown_status_and_unknown_alert_errors(client):
    task_id = client.start_task("t")
    with pytest.raises(UnknownStatusError) as excinfo:
        client.complete_task(task_id, "done")
    assert excinfo.value.sqlstate == "PV002"
    with pytest.raises(UnknownAlertError) as alert_excinfo:
        client.acknowledge_alert(999_999)
    assert alert_excinfo.value.sqlstate == "PV201"


def test_client_keeps_working_after_an_error(client, conn):
    with pytest.raises(UnknownSeverityError):
        client.record_error(None, "e", "urgent", "m", "c")
    client.record_error(None, "e", "low", "m", "c")
    assert one(conn, "SELECT count(*) FROM error_tracking") == (1,)


# --- pool, connection settings -----------------------------------------------


def test_a_pool_passed_in_is_not_closed_by_the_client(dsn, conn):
    pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
        dsn, min_size=1, max_size=2, open=True, kwargs={"autocommit": True}
    )
    try:
        client = MonitoringClient(pool=pool)
        client.record_queue_stats("q", 1)
        client.close()
        client.close()  # idempotent
        assert not pool.closed
        with pool.connection() as c:
            assert c.execute("SELECT count(*) FROM monitoring.queue_monitoring").fetchone() == (1,)
        with pytest.raises(PgvigilError, match="closed"):
            client.record_queue_stats("q", 2)
    finally:
        pool.close()


def test_close_closes_the_pool_the_client_built(dsn, conn):
    client = MonitoringClient(dsn, application_name="pgvigil-close-test")
    client.record_queue_stats("q", 1)
    assert _backends(conn, "pgvigil-close-test") >= 1
    client.close()
    _wait_for_no_backends(conn, "pgvigil-close-test")
    with pytest.raises(PgvigilError, match="closed"):
        client.record_queue_stats("q", 2)


def _backends(conn: psycopg.Connection[Any], application_name: str) -> int:
    return int(
        one(
            conn,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        )[0]
    )


def _wait_for_no_backends(conn: psycopg.Connection[Any], application_name: str) -> None:
    # A closed connection's backend leaves pg_stat_activity asynchronously.
    for _ in range(100):
        if _backends(conn, application_name) == 0:
            return
        time.sleep(0.05)
    assert _backends(conn, application_name) == 0


def test_dsn_comes_from_database_url(dsn, conn, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", dsn)
    with MonitoringClient() as client:
        client.record_queue_stats("from-env", 3)
    assert one(conn, "SELECT queue_name, pending_count FROM queue_monitoring") == ("from-env", 3)


def test_an_explicit_dsn_wins_over_database_url(dsn, conn, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    with MonitoringClient(dsn) as client:
        client.record_queue_stats("explicit", 1)
    assert one(conn, "SELECT queue_name FROM queue_monitoring") == ("explicit",)


def test_the_constructor_makes_no_connection(dsn, conn):
    MonitoringClient(UNREACHABLE, connect_timeout=1).close()  # no error: nothing connected
    client = MonitoringClient(dsn, application_name="pgvigil-ctor-test")
    try:
        assert _backends(conn, "pgvigil-ctor-test") == 0
        client.get_dashboard_summary()
        assert _backends(conn, "pgvigil-ctor-test") >= 1
    finally:
        client.close()


def test_unreachable_database_raises_database_unavailable_within_connect_timeout():
    client = MonitoringClient(UNREACHABLE, connect_timeout=1)
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailableError):
            client.record_queue_stats("q", 1)
        elapsed = time.monotonic() - started
    finally:
        client.close()
    # Coarse bound, not a benchmark: the client's default timeout is 5 s, so
    # this only fails if connect_timeout=1 was ignored (or the call hung).
    assert elapsed < 4.5


def test_task_context_manager_with_database_down_raises_unavailable_before_the_block():
    ran = False
    client = MonitoringClient(UNREACHABLE, connect_timeout=1)
    try:
        with pytest.raises(DatabaseUnavailableError), client.task("t"):
            ran = True
    finally:
        client.close()
    assert ran is False


# --- arguments the database cannot take ----------------------------------------


@pytest.mark.parametrize(
    ("call", "sqlstate"),
    [
        (lambda c: c.start_task("ocr\ud800"), None),  # lone surrogate: not UTF-8
        (lambda c: c.start_task("ocr\x00"), None),  # NUL: PostgreSQL text cannot hold it
        (lambda c: c.start_task("ocr", metadata={"when": object()}), None),  # not JSON
        (lambda c: c.start_task("ocr", 2**70), "22003"),  # beyond bigint
        (lambda c: c.record_queue_stats("q", 2**40), "22003"),  # beyond integer
    ],
    ids=["surrogate", "nul", "unserializable-json", "huge-size", "huge-count"],
)
def test_arguments_the_database_cannot_take_raise_invalid_argument_and_write_nothing(
    client, conn, call, sqlstate
):
    with pytest.raises(InvalidArgumentError) as raised:
        call(client)
    assert raised.value.sqlstate == sqlstate
    assert conn.execute("SELECT count(*) FROM monitoring.processing_metrics").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM monitoring.queue_monitoring").fetchone()[0] == 0
