"""BufferedClient against a real, migrated database.

Samples through COPY, task events through record_task_events (any order,
across clients and batches: same rows as the sync client one by one),
errors, health and queue stats; rejected events isolated and counted by
SQLSTATE; flush on close and at interpreter exit; drop counters while the
database is unreachable and retries once it appears; a least-privilege
writer role; the ingest SQL functions called directly.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from conftest import TEMPLATE_DB, Server
from dbhelpers import Conn, db_now, one, rows, scalar
from pgvigil import (
    BufferedClient,
    BufferStats,
    InvalidArgumentError,
    MalformedBatchError,
    MonitoringClient,
    Recorder,
)
from pgvigil.errors import from_psycopg

UNREACHABLE = "host=/nonexistent/pgvigil dbname=x user=nobody connect_timeout=1"

MakeClient = Callable[..., BufferedClient]

METRIC_ROWS = """
    SELECT metric_name, metric_type, metric_value, unit, component, tags, recorded_at
    FROM monitoring.performance_monitoring ORDER BY recorded_at
"""
TASK_ROWS = "SELECT * FROM monitoring.processing_metrics ORDER BY task_id, start_time"
RUNNING_ROWS = "SELECT * FROM monitoring_internal.running_tasks ORDER BY task_id"
PENDING_ROWS = (
    "SELECT task_id, status, output_size, step_timings, end_time"
    " FROM monitoring_internal.pending_task_completions ORDER BY task_id"
)
RECORD_TASK_EVENTS = """
    SELECT monitoring.record_task_events(
        %s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::jsonb[],
        %s::text[], %s::bigint[], %s::jsonb[], %s::timestamptz[])
"""


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Builds BufferedClients (flushed only when asked, by default) and closes them after the test."""
    clients: list[BufferedClient] = []

    def make(dsn: str, **kwargs: Any) -> BufferedClient:
        kwargs.setdefault("flush_interval", 60.0)
        client = BufferedClient(dsn, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close(timeout=1.0)


def flushed(client: BufferedClient) -> BufferStats:
    """Flushes (which must succeed) and returns the counters."""
    assert client.flush(timeout=20), client.stats()
    return client.stats()


def accounted(stats: BufferStats) -> bool:
    """Every queued event ended written or dropped (queue_full/closed were never queued)."""
    after_queueing = sum(n for r, n in stats.dropped.items() if r not in ("queue_full", "closed"))
    return stats.queued == stats.written + after_queueing + stats.queue_depth


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def snapshot(conn: Conn) -> dict[str, Any]:
    """Row count and content hash of the tables the ingest functions write."""
    state = {}
    for schema, table in (
        ("monitoring", "processing_metrics"),
        ("monitoring_internal", "running_tasks"),
        ("monitoring_internal", "pending_task_completions"),
        ("monitoring", "performance_monitoring"),
        ("monitoring_internal", "ingest_batches"),
    ):
        state[table] = conn.execute(
            sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                " FROM {} AS t"
            ).format(sql.Identifier(schema, table))
        ).fetchone()
    return state


def sql_error(conn: Conn, query: Any, params: Any = None) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(query, params)
    return caught.value


# --- performance samples through COPY ----------------------------------------


def sample(i: int, base: datetime) -> tuple[Any, ...]:
    """(name, type, value, unit, component, tags, event_time) of sample i."""
    return (
        f"metric_{i % 7}",
        "counter" if i % 2 else "gauge",
        i * 0.25 - 100.0,
        "ms",
        f"component_{i % 4}",
        None if i % 10 == 0 else {"i": i, "host": f"h{i % 3}"},
        base + timedelta(milliseconds=i, microseconds=i % 997),
    )


def record_sample(client: BufferedClient, s: tuple[Any, ...]) -> None:
    client.record_performance_metric(s[0], s[1], s[2], s[3], s[4], tags=s[5], event_time=s[6])


def test_metrics_are_copied_exactly(dsn: str, conn: Conn, make_client: MakeClient) -> None:
    base = db_now(conn) - timedelta(hours=1)
    expected = [sample(i, base) for i in range(1000)]
    client = make_client(dsn)
    for s in expected:
        record_sample(client, s)
    stats = flushed(client)

    assert [tuple(r) for r in conn.execute(METRIC_ROWS)] == expected
    assert stats == BufferStats(
        queued=1000,
        written=1000,
        dropped={},
        queue_depth=0,
        batches=1,
        write_failures=0,
        last_error=None,
    )
    user = scalar(conn, "SELECT current_user")
    assert rows(
        conn,
        "SELECT event_count, written_by, application_name FROM monitoring_internal.ingest_batches",
    ) == [{"event_count": 1000, "written_by": user, "application_name": "pgvigil-buffered"}]


def test_invalid_samples_are_isolated_with_their_code(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    base = db_now(conn) - timedelta(hours=1)
    samples = [sample(i, base) for i in range(1000)]
    samples[100] = samples[100][:2] + (float("nan"),) + samples[100][3:]
    samples[500] = ("",) + samples[500][1:]
    client = make_client(dsn)
    for s in samples:
        record_sample(client, s)
    stats = flushed(client)

    valid = [s for i, s in enumerate(samples) if i not in (100, 500)]
    assert [tuple(r) for r in conn.execute(METRIC_ROWS)] == valid
    assert stats.written == 998
    assert stats.dropped == {"rejected:PV005": 1, "rejected:PV001": 1}
    assert (stats.queued, stats.queue_depth, stats.batches, stats.write_failures) == (1000, 0, 1, 0)
    assert accounted(stats)
    assert scalar(conn, "SELECT sum(event_count) FROM monitoring_internal.ingest_batches") == 1000


def test_a_value_that_is_not_a_number_is_dropped_and_nothing_else(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    base = db_now(conn) - timedelta(hours=1)
    samples = [sample(i, base) for i in range(200)]
    samples[37] = samples[37][:2] + ("abc",) + samples[37][3:]
    client = make_client(dsn)
    for s in samples:
        record_sample(client, s)
    stats = flushed(client)

    assert [tuple(r) for r in conn.execute(METRIC_ROWS)] == samples[:37] + samples[38:]
    assert stats.written == 199
    assert stats.dropped == {"rejected:22P02": 1}
    assert accounted(stats)


def test_tags_are_taken_at_the_call_and_unserializable_tags_are_dropped(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    base = db_now(conn) - timedelta(hours=1)
    client = make_client(dsn)
    tags: dict[str, Any] = {"host": "h1"}
    client.record_performance_metric("m", "gauge", 1.0, "ms", "c", tags=tags, event_time=base)
    tags["host"] = "changed after the call"
    client.record_performance_metric("m", "gauge", 2.0, "ms", "c", tags={"bad": object()})
    client.record_performance_metric("m", "gauge", 3.0, "ms", "c", tags={1: "int key"})  # type: ignore[dict-item]
    stats = flushed(client)

    stored = conn.execute(
        "SELECT metric_value, tags FROM monitoring.performance_monitoring ORDER BY metric_value"
    ).fetchall()
    assert [tuple(r) for r in stored] == [(1.0, {"host": "h1"}), (3.0, {"1": "int key"})]
    assert stats.dropped == {"rejected:invalid_json": 1}
    assert stats.written == 2


def test_event_times_out_of_range_are_rejected_from_the_copy(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    now = db_now(conn)
    samples = [sample(i, now - timedelta(hours=1)) for i in range(100)]
    samples[10] = samples[10][:6] + (now - timedelta(hours=200),)  # older than 168 hours
    samples[90] = samples[90][:6] + (now + timedelta(hours=1),)  # beyond the 300 s skew
    client = make_client(dsn)
    for s in samples:
        record_sample(client, s)
    stats = flushed(client)

    assert [tuple(r) for r in conn.execute(METRIC_ROWS)] == samples[:10] + samples[11:90] + samples[
        91:
    ]
    assert (stats.written, stats.dropped) == (98, {"rejected:PV006": 2})


# --- task events ---------------------------------------------------------------


def finished_row(task_id: str, start: datetime, end: datetime, **values: Any) -> dict[str, Any]:
    row = {
        "task_id": task_id,
        "task_type": "ocr",
        "worker_id": "w1",
        "status": "completed",
        "input_size": 100,
        "output_size": 40,
        "start_time": start,
        "end_time": end,
        "duration_seconds": (end - start).total_seconds(),
        "step_timings": {"parse": 0.5, "store": 1.25},
        "metadata": {"source": "s3"},
    }
    row.update(values)
    return row


def start(client: Any, task_id: str, at: datetime) -> None:
    client.start_task(
        "ocr", 100, worker_id="w1", task_id=task_id, metadata={"source": "s3"}, event_time=at
    )


def complete(client: Any, task_id: str, at: datetime, status: str = "completed") -> None:
    client.complete_task(task_id, status, 40, {"parse": 0.5, "store": 1.25}, event_time=at)


def test_start_and_complete_in_one_batch_give_one_finished_row(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    t0 = db_now(conn) - timedelta(minutes=30)
    t1 = t0 + timedelta(seconds=90, microseconds=250_000)
    client = make_client(dsn)
    start(client, "same-batch", t0)
    complete(client, "same-batch", t1)
    stats = flushed(client)

    assert rows(conn, TASK_ROWS) == [finished_row("same-batch", t0, t1, duration_seconds=90.25)]
    assert rows(conn, RUNNING_ROWS) == []
    assert rows(conn, PENDING_ROWS) == []
    assert (stats.written, stats.dropped, stats.batches) == (2, {}, 1)


def test_start_then_complete_in_a_later_batch(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    t0 = db_now(conn) - timedelta(minutes=30)
    t1 = t0 + timedelta(seconds=90, microseconds=250_000)
    client = make_client(dsn)
    start(client, "two-batches", t0)
    flushed(client)
    assert rows(conn, RUNNING_ROWS) == [
        {"task_id": "two-batches", "task_type": "ocr", "worker_id": "w1", "start_time": t0}
    ]
    complete(client, "two-batches", t1)
    stats = flushed(client)

    assert rows(conn, TASK_ROWS) == [finished_row("two-batches", t0, t1, duration_seconds=90.25)]
    assert rows(conn, RUNNING_ROWS) == []
    assert (stats.written, stats.dropped, stats.batches) == (2, {}, 2)


def test_completion_delivered_before_its_start_is_parked_then_applied(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    t0 = db_now(conn) - timedelta(minutes=30)
    t1 = t0 + timedelta(seconds=90, microseconds=250_000)
    client_a = make_client(dsn)
    client_b = make_client(dsn)
    complete(client_b, "early-end", t1, "failed")
    flushed(client_b)
    assert rows(conn, PENDING_ROWS) == [
        {
            "task_id": "early-end",
            "status": "failed",
            "output_size": 40,
            "step_timings": {"parse": 0.5, "store": 1.25},
            "end_time": t1,
        }
    ]
    assert rows(conn, TASK_ROWS) == []
    assert rows(conn, RUNNING_ROWS) == []

    start(client_a, "early-end", t0)
    flushed(client_a)
    assert rows(conn, TASK_ROWS) == [
        finished_row("early-end", t0, t1, status="failed", duration_seconds=90.25)
    ]
    assert rows(conn, PENDING_ROWS) == []
    assert rows(conn, RUNNING_ROWS) == []
    assert client_a.stats().dropped == client_b.stats().dropped == {}


def equivalence_events(base: datetime) -> list[tuple[str, dict[str, Any]]]:
    """Starts of 12 tasks and completions of 10 of them, in time order."""
    events: list[tuple[str, dict[str, Any]]] = []
    for k in range(12):
        started = base + timedelta(seconds=10 * k, microseconds=k)
        task_id = f"eq-{k:02d}"
        events.append(
            (
                "start",
                {
                    "task_type": ("ocr", "embed", "index")[k % 3],
                    "input_size": None if k % 5 == 0 else 1000 * k,
                    "worker_id": None if k % 4 == 0 else f"w{k % 2}",
                    "task_id": task_id,
                    "metadata": None if k % 3 == 0 else {"k": k, "src": "s3"},
                    "event_time": started,
                },
            )
        )
        if k < 10:
            events.append(
                (
                    "complete",
                    {
                        "task_id": task_id,
                        "status": ("completed", "failed", "cancelled", "timeout")[k % 4],
                        "output_size": None if k % 3 == 1 else 10 * k,
                        "step_timings": None if k % 4 == 3 else {"parse": 0.25 * k, "store": 1.5},
                        "event_time": started + timedelta(seconds=1.5 * (k + 1)),
                    },
                )
            )
    return events


def apply_event(client: Any, event: tuple[str, dict[str, Any]]) -> None:
    kind, kwargs = event
    if kind == "start":
        client.start_task(**kwargs)
    else:
        client.complete_task(**kwargs)


def test_buffered_task_events_in_any_order_equal_the_sync_client_one_by_one(
    dsn: str, conn: Conn, fresh_dsn: str, make_client: MakeClient
) -> None:
    base = db_now(conn) - timedelta(hours=2)
    events = equivalence_events(base)

    with MonitoringClient(fresh_dsn) as sync_client:
        for event in events:
            apply_event(sync_client, event)
    with psycopg.connect(fresh_dsn, autocommit=True) as sync_conn:
        expected_tasks = rows(sync_conn, TASK_ROWS)
        expected_running = rows(sync_conn, RUNNING_ROWS)
    assert len(expected_tasks) == 12
    assert [r["task_id"] for r in expected_running] == ["eq-10", "eq-11"]

    # Chunk of each task's start and completion: pairs in one chunk (0-3),
    # start before completion (4-7), completion before start (8-9), start only.
    start_chunk = {0: 0, 1: 1, 2: 2, 3: 3, 4: 0, 5: 1, 6: 0, 7: 1, 8: 2, 9: 3, 10: 1, 11: 2}
    complete_chunk = {0: 0, 1: 1, 2: 2, 3: 3, 4: 2, 5: 3, 6: 3, 7: 2, 8: 0, 9: 1}
    chunks: list[list[tuple[str, dict[str, Any]]]] = [[], [], [], []]
    for kind, kwargs in events:
        k = int(kwargs["task_id"][3:])
        chunks[(start_chunk if kind == "start" else complete_chunk)[k]].append((kind, kwargs))
    shuffle = random.Random(20240601).shuffle
    client_a, client_b = make_client(dsn), make_client(dsn)
    for number, chunk in enumerate(chunks):
        shuffle(chunk)
        client = client_a if number % 2 == 0 else client_b
        for event in chunk:
            apply_event(client, event)
        flushed(client)
        if number == 1:
            assert [r["task_id"] for r in rows(conn, PENDING_ROWS)] == ["eq-08", "eq-09"]

    assert rows(conn, TASK_ROWS) == expected_tasks
    assert rows(conn, RUNNING_ROWS) == expected_running
    assert rows(conn, PENDING_ROWS) == []
    stats_a, stats_b = client_a.stats(), client_b.stats()
    assert stats_a.written + stats_b.written == 22
    assert stats_a.dropped == stats_b.dropped == {}


def test_sync_start_of_a_task_whose_completion_is_parked_finishes_it(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    t0 = db_now(conn) - timedelta(minutes=30)
    t1 = t0 + timedelta(seconds=12, microseconds=500_000)
    client = make_client(dsn)
    complete(client, "parked", t1, "timeout")
    flushed(client)
    assert [r["task_id"] for r in rows(conn, PENDING_ROWS)] == ["parked"]

    with MonitoringClient(dsn) as sync_client:
        start(sync_client, "parked", t0)
    assert rows(conn, TASK_ROWS) == [
        finished_row("parked", t0, t1, status="timeout", duration_seconds=12.5)
    ]
    assert rows(conn, PENDING_ROWS) == []
    assert rows(conn, RUNNING_ROWS) == []


def test_duplicate_start_in_one_batch_keeps_the_first(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    t0 = db_now(conn) - timedelta(minutes=30)
    client = make_client(dsn)
    for task_id, at in [
        ("dup", t0),
        ("other-1", t0),
        ("dup", t0 + timedelta(seconds=5)),
        ("other-2", t0),
    ]:
        client.start_task("ocr", task_id=task_id, event_time=at)
    stats = flushed(client)

    assert stats.dropped == {"rejected:PV101": 1}
    assert (stats.written, stats.batches) == (3, 1)
    assert [(r["task_id"], r["start_time"]) for r in rows(conn, RUNNING_ROWS)] == [
        ("dup", t0),
        ("other-1", t0),
        ("other-2", t0),
    ]
    assert [(r["task_id"], r["start_time"], r["status"]) for r in rows(conn, TASK_ROWS)] == [
        ("dup", t0, "running"),
        ("other-1", t0, "running"),
        ("other-2", t0, "running"),
    ]


def test_a_parked_task_completed_twice_is_rejected_as_pv103(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    t1 = db_now(conn) - timedelta(minutes=10)
    client = make_client(dsn)
    complete(client, "twice", t1, "completed")
    complete(client, "twice", t1 + timedelta(seconds=1), "failed")
    stats = flushed(client)

    assert stats.dropped == {"rejected:PV103": 1}
    assert stats.written == 1
    assert [(r["task_id"], r["status"], r["end_time"]) for r in rows(conn, PENDING_ROWS)] == [
        ("twice", "completed", t1)
    ]
    complete(client, "twice", t1 + timedelta(seconds=2), "failed")
    assert flushed(client).dropped == {"rejected:PV103": 2}
    assert [r["status"] for r in rows(conn, PENDING_ROWS)] == ["completed"]


def test_a_finished_task_completed_again_is_rejected_as_pv103(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    # One by one (the sync client) a second completion is PV103. Parked
    # instead, it waits for a start that never comes, and a restart of the
    # same task id fails with PV006 (its parked end is before the new start).
    t0 = db_now(conn) - timedelta(minutes=30)
    t1 = t0 + timedelta(seconds=30)
    client = make_client(dsn)
    start(client, "again", t0)
    complete(client, "again", t1)
    complete(client, "again", t1 + timedelta(seconds=1), "failed")
    stats = flushed(client)
    assert (stats.written, stats.dropped) == (2, {"rejected:PV103": 1})
    assert rows(conn, PENDING_ROWS) == []

    complete(client, "again", t1 + timedelta(seconds=2), "failed")
    stats = flushed(client)
    assert (stats.written, stats.dropped) == (2, {"rejected:PV103": 2})
    assert rows(conn, TASK_ROWS) == [finished_row("again", t0, t1, duration_seconds=30.0)]
    assert rows(conn, PENDING_ROWS) == []


# --- errors, health reports, queue stats ------------------------------------------


def other_events(base: datetime) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """(method, args, kwargs) of errors, health reports and queue snapshots."""
    t = [base + timedelta(seconds=s, microseconds=s) for s in range(6)]
    return [
        (
            "record_error",
            ("task-1", "ValueError", "high", "boom", "parser"),
            {"stack_trace": "Traceback ...", "context": {"line": 3}, "event_time": t[0]},
        ),
        (
            "record_error",
            (None, "Timeout", "low", "slow upstream", "fetcher"),
            {"event_time": t[1]},
        ),
        ("update_system_health", ("service", "api", "healthy", 12.5), {"event_time": t[0]}),
        (
            "update_system_health",
            ("service", "api", "degraded", 250),
            {"failure_reason": "slow", "details": {"p95": 250}, "event_time": t[2]},
        ),
        (
            "update_system_health",
            ("database", "pg", "unhealthy"),
            {"failure_reason": "down", "event_time": t[1]},
        ),
        ("update_system_health", ("service", "api", "healthy", 9.75), {"event_time": t[4]}),
        (
            "record_queue_stats",
            ("ingest", 5, 2),
            {
                "completed_count": 10,
                "failed_count": 1,
                "oldest_pending_age_seconds": 3.5,
                "event_time": t[3],
            },
        ),
        ("record_queue_stats", ("ingest", 0), {"event_time": t[5]}),
    ]


OTHER_TABLES = {
    "error_tracking": "SELECT task_id, error_type, severity, message, component, stack_trace,"
    " context, occurred_at FROM monitoring.error_tracking ORDER BY occurred_at",
    "system_health": "SELECT * FROM monitoring.system_health ORDER BY component_type",
    "system_health_history": "SELECT * FROM monitoring.system_health_history"
    " ORDER BY changed_at, component_type",
    "queue_monitoring": "SELECT * FROM monitoring.queue_monitoring ORDER BY recorded_at",
}


def test_errors_health_and_queue_stats_equal_the_sync_client(
    dsn: str, conn: Conn, fresh_dsn: str, make_client: MakeClient
) -> None:
    base = db_now(conn) - timedelta(minutes=20)
    events = other_events(base)
    with MonitoringClient(fresh_dsn) as sync_client:
        for method, args, kwargs in events:
            getattr(sync_client, method)(*args, **kwargs)
    with psycopg.connect(fresh_dsn, autocommit=True) as sync_conn:
        expected = {name: rows(sync_conn, query) for name, query in OTHER_TABLES.items()}

    client = make_client(dsn)
    for method, args, kwargs in events:
        getattr(client, method)(*args, **kwargs)
    stats = flushed(client)

    assert {name: rows(conn, query) for name, query in OTHER_TABLES.items()} == expected
    assert (stats.written, stats.dropped, stats.batches) == (8, {}, 1)
    # Not vacuous: the values given are there.
    assert [(r["task_id"], r["message"], r["context"]) for r in expected["error_tracking"]] == [
        ("task-1", "boom", {"line": 3}),
        (None, "slow upstream", None),
    ]
    api = one(conn, "SELECT * FROM monitoring.system_health WHERE component_name = 'api'")
    assert (api["status"], api["response_time_ms"], api["check_count"], api["last_check_at"]) == (
        "healthy",
        Decimal("9.75"),
        3,
        base + timedelta(seconds=4, microseconds=4),
    )
    assert len(expected["system_health_history"]) == 4
    assert [
        (
            r["pending_count"],
            r["processing_count"],
            r["completed_count"],
            r["failed_count"],
            r["oldest_pending_age_seconds"],
        )
        for r in expected["queue_monitoring"]
    ] == [(5, 2, 10, 1, 3.5), (0, 0, 0, 0, None)]


def test_health_report_with_unknown_status_is_dropped_and_the_rest_written(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    base = db_now(conn) - timedelta(minutes=20)
    client = make_client(dsn)
    client.update_system_health("service", "a", "healthy", event_time=base)
    client.update_system_health("service", "b", "sleepy", event_time=base)
    client.update_system_health("service", "c", "degraded", event_time=base)
    client.record_error(None, "E", "medium", "m", "api", event_time=base)
    client.record_queue_stats("q", 3, event_time=base)
    for i in range(3):
        client.record_performance_metric(
            "m", "gauge", i, "ms", "api", event_time=base + timedelta(seconds=i)
        )
    stats = flushed(client)

    assert stats.dropped == {"rejected:PV002": 1}
    assert (stats.queued, stats.written, stats.batches) == (8, 7, 1)
    assert [
        tuple(r)
        for r in conn.execute(
            "SELECT component_name, status FROM monitoring.system_health ORDER BY 1"
        )
    ] == [("a", "healthy"), ("c", "degraded")]
    assert scalar(conn, "SELECT count(*) FROM monitoring.error_tracking") == 1
    assert scalar(conn, "SELECT count(*) FROM monitoring.queue_monitoring") == 1
    assert scalar(conn, "SELECT count(*) FROM monitoring.performance_monitoring") == 3


# --- the ingest functions, called directly -------------------------------------------


def task_batch(events: list[dict[str, Any]]) -> list[list[Any]]:
    """The ten arrays of record_task_events from one dict per event."""
    fields = [
        "kind",
        "task_id",
        "task_type",
        "worker_id",
        "input_size",
        "metadata",
        "status",
        "output_size",
        "step_timings",
        "event_time",
    ]
    arrays = [[e.get(f) for e in events] for f in fields]
    arrays[5] = [None if m is None else Jsonb(m) for m in arrays[5]]
    arrays[8] = [None if s is None else Jsonb(s) for s in arrays[8]]
    return arrays


@pytest.fixture
def batch_events(conn: Conn) -> list[dict[str, Any]]:
    """A valid batch: a start and completion of 'a', and a running task 'pre' set up first."""
    t0 = db_now(conn) - timedelta(minutes=30)
    conn.execute("SELECT monitoring.start_task_tracking('pre', 'ocr', 1, 'w', NULL, %s)", (t0,))
    return [
        {
            "kind": "start",
            "task_id": "a",
            "task_type": "ocr",
            "worker_id": "w1",
            "input_size": 5,
            "metadata": {"m": 1},
            "event_time": t0,
        },
        {
            "kind": "complete",
            "task_id": "a",
            "status": "completed",
            "output_size": 6,
            "step_timings": {"s": 1},
            "event_time": t0 + timedelta(seconds=3),
        },
    ]


@pytest.mark.parametrize("short", range(10))
def test_record_task_events_refuses_arrays_of_different_lengths(
    conn: Conn, batch_events: list[dict[str, Any]], short: int
) -> None:
    arrays = task_batch(batch_events)
    arrays[short] = arrays[short][:1]
    before = snapshot(conn)
    exc = sql_error(conn, RECORD_TASK_EVENTS, arrays)
    assert exc.diag.sqlstate == "PV009", exc
    assert snapshot(conn) == before
    mapped = from_psycopg(exc)
    assert isinstance(mapped, MalformedBatchError)
    assert isinstance(mapped, InvalidArgumentError)
    assert mapped.sqlstate == "PV009"
    assert mapped.hint


@pytest.mark.parametrize("kind", ["begin", None])
def test_record_task_events_refuses_an_unknown_kind(
    conn: Conn, batch_events: list[dict[str, Any]], kind: str | None
) -> None:
    events = batch_events + [
        {
            "kind": kind,
            "task_id": "b",
            "task_type": "ocr",
            "event_time": batch_events[0]["event_time"],
        }
    ]
    before = snapshot(conn)
    exc = sql_error(conn, RECORD_TASK_EVENTS, task_batch(events))
    assert exc.diag.sqlstate == "PV009", exc
    assert snapshot(conn) == before


def test_record_task_events_is_all_or_nothing(
    conn: Conn, batch_events: list[dict[str, Any]]
) -> None:
    bad = {
        "kind": "complete",
        "task_id": "pre",
        "status": "done",
        "event_time": batch_events[1]["event_time"],
    }
    before = snapshot(conn)
    exc = sql_error(conn, RECORD_TASK_EVENTS, task_batch(batch_events + [bad]))
    assert exc.diag.sqlstate == "PV002", exc
    assert snapshot(conn) == before
    assert [r["task_id"] for r in rows(conn, TASK_ROWS)] == ["pre"]


def test_record_task_events_returns_the_number_of_events(
    conn: Conn, batch_events: list[dict[str, Any]]
) -> None:
    assert scalar(conn, RECORD_TASK_EVENTS, task_batch([])) == 0
    assert scalar(conn, RECORD_TASK_EVENTS, task_batch(batch_events)) == 2
    t0 = batch_events[0]["event_time"]
    assert rows(conn, "SELECT * FROM monitoring.processing_metrics WHERE task_id = 'a'") == [
        {
            "task_id": "a",
            "task_type": "ocr",
            "worker_id": "w1",
            "status": "completed",
            "input_size": 5,
            "output_size": 6,
            "start_time": t0,
            "end_time": t0 + timedelta(seconds=3),
            "duration_seconds": 3.0,
            "step_timings": {"s": 1},
            "metadata": {"m": 1},
        }
    ]


def test_begin_ingest_batch_registers_an_id_once(conn: Conn) -> None:
    batch_id = uuid.uuid4()
    created = db_now(conn) - timedelta(seconds=5)
    call = "SELECT monitoring.begin_ingest_batch(%s, %s, %s)"
    assert scalar(conn, call, (batch_id, created, 7)) is True
    assert scalar(conn, call, (batch_id, created, 99)) is False
    assert rows(
        conn,
        "SELECT batch_id, created_at, event_count, written_by, application_name"
        " FROM monitoring_internal.ingest_batches",
    ) == [
        {
            "batch_id": batch_id,
            "created_at": created,
            "event_count": 7,
            "written_by": scalar(conn, "SELECT session_user"),
            "application_name": scalar(conn, "SHOW application_name"),
        }
    ]


@pytest.mark.parametrize(
    ("batch_id", "created_at", "event_count", "code"),
    [
        (None, "now", 1, "PV001"),
        ("new", None, 1, "PV001"),
        ("new", "now", None, "PV001"),
        ("new", "now", -1, "PV004"),
    ],
)
def test_begin_ingest_batch_refuses_bad_arguments(
    conn: Conn, batch_id: str | None, created_at: str | None, event_count: int | None, code: str
) -> None:
    params = (None if batch_id is None else uuid.uuid4(), created_at, event_count)
    before = snapshot(conn)
    exc = sql_error(
        conn,
        "SELECT monitoring.begin_ingest_batch(%s::uuid, %s::timestamptz, %s::integer)",
        params,
    )
    assert exc.diag.sqlstate == code, exc
    assert snapshot(conn) == before


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        ("200 hours", "1 hour", "PV006"),  # first too old
        ("1 hour", "-1 hour", "PV006"),  # last too far ahead
        ("1 minute", "2 minutes", "PV006"),  # last before first
    ],
)
def test_confirm_metric_copy_refuses_event_times_out_of_range(
    conn: Conn, first: str, last: str, code: str
) -> None:
    exc = sql_error(
        conn,
        "SELECT monitoring.confirm_metric_copy(now() - %s::interval, now() - %s::interval)",
        (first, last),
    )
    assert exc.diag.sqlstate == code, exc


def test_expire_ingest_state_deletes_only_what_is_too_old(conn: Conn) -> None:
    old_id, recent_id = uuid.uuid4(), uuid.uuid4()
    # Defaults: ingest.batch_ids_hours = 24, ingest.max_event_age_hours = 168.
    conn.execute(
        "INSERT INTO monitoring_internal.ingest_batches (batch_id, created_at, received_at, event_count)"
        " VALUES (%s, now() - interval '25 hours', now() - interval '24 hours 1 minute', 1),"
        "        (%s, now() - interval '23 hours', now() - interval '23 hours 59 minutes', 1)",
        (old_id, recent_id),
    )
    conn.execute(
        "INSERT INTO monitoring_internal.pending_task_completions (task_id, status, end_time)"
        " VALUES ('old', 'completed', now() - interval '168 hours 1 minute'),"
        "        ('recent', 'completed', now() - interval '167 hours 59 minutes')"
    )
    assert one(conn, "SELECT * FROM monitoring.expire_ingest_state()") == {
        "batch_ids_expired": 1,
        "orphan_completions_expired": 1,
    }
    assert [
        r[0] for r in conn.execute("SELECT batch_id FROM monitoring_internal.ingest_batches")
    ] == [recent_id]
    assert [r["task_id"] for r in rows(conn, PENDING_ROWS)] == ["recent"]


# --- close, atexit ------------------------------------------------------------------------


def test_close_flushes_and_later_calls_are_counted_as_closed(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    base = db_now(conn) - timedelta(minutes=5)
    client = make_client(dsn, batch_size=3)  # several batches left to write at close
    for i in range(20):
        client.record_performance_metric(
            "m", "gauge", i, "ms", "api", event_time=base + timedelta(seconds=i)
        )
    client.start_task("ocr", task_id="on-close", event_time=base)
    client.record_error(None, "E", "low", "m", "api", event_time=base)
    client.close()

    assert scalar(conn, "SELECT count(*) FROM monitoring.performance_monitoring") == 20
    assert [r["task_id"] for r in rows(conn, RUNNING_ROWS)] == ["on-close"]
    assert scalar(conn, "SELECT count(*) FROM monitoring.error_tracking") == 1
    closed = client.stats()
    assert (closed.queued, closed.written, closed.dropped, closed.queue_depth) == (22, 22, {}, 0)

    client.close()
    client.record_queue_stats("q", 1)
    after = client.stats()
    assert after.dropped == {"closed": 1}
    assert (after.queued, after.written) == (22, 22)
    assert client.flush(timeout=1) is True
    assert scalar(conn, "SELECT count(*) FROM monitoring.queue_monitoring") == 0


def test_events_left_at_interpreter_exit_are_written(dsn: str, conn: Conn) -> None:
    script = textwrap.dedent(
        """
        import sys
        from pgvigil import BufferedClient

        client = BufferedClient(sys.argv[1], flush_interval=60.0)
        for i in range(100):
            client.record_performance_metric("atexit", "gauge", i, "ms", "script")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, dsn], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert [
        r[0]
        for r in conn.execute(
            "SELECT metric_value FROM monitoring.performance_monitoring"
            " WHERE metric_name = 'atexit' ORDER BY 1"
        )
    ] == [float(i) for i in range(100)]


# --- database unreachable ---------------------------------------------------------------


def test_unreachable_database_drops_beyond_max_queue_without_blocking(
    make_client: MakeClient,
) -> None:
    client = make_client(
        UNREACHABLE, max_queue=10, batch_size=5, flush_interval=0.05, max_backoff=0.2
    )
    began = time.perf_counter()
    for i in range(25):
        if i % 2:
            client.record_performance_metric("m", "gauge", i, "ms", "api")
        else:
            client.start_task("ocr")
    assert time.perf_counter() - began < 0.5

    stats = client.stats()
    assert (stats.queued, stats.written, stats.dropped, stats.queue_depth) == (
        10,
        0,
        {"queue_full": 15},
        10,
    )
    assert wait_for(lambda: client.stats().write_failures >= 1)
    stats = client.stats()
    assert stats.last_error is not None and "/nonexistent/pgvigil" in stats.last_error
    assert stats.batches == 0

    began = time.perf_counter()
    assert client.flush(timeout=0.3) is False
    assert 0.25 <= time.perf_counter() - began < 1.0

    client.close(timeout=0.5)
    closed = client.stats()
    assert closed.dropped == {"queue_full": 15, "unflushed_at_close": 10}
    assert (closed.queued, closed.written, closed.queue_depth) == (10, 0, 0)
    assert accounted(closed)


def test_events_are_written_once_the_database_appears(
    server: Server, make_client: MakeClient
) -> None:
    name = f"pgvigil_late_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    client = make_client(server.conninfo(name), flush_interval=0.05, max_backoff=0.3)
    try:
        for i in range(50):
            client.record_performance_metric("late", "gauge", i, "ms", "api")
        assert wait_for(lambda: client.stats().write_failures >= 1)
        assert client.stats().written == 0
        server.create_database(name, template=TEMPLATE_DB)

        assert client.flush(timeout=30) is True
        client.close()
        with psycopg.connect(server.conninfo(name), autocommit=True) as late:
            assert [
                r[0]
                for r in late.execute(
                    "SELECT metric_value FROM monitoring.performance_monitoring ORDER BY 1"
                )
            ] == [float(i) for i in range(50)]
        stats = client.stats()
        assert (stats.written, stats.dropped) == (50, {})
        assert stats.write_failures >= 1
    finally:
        client.close(timeout=1.0)
        server.drop_database(name)


# --- least privilege ------------------------------------------------------------------


def test_a_writer_role_writes_everything_and_reads_nothing(
    dsn: str, conn: Conn, server: Server, make_client: MakeClient
) -> None:
    role = f"pgvigil_test_writer_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    server.execute(
        sql.SQL("CREATE ROLE {} LOGIN IN ROLE pgvigil_writer").format(sql.Identifier(role))
    )
    try:
        writer_dsn = make_conninfo(dsn, user=role)
        assert conninfo_to_dict(writer_dsn)["user"] == role
        base = db_now(conn) - timedelta(minutes=10)
        client = make_client(writer_dsn)
        for i in range(3):  # several samples: the COPY path
            client.record_performance_metric(
                "m", "gauge", i, "ms", "api", event_time=base + timedelta(seconds=i)
            )
        start(client, "w-done", base)
        complete(client, "w-done", base + timedelta(seconds=4))
        start(client, "w-running", base)
        complete(client, "w-parked", base + timedelta(seconds=4))
        client.record_error("w-done", "E", "high", "m", "api", event_time=base)
        client.update_system_health("service", "api", "healthy", 3.0, event_time=base)
        client.record_queue_stats("q", 4, 1, event_time=base)
        stats = flushed(client)
        client.close()
        assert stats == BufferStats(
            queued=10,
            written=10,
            dropped={},
            queue_depth=0,
            batches=1,
            write_failures=0,
            last_error=None,
        )

        assert [
            tuple(r)
            for r in conn.execute(
                "SELECT metric_value FROM monitoring.performance_monitoring ORDER BY 1"
            )
        ] == [(0.0,), (1.0,), (2.0,)]
        assert [(r["task_id"], r["status"]) for r in rows(conn, TASK_ROWS)] == [
            ("w-done", "completed"),
            ("w-running", "running"),
        ]
        assert [r["task_id"] for r in rows(conn, PENDING_ROWS)] == ["w-parked"]
        assert scalar(conn, "SELECT count(*) FROM monitoring.error_tracking") == 1
        assert scalar(conn, "SELECT status FROM monitoring.system_health") == "healthy"
        assert scalar(conn, "SELECT pending_count FROM monitoring.queue_monitoring") == 4
        assert scalar(conn, "SELECT written_by FROM monitoring_internal.ingest_batches") == role

        with psycopg.connect(writer_dsn, autocommit=True) as writer:
            for statement in [
                "SELECT * FROM monitoring.performance_monitoring",
                "UPDATE monitoring.performance_monitoring SET unit = 's'",
                "DELETE FROM monitoring.performance_monitoring",
                "SELECT * FROM monitoring_internal.ingest_batches",
            ]:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    writer.execute(statement)
        assert scalar(conn, "SELECT count(*) FROM monitoring.performance_monitoring") == 3
    finally:
        server.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


# --- the task() context manager ------------------------------------------------------------


def test_task_context_manager_completes_or_fails_the_task(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    client = make_client(dsn)
    with client.task("ocr", 100, worker_id="w1", task_id="ctx-ok", metadata={"a": 1}) as handle:
        handle.output_size = 7
        handle.step_timings["parse"] = 0.5
    with pytest.raises(ValueError, match="^boom$"), client.task("ocr", task_id="ctx-bad"):
        raise ValueError("boom")
    stats = flushed(client)

    assert (stats.written, stats.dropped) == (5, {})
    bad, ok = rows(conn, TASK_ROWS)  # ordered by task_id
    assert {
        k: ok[k]
        for k in (
            "task_id",
            "task_type",
            "worker_id",
            "status",
            "input_size",
            "output_size",
            "step_timings",
            "metadata",
        )
    } == {
        "task_id": "ctx-ok",
        "task_type": "ocr",
        "worker_id": "w1",
        "status": "completed",
        "input_size": 100,
        "output_size": 7,
        "step_timings": {"parse": 0.5},
        "metadata": {"a": 1},
    }
    assert ok["duration_seconds"] == (ok["end_time"] - ok["start_time"]).total_seconds() >= 0
    assert (bad["task_id"], bad["status"], bad["output_size"], bad["step_timings"]) == (
        "ctx-bad",
        "failed",
        None,
        None,
    )
    assert rows(conn, RUNNING_ROWS) == []
    error = one(conn, "SELECT * FROM monitoring.error_tracking")
    assert {k: error[k] for k in ("task_id", "error_type", "severity", "message", "component")} == {
        "task_id": "ctx-bad",
        "error_type": "ValueError",
        "severity": "high",
        "message": "boom",
        "component": "ocr",
    }
    assert error["stack_trace"].rstrip().endswith("ValueError: boom")


def test_both_clients_are_recorders(dsn: str, make_client: MakeClient) -> None:
    buffered = make_client(dsn)
    with MonitoringClient(dsn) as direct:
        assert isinstance(direct, Recorder)
        assert isinstance(buffered, Recorder)


def test_track_decorator_on_the_buffered_client(
    dsn: str, conn: Conn, make_client: MakeClient
) -> None:
    client = make_client(dsn)

    @client.track("double")
    def double(x: int) -> int:
        """Doubles."""
        return x * 2

    @client.track("explode", component="bombs")
    def explode() -> None:
        raise LookupError("no such key")

    assert double.__name__ == "double" and double.__doc__ == "Doubles."
    assert double(3) == 6
    with pytest.raises(LookupError, match="no such key"):
        explode()
    assert client.flush(timeout=30)
    assert conn.execute(
        "SELECT task_type, status FROM monitoring.processing_metrics ORDER BY task_type"
    ).fetchall() == [("double", "completed"), ("explode", "failed")]
    assert conn.execute(
        "SELECT error_type, message, component FROM monitoring.error_tracking"
    ).fetchall() == [("LookupError", "no such key", "bombs")]
