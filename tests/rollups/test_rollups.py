"""Rollups: per-minute and per-hour aggregates of performance samples and of
ended tasks, refreshed from a watermark by CALL monitoring.refresh_rollups().

The expected values are computed here, in Python, from the raw rows (the
duration buckets with bisect over the documented bounds), and compared with
what the refresh stored and what the views return. Values and durations are
dyadic fractions (0.25, 7.5 ...) so sums are exact whatever the order.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import os
import random
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from dbhelpers import Conn, db_now, one, rows, scalar
from pgvigil.db.migrate import apply_migrations, migrate

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
FIVE_MINUTES = timedelta(minutes=5)
BOUNDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, math.inf]
DURATIONS = [0.0625, 0.25, 0.5, 1.0, 3.5, 7.5, 45.0, 200.0, 4000.0]
# The value sketches' scale (sql/functions/rollups/value_sketch_key.sql): relative error 2%.
ALPHA = 0.02
LN_GAMMA = math.log(1.02 / 0.98)
KEY_OFFSET = 17708
DBL_MIN = 2.2250738585072014e-308  # the smallest normal double
DBL_MAX = 1.7976931348623157e308
ENTRY = 2**47  # an entry packs key * 2^47 + count
STATUSES = ["completed", "failed", "timeout", "cancelled", "completed"]
NEW_VIEWS = ["v_performance_trends", "v_performance_history", "v_task_trends", "v_task_history"]
REPO = Path(__file__).resolve().parents[2]

_ids = itertools.count()


# --- helpers -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _one_run_catches_up(conn: Conn) -> None:
    """A first refresh starts at the oldest UTC day with raw rows, up to a day and a
    day more ago per raw table, more than the default 24 hours one run aggregates;
    the bounded catch-up has its own test."""
    set_config(conn, ["rollups", "max_hours_per_run"], 24 * 30)


def refresh(conn: Conn) -> None:
    conn.execute("CALL monitoring.refresh_rollups()")


def watermark(conn: Conn) -> datetime:
    return scalar(conn, "SELECT watermark FROM monitoring_internal.rollup_state")


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def floor(moment: datetime, unit: timedelta) -> datetime:
    """The start of the UTC minute, 5 minutes or hour of ``moment``."""
    moment = utc(moment)
    if unit == MINUTE:
        return moment.replace(second=0, microsecond=0)
    if unit == FIVE_MINUTES:
        return bin5(moment)
    return moment.replace(minute=0, second=0, microsecond=0)


def bin5(moment: datetime) -> datetime:
    moment = floor(moment, MINUTE)
    return moment.replace(minute=moment.minute - moment.minute % 5)


def histogram(durations: list[float]) -> list[int]:
    counts = [0] * len(BOUNDS)
    for duration in durations:
        counts[bisect.bisect_right(BOUNDS, duration)] += 1
    return counts


def sketch_key(value: float) -> int:
    """monitoring_internal.value_sketch_key(): the same libm ln, division and ceil as PostgreSQL."""
    if abs(value) < DBL_MIN:
        return 0
    key = KEY_OFFSET + math.ceil(math.log(abs(value)) / LN_GAMMA)
    return key if value > 0 else -key


def sketch(values: list[float]) -> list[int]:
    """The value sketch of ``values``: key * 2^47 + count per key, in key order."""
    counts: dict[int, int] = defaultdict(int)
    for value in values:
        counts[sketch_key(value)] += 1
    return [key * ENTRY + counts[key] for key in sorted(counts)]


def percentile_cont(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def p95_error_bound(values: list[float], fraction: float = 0.95) -> float:
    """The documented bound: 2% of the two interpolated samples, weighted (2% of the
    exact percentile unless they have opposite signs), plus floating-point rounding."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    weight = position - low
    bound = ALPHA * ((1 - weight) * abs(ordered[low]) + weight * abs(ordered[high]))
    return bound * (1 + 1e-9) + 1e-300


def record_metric(
    conn: Conn, name: str, value: float, at: datetime | None, component: str = "system"
) -> None:
    unit = "ms" if name == "latency" else "%"
    conn.execute(
        "SELECT monitoring.record_performance_metric(%s, %s, %s, %s, %s, NULL,"
        " coalesce(%s, now()))",
        (name, name, value, unit, component, at),
    )


def add_task(conn: Conn, task_type: str, duration: float, status: str, ended: datetime) -> None:
    task_id = f"{task_type}-{next(_ids)}"
    conn.execute(
        "SELECT monitoring.start_task_tracking(%s, %s, NULL, NULL, NULL, %s)",
        (task_id, task_type, ended - timedelta(seconds=duration)),
    )
    conn.execute(
        "SELECT monitoring.complete_task_tracking(%s, %s, NULL, NULL, %s)",
        (task_id, status, ended),
    )


def add_workload(conn: Conn, around: datetime, spread_minutes: int = 90) -> None:
    """Samples of three series and tasks of two types over ``spread_minutes`` before ``around``."""
    for i in range(0, spread_minutes, 3):
        at = around - timedelta(minutes=i, seconds=7 * (i % 5))
        record_metric(conn, "cpu", 0.25 * (i % 17), at)
        record_metric(conn, "cpu", 50 + 0.5 * (i % 9), at, component="worker")
        record_metric(conn, "latency", 2.0 ** -(i % 4) + i, at - timedelta(seconds=20), "api")
    for i in range(0, spread_minutes, 2):
        ended = around - timedelta(minutes=i, seconds=11 * (i % 4))
        add_task(conn, "ocr", DURATIONS[i % len(DURATIONS)], STATUSES[i % len(STATUSES)], ended)
        if i % 6 == 0:
            add_task(conn, "resize", DURATIONS[(i + 3) % len(DURATIONS)], "completed", ended)
    # Running tasks are not in the task rollups.
    conn.execute(
        "SELECT monitoring.start_task_tracking('still-running', 'ocr', NULL, NULL, NULL, %s)",
        (around - timedelta(minutes=30),),
    )


def expected_performance(
    conn: Conn, unit: timedelta, before: datetime, exact_sums: bool = True
) -> dict[tuple, tuple]:
    """(bucket, name, type, component, unit) -> (count, sum, min, max, sketch) of raw samples
    before ``before``: the sketch computed here from the raw values, whatever the tier."""
    groups: dict[tuple, list[float]] = defaultdict(list)
    for r in rows(
        conn, "SELECT * FROM monitoring.performance_monitoring WHERE recorded_at < %s", (before,)
    ):
        key = (
            floor(r["recorded_at"], unit),
            r["metric_name"],
            r["metric_type"],
            r["component"],
            r["unit"],
        )
        groups[key].append(r["metric_value"])
    return {
        k: (len(v), sum(v) if exact_sums else pytest.approx(sum(v), rel=1e-12), min(v), max(v),
            sketch(v))
        for k, v in groups.items()
    }  # fmt: skip


def stored_performance(conn: Conn, table: str) -> dict[tuple, tuple]:
    found = conn.execute(
        sql.SQL(
            "SELECT bucket, metric_name, metric_type, component, unit,"
            " sample_count, value_sum, value_min, value_max, value_sketch FROM monitoring.{}"
        ).format(sql.Identifier(table))
    ).fetchall()
    return {(utc(r[0]), *r[1:5]): tuple(r[5:]) for r in found}


def expected_tasks(conn: Conn, unit: timedelta, before: datetime) -> dict[tuple, tuple]:
    """(bucket, task type) -> (ended, completed, failed, cancelled, sum, min, max, buckets)."""
    groups: dict[tuple, list[tuple[str, float]]] = defaultdict(list)
    for r in rows(
        conn,
        "SELECT task_type, status, end_time, duration_seconds FROM monitoring.processing_metrics"
        " WHERE end_time < %s",
        (before,),
    ):
        groups[(floor(r["end_time"], unit), r["task_type"])].append(
            (r["status"], r["duration_seconds"])
        )
    result = {}
    for key, tasks in groups.items():
        statuses = [s for s, _ in tasks]
        durations = [d for _, d in tasks]
        result[key] = (
            len(tasks),
            statuses.count("completed"),
            statuses.count("failed") + statuses.count("timeout"),
            statuses.count("cancelled"),
            sum(durations),
            min(durations),
            max(durations),
            histogram(durations),
        )
    return result


def stored_tasks(conn: Conn, table: str) -> dict[tuple, tuple]:
    found = conn.execute(
        sql.SQL(
            "SELECT bucket, task_type, ended_count, completed_count, failed_count, cancelled_count,"
            " duration_sum, duration_min, duration_max, duration_buckets FROM monitoring.{}"
        ).format(sql.Identifier(table))
    ).fetchall()
    return {(utc(r[0]), r[1]): tuple(r[2:]) for r in found}


def assert_rollups_match_the_raw_rows(conn: Conn, exact_sums: bool = True) -> None:
    """Every tier equals a fresh aggregate of the raw rows before the watermark (sums
    exactly when the values are dyadic fractions, as in most tests: any order adds them
    up the same)."""
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 0
    w = watermark(conn)
    for unit, suffix in ((MINUTE, "minute"), (timedelta(hours=1), "hour")):
        assert stored_performance(conn, f"performance_rollup_{suffix}") == expected_performance(
            conn, unit, w, exact_sums
        )
        assert stored_tasks(conn, f"task_rollup_{suffix}") == expected_tasks(conn, unit, w)
    # Performance only: the tier of v_performance_trends.
    assert stored_performance(conn, "performance_rollup_5min") == expected_performance(
        conn, FIVE_MINUTES, w, exact_sums
    )
    # The stored p95 is the estimate of the stored sketch, within its bound of the
    # exact percentile of the raw samples.
    for table, unit in (("performance_rollup_5min", FIVE_MINUTES),
                        ("performance_rollup_hour", timedelta(hours=1))):  # fmt: skip
        assert_stored_p95(conn, table, unit, w)


def assert_stored_p95(conn: Conn, table: str, unit: timedelta, before: datetime) -> None:
    raw: dict[tuple, list[float]] = defaultdict(list)
    for r in rows(
        conn, "SELECT * FROM monitoring.performance_monitoring WHERE recorded_at < %s", (before,)
    ):
        raw[(floor(r["recorded_at"], unit), r["metric_name"], r["component"])].append(
            r["metric_value"]
        )
    found = rows(
        conn,
        sql.SQL(
            "SELECT bucket, metric_name, component, value_p95,"
            " monitoring_internal.estimate_value_percentile(value_sketch, 0.95, value_min, value_max)"
            " AS estimate FROM monitoring.{}"
        ).format(sql.Identifier(table)),
    )
    assert len(found) == len(raw)
    for r in found:
        values = raw[(utc(r["bucket"]), r["metric_name"], r["component"])]
        assert r["value_p95"] == r["estimate"]
        assert abs(r["value_p95"] - percentile_cont(values, 0.95)) <= p95_error_bound(values)


def view(conn: Conn, name: str) -> list[dict[str, Any]]:
    return rows(conn, sql.SQL("SELECT * FROM monitoring.{}").format(sql.Identifier(name)))


def set_config(conn: Conn, path: list[str], value: Any) -> None:
    conn.execute(
        "SELECT monitoring.apply_config(jsonb_set(document, %s, %s)) FROM monitoring.config",
        (path, Jsonb(value)),
    )


# --- refresh == fresh aggregate ------------------------------------------------------------


def test_a_refresh_equals_a_fresh_aggregate_of_the_raw_rows(conn: Conn) -> None:
    now = db_now(conn)
    add_workload(conn, now - timedelta(minutes=3))
    refresh(conn)
    latest = floor(db_now(conn) - timedelta(seconds=60), MINUTE)
    assert latest - MINUTE <= watermark(conn) <= latest
    assert_rollups_match_the_raw_rows(conn)
    # Both tiers are populated, over more than one hour, and nothing is lost.
    assert (
        scalar(conn, "SELECT count(DISTINCT bucket) FROM monitoring.performance_rollup_hour") >= 2
    )
    assert scalar(conn, "SELECT sum(sample_count) FROM monitoring.performance_rollup_hour") == 90
    assert scalar(conn, "SELECT sum(ended_count) FROM monitoring.task_rollup_hour") == 45 + 15
    assert scalar(conn, "SELECT sum(sample_count) FROM monitoring.performance_rollup_minute") == 90
    assert scalar(conn, "SELECT sum(sample_count) FROM monitoring.performance_rollup_5min") == 90
    assert (
        scalar(conn, "SELECT count(DISTINCT bucket) FROM monitoring.performance_rollup_5min") > 12
    )


def test_known_values_of_one_minute_and_its_hour(conn: Conn) -> None:
    minute = floor(db_now(conn), MINUTE) - timedelta(minutes=10)
    for seconds, value in ((1, 4.0), (20, 1.0), (59, 2.5)):
        record_metric(conn, "cpu", value, minute + timedelta(seconds=seconds))
    for duration, status in ((0.0625, "completed"), (0.25, "failed"), (45.0, "timeout"),
                             (4000.0, "cancelled"), (0.5, "completed")):  # fmt: skip
        add_task(conn, "ocr", duration, status, minute + timedelta(seconds=30))
    refresh(conn)
    assert one(conn, "SELECT * FROM monitoring.performance_rollup_minute") == {
        "bucket": minute,
        "metric_name": "cpu",
        "metric_type": "cpu",
        "component": "system",
        "unit": "%",
        "sample_count": 3,
        "value_sum": 7.5,
        "value_min": 1.0,
        "value_max": 4.0,
        # 1.0 is in bucket i = 0 (key 17708), 2.5 in i = 23 (1.0408^23 = 2.51), 4.0 in i = 35.
        "value_sketch": [17708 * ENTRY + 1, 17731 * ENTRY + 1, 17743 * ENTRY + 1],
    }
    assert sketch([4.0, 1.0, 2.5]) == [17708 * ENTRY + 1, 17731 * ENTRY + 1, 17743 * ENTRY + 1]
    task_minute = one(conn, "SELECT * FROM monitoring.task_rollup_minute")
    assert task_minute == {
        "bucket": minute,
        "task_type": "ocr",
        "ended_count": 5,
        "completed_count": 2,
        "failed_count": 2,  # failed + timeout
        "cancelled_count": 1,
        "duration_sum": 4045.8125,
        "duration_min": 0.0625,
        "duration_max": 4000.0,
        # [0, 0.1) [0.1, 0.25) [0.25, 0.5) [0.5, 1) ... [30, 60) ... [3600, inf)
        "duration_buckets": [1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1],
    }
    hour = one(conn, "SELECT * FROM monitoring.task_rollup_hour")
    assert hour == {**task_minute, "bucket": floor(minute, timedelta(hours=1))}
    # p95 of 1, 2.5, 4 (percentile_cont): position 1.9, 0.1 * 2.5 + 0.9 * 4 = 3.85; the
    # estimate takes the bucket value of 2.5 (0.98 * 1.0408^23) and the exact maximum 4.
    p95 = 0.1 * 0.98 * (1.02 / 0.98) ** 23 + 0.9 * 4.0
    assert p95 == pytest.approx(3.85, abs=0.1 * 0.02 * 2.5)
    assert one(
        conn, "SELECT sample_count, value_sum, value_p95 FROM monitoring.performance_rollup_hour"
    ) == {"sample_count": 3, "value_sum": 7.5, "value_p95": pytest.approx(p95, rel=1e-12)}
    assert one(conn, "SELECT * FROM monitoring.performance_rollup_5min") == {
        **one(conn, "SELECT * FROM monitoring.performance_rollup_minute"),
        "bucket": bin5(minute),
        "value_p95": pytest.approx(p95, rel=1e-12),
    }


def test_buckets_are_utc_minutes_and_hours_whatever_the_session_time_zone(conn: Conn) -> None:
    conn.execute("SET TIME ZONE 'Asia/Kolkata'")  # UTC+05:30: local hours are not UTC hours
    at = floor(db_now(conn), timedelta(hours=1)) - timedelta(minutes=20)
    record_metric(conn, "cpu", 1.0, at)
    refresh(conn)
    assert utc(scalar(conn, "SELECT bucket FROM monitoring.performance_rollup_hour")) == floor(
        at, timedelta(hours=1)
    )


# --- late data ----------------------------------------------------------------------------


def test_late_events_are_re_aggregated(conn: Conn) -> None:
    now = db_now(conn)
    add_workload(conn, now - timedelta(minutes=3))
    refresh(conn)
    w = watermark(conn)
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 0

    # Event times before the watermark, through the recording functions: a
    # buffered client delivering late.
    late = [
        w - timedelta(minutes=40, seconds=5),
        w - timedelta(days=3, hours=2),
        w - timedelta(seconds=1),
    ]
    for i, at in enumerate(late):
        record_metric(conn, "cpu", 100.0 + i, at)
        add_task(conn, "ocr", 7.5, "failed", at)
    # A task that started before the refresh and ends late.
    conn.execute(
        "SELECT monitoring.start_task_tracking('long', 'ocr', NULL, NULL, NULL, %s)",
        (w - timedelta(minutes=50),),
    )
    conn.execute(
        "SELECT monitoring.complete_task_tracking('long', 'completed', NULL, NULL, %s)",
        (w - timedelta(minutes=5),),
    )
    pending = rows(
        conn,
        "SELECT source, range_start, range_end FROM monitoring_internal.rollup_pending ORDER BY 2, 1",
    )
    expected_pending = sorted(
        [
            {
                "source": source,
                "range_start": floor(at, MINUTE),
                "range_end": floor(at, MINUTE) + MINUTE,
            }
            for at in late
            for source in ("performance_monitoring", "processing_metrics")
        ]
        + [
            {
                "source": "processing_metrics",
                "range_start": floor(w - timedelta(minutes=5), MINUTE),
                "range_end": floor(w - timedelta(minutes=5), MINUTE) + MINUTE,
            }
        ],
        key=lambda p: (p["range_start"], p["source"]),
    )
    assert [{**p, "range_start": utc(p["range_start"]), "range_end": utc(p["range_end"])}
            for p in pending] == expected_pending  # fmt: skip
    # The rollups are stale until the next refresh ...
    assert stored_tasks(conn, "task_rollup_minute") != expected_tasks(conn, MINUTE, w)

    refresh(conn)
    assert_rollups_match_the_raw_rows(conn)
    old_hour = floor(late[1], timedelta(hours=1))
    assert one(
        conn,
        "SELECT ended_count, failed_count, duration_buckets FROM monitoring.task_rollup_hour"
        " WHERE bucket = %s",
        (old_hour,),
    ) == {"ended_count": 1, "failed_count": 1, "duration_buckets": histogram([7.5])}


def test_events_after_the_watermark_are_not_queued(conn: Conn) -> None:
    refresh(conn)
    record_metric(conn, "cpu", 1.0, None)  # now: after the watermark
    add_task(conn, "ocr", 1.0, "completed", db_now(conn))
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 0


def test_a_transaction_notes_a_late_minute_once(dsn: str, conn: Conn) -> None:
    refresh(conn)
    at = watermark(conn) - timedelta(minutes=7)
    with psycopg.connect(dsn) as other:
        for value in range(5):
            other.execute(
                "SELECT monitoring.record_performance_metric('cpu', 'cpu', %s, '%%', 'system',"
                " NULL, %s)",
                (value, at + timedelta(seconds=value)),
            )
        other.commit()
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 1


def test_under_repeatable_read_the_range_is_noted_whatever_the_watermark(
    dsn: str, conn: Conn
) -> None:
    refresh(conn)
    with psycopg.connect(dsn) as other:
        other.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        other.execute("SELECT monitoring.record_performance_metric('cpu', 'cpu', 1, '%', 'system')")
        other.commit()
    pending = one(conn, "SELECT source, range_start FROM monitoring_internal.rollup_pending")
    assert pending["source"] == "performance_monitoring"
    assert pending["range_start"] >= watermark(conn)
    # Not below the watermark yet: dropped by the next apply (the advance covers it later).
    assert scalar(conn, "SELECT monitoring.apply_rollup_pending()") == 0
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 0
    assert view(conn, "v_performance_trends")[0]["samples"] == 1


def test_note_ingest_rejects_unknown_tables_and_bad_ranges(conn: Conn) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="unknown table"):
        conn.execute("SELECT monitoring_internal.note_ingest('error_tracking', now(), now())")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="invalid event time range"):
        conn.execute(
            "SELECT monitoring_internal.note_ingest('processing_metrics', now(), now() - interval '1 s')"
        )
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("SELECT monitoring_internal.note_ingest('processing_metrics', NULL, now())")


# --- the views: complete up to now ------------------------------------------------------------


def expected_trends(conn: Conn) -> dict[tuple, tuple]:
    """v_performance_trends computed here from every raw sample of the window."""
    groups: dict[tuple, list[float]] = defaultdict(list)
    for r in rows(conn, "SELECT * FROM monitoring.performance_monitoring"):
        key = (
            bin5(r["recorded_at"]),
            r["metric_name"],
            r["metric_type"],
            r["component"],
            r["unit"],
        )
        groups[key].append(r["metric_value"])
    return {k: (len(v), sum(v) / len(v), min(v), max(v)) for k, v in groups.items()}


def trends(conn: Conn) -> dict[tuple, tuple]:
    return {
        (utc(r["time"]), r["metric_name"], r["metric_type"], r["component"], r["unit"]): (
            r["samples"], r["avg_value"], r["min_value"], r["max_value"])
        for r in view(conn, "v_performance_trends")
    }  # fmt: skip


def test_views_are_complete_up_to_now_before_and_after_a_refresh(conn: Conn) -> None:
    now = db_now(conn)
    add_workload(conn, now - timedelta(minutes=2))
    # Newer than any watermark: the raw tail.
    record_metric(conn, "cpu", 9.0, None)
    ended = db_now(conn)
    add_task(conn, "ocr", 0.5, "completed", ended)

    before = {name: view(conn, name) for name in NEW_VIEWS}
    assert trends(conn) == expected_trends(conn)
    newest = before["v_task_trends"][0]
    assert utc(newest["time"]) == bin5(ended)
    assert newest["task_type"] == "ocr" and newest["ended"] >= 1

    refresh(conn)
    assert scalar(conn, "SELECT count(*) FROM monitoring.performance_rollup_minute") > 0
    assert {name: view(conn, name) for name in NEW_VIEWS} == before
    assert trends(conn) == expected_trends(conn)

    # New rows after the refresh show up at once.
    record_metric(conn, "cpu", 3.0, None)
    add_task(conn, "ocr", 1.0, "failed", db_now(conn))
    assert trends(conn) == expected_trends(conn)
    assert sum(r["failed"] for r in view(conn, "v_task_trends")) == 1 + sum(
        r["failed"] for r in before["v_task_trends"]
    )


def test_task_trends_values(conn: Conn) -> None:
    bucket = bin5(db_now(conn)) - timedelta(minutes=30)
    durations = [0.5, 1.5, 7.5, 45.0]
    for duration, status in zip(
        durations, ["completed", "failed", "timeout", "cancelled"], strict=True
    ):
        add_task(conn, "ocr", duration, status, bucket + timedelta(minutes=1))
    refresh(conn)
    add_task(
        conn, "ocr", 3.5, "completed", bucket + timedelta(minutes=4)
    )  # late: raw until refreshed
    found = view(conn, "v_task_trends")
    assert len(found) == 1
    # Buckets: 0.5 -> [0.5, 1), 1.5 -> [1, 2.5), 3.5 -> [2.5, 5), 7.5 -> [5, 10), 45 -> [30, 60).
    # p50: rank 2.5 of 5 is in [2.5, 5) (2 before it): 2.5 + 2.5 * 0.5 / 1 = 3.75.
    # p95: rank 4.75 is in [30, 60) (4 before it): 30 + 30 * 0.75 / 1 = 52.5.
    assert found[0] == {
        "time": bucket,
        "task_type": "ocr",
        "ended": 5,
        "completed": 2,
        "failed": 2,
        "cancelled": 1,
        "throughput_per_minute": Decimal("1.00"),
        "failure_ratio": Decimal("0.4000"),
        "avg_duration_seconds": 58.0 / 5,
        "min_duration_seconds": 0.5,
        "max_duration_seconds": 45.0,
        "p50_duration_seconds": 3.75,
        "p95_duration_seconds": 52.5,
    }
    history = view(conn, "v_task_history")
    assert len(history) == 1
    assert history[0]["time"] == floor(bucket, timedelta(hours=1))
    assert history[0]["p95_duration_seconds"] == 52.5
    refresh(conn)
    assert view(conn, "v_task_trends") == found


def test_views_stay_complete_while_ranges_wait_for_the_next_run(conn: Conn) -> None:
    refresh(conn)
    # Three hours not rolled up yet (the job stopped, say), one per run.
    conn.execute(
        "UPDATE monitoring_internal.rollup_state SET watermark = watermark - interval '3 hours'"
    )
    add_workload(conn, db_now(conn) - timedelta(minutes=2), spread_minutes=150)
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 0
    set_config(conn, ["rollups", "max_hours_per_run"], 1)
    before = {name: view(conn, name) for name in NEW_VIEWS}
    refresh(conn)
    assert scalar(conn, "SELECT minutes_refreshed FROM monitoring_internal.rollup_state") == 60
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 2
    assert {name: view(conn, name) for name in NEW_VIEWS} == before
    for _ in range(10):
        if scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 0:
            break
        refresh(conn)
        assert {name: view(conn, name) for name in NEW_VIEWS} == before
    assert_rollups_match_the_raw_rows(conn)


def test_the_first_refresh_starts_at_the_oldest_raw_day(conn: Conn) -> None:
    refresh(conn)  # empty: nothing to aggregate, the watermark is set
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 0
    assert scalar(conn, "SELECT minutes_refreshed FROM monitoring_internal.rollup_state") == 0
    conn.execute("DELETE FROM monitoring_internal.rollup_state")
    at = db_now(conn) - timedelta(days=5, hours=3)
    record_metric(conn, "cpu", 1.0, at)
    refresh(conn)
    assert_rollups_match_the_raw_rows(conn)
    assert scalar(conn, "SELECT count(*) FROM monitoring.performance_rollup_minute") == 1


# --- concurrency --------------------------------------------------------------------------------


def test_two_refreshes_at_once_the_second_skips(dsn: str, conn: Conn) -> None:
    now = db_now(conn)
    add_workload(conn, now - timedelta(minutes=3))
    with psycopg.connect(dsn) as first:
        # The first run is between taking the queue and committing.
        assert scalar(first, "SELECT monitoring.advance_rollup_watermark()") is not None
        first.commit()
        assert scalar(first, "SELECT monitoring.apply_rollup_pending()") > 0
        conn.execute("SET statement_timeout = '5s'")  # the second must not wait
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        refresh(conn)
        assert scalar(conn, "SELECT monitoring.apply_rollup_pending()") == 0
        assert any("already being applied" in n for n in notices)
        first.commit()
    conn.execute("RESET statement_timeout")
    refresh(conn)
    assert_rollups_match_the_raw_rows(conn)


def test_a_late_write_during_an_apply_is_kept_for_the_next(dsn: str, conn: Conn) -> None:
    refresh(conn)
    late = watermark(conn) - timedelta(minutes=4)
    record_metric(conn, "cpu", 1.0, late)
    with psycopg.connect(dsn) as applying:
        assert scalar(applying, "SELECT monitoring.apply_rollup_pending()") == 1
        # Committed while the apply is still open: its queued minute is not taken.
        record_metric(conn, "cpu", 2.0, late + timedelta(seconds=1))
        applying.commit()
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 1
    assert scalar(conn, "SELECT sum(value_sum) FROM monitoring.performance_rollup_minute") == 1.0
    refresh(conn)
    assert_rollups_match_the_raw_rows(conn)
    assert scalar(conn, "SELECT sum(value_sum) FROM monitoring.performance_rollup_minute") == 3.0


def test_the_advance_waits_for_writers_that_read_the_old_watermark(dsn: str, conn: Conn) -> None:
    refresh(conn)
    # Pretend the last advance was ten minutes ago.
    conn.execute(
        "UPDATE monitoring_internal.rollup_state SET watermark = watermark - interval '10 minutes'"
    )
    w1 = watermark(conn)
    with psycopg.connect(dsn) as writer:
        # Not late for the watermark it reads: nothing queued, but it holds the lock.
        writer.execute(
            "SELECT monitoring.record_performance_metric('cpu', 'cpu', 42, '%%', 'system', NULL, %s)",
            (w1 + timedelta(minutes=2),),
        )
        assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 0
        errors: list[BaseException] = []

        def run_refresh() -> None:
            try:
                with psycopg.connect(dsn, autocommit=True) as c:
                    c.execute("CALL monitoring.refresh_rollups()")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        thread = threading.Thread(target=run_refresh)
        thread.start()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            waiting = scalar(
                conn,
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            if waiting:
                break
            time.sleep(0.05)
        assert waiting == 1, "the advance did not wait for the writer"
        writer.commit()
        thread.join(10)
        assert not errors
    assert watermark(conn) > w1 + timedelta(minutes=2)
    assert_rollups_match_the_raw_rows(conn)
    assert scalar(conn, "SELECT sum(value_sum) FROM monitoring.performance_rollup_minute") == 42


# --- retention ----------------------------------------------------------------------------------


def cleanup(conn: Conn) -> dict[str, tuple[int, int]]:
    return {
        r[0]: (r[1], r[2])
        for r in conn.execute("SELECT * FROM monitoring.cleanup_old_monitoring_data()")
    }


@pytest.mark.parametrize(
    ("table", "days"), [("performance_rollup_minute", 90), ("task_rollup_minute", 90)]
)
def test_minute_rollups_expire_by_partition(conn: Conn, table: str, days: int) -> None:
    today = scalar(conn, "SELECT (now() AT TIME ZONE 'UTC')::date")
    insert = {
        "performance_rollup_minute": "INSERT INTO monitoring.performance_rollup_minute VALUES"
        " (%s, 'cpu', 'cpu', 'system', '%%', 1, 1, 1, 1)",
        "task_rollup_minute": "INSERT INTO monitoring.task_rollup_minute VALUES"
        " (%s, 'ocr', 1, 1, 0, 0, 1, 1, 1, '{0,0,0,1,0,0,0,0,0,0,0,0,0,0,0}')",
    }[table]
    for offset in (days + 1, days):
        day = today - timedelta(days=offset)
        conn.execute("SELECT monitoring_internal.create_partition(%s, %s)", (table, day))
        conn.execute(insert, (datetime(day.year, day.month, day.day, 12, tzinfo=UTC),))
    conn.execute(sql.SQL("ANALYZE monitoring.{}").format(sql.Identifier(table)))  # rows reported
    assert cleanup(conn)[table] == (1, 1)
    assert (
        scalar(conn, sql.SQL("SELECT count(*) FROM monitoring.{}").format(sql.Identifier(table)))
        == 1
    )


def test_hour_rollups_expire_by_their_own_retention(conn: Conn) -> None:
    set_config(conn, ["retention", "task_rollup_hour_days"], 200)
    hour = floor(db_now(conn), timedelta(hours=1))
    for days in (366, 364):
        at = hour - timedelta(days=days)
        conn.execute(
            "INSERT INTO monitoring.performance_rollup_hour VALUES"
            " (%s, 'cpu', 'cpu', 'system', '%%', 1, 1, 1, 1)",
            (at,),
        )
    for days in (202, 199):
        conn.execute(
            "INSERT INTO monitoring.task_rollup_hour VALUES"
            " (%s, 'ocr', 1, 1, 0, 0, 1, 1, 1, '{0,0,0,1,0,0,0,0,0,0,0,0,0,0,0}')",
            (hour - timedelta(days=days),),
        )
    result = cleanup(conn)
    assert result["performance_rollup_hour"] == (0, 1)
    assert result["task_rollup_hour"] == (0, 1)
    assert scalar(
        conn, "SELECT bucket FROM monitoring.performance_rollup_hour"
    ) == hour - timedelta(days=364)
    assert scalar(conn, "SELECT bucket FROM monitoring.task_rollup_hour") == hour - timedelta(
        days=199
    )
    assert cleanup(conn)["performance_rollup_hour"] == (0, 0)


def test_five_minute_rollups_are_kept_two_days(conn: Conn) -> None:
    """Only v_performance_trends reads them (24 hours); no setting."""
    bucket = bin5(db_now(conn))
    for age in (timedelta(days=2, minutes=5), timedelta(days=2) - timedelta(minutes=5)):
        conn.execute(
            "INSERT INTO monitoring.performance_rollup_5min VALUES"
            " (%s, 'cpu', 'cpu', 'system', '%%', 1, 1, 1, 1)",
            (bucket - age,),
        )
    assert cleanup(conn)["performance_rollup_5min"] == (0, 1)
    assert scalar(conn, "SELECT bucket FROM monitoring.performance_rollup_5min") == bucket - (
        timedelta(days=2) - timedelta(minutes=5)
    )


def test_the_minute_rollup_tables_are_history_tables(conn: Conn) -> None:
    assert rows(
        conn,
        "SELECT table_name, time_column, retention_setting FROM monitoring_internal.history_tables"
        " WHERE table_name LIKE '%%rollup%%' ORDER BY 1",
    ) == [
        {"table_name": "performance_rollup_minute", "time_column": "bucket",
         "retention_setting": "performance_rollup_minute_days"},
        {"table_name": "task_rollup_minute", "time_column": "bucket",
         "retention_setting": "task_rollup_minute_days"},
    ]  # fmt: skip


# --- estimate_percentile ------------------------------------------------------------------------


def percentile(conn: Conn, counts: list[int], fraction: float) -> Any:
    return scalar(
        conn, "SELECT monitoring.estimate_percentile(%s::bigint[], %s)", (counts, fraction)
    )


@pytest.mark.parametrize(
    ("counts", "fraction", "expected"),
    [
        # 2 in [5, 10), 2 in [10, 30): rank 2 ends the first bucket, rank 3.8 is 90% into the second.
        ([0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0], 0.5, 10.0),
        ([0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0], 0.95, 28.0),
        ([0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0], 0.25, 7.5),
        ([0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0], 0.0, 5.0),
        ([0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0], 1.0, 30.0),
        ([4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5, 0.05),  # first bucket from 0
        ([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], 0.9, 3600.0),  # open-ended last bucket
        ([0] * 15, 0.5, None),
    ],
)
def test_estimate_percentile(conn: Conn, counts: list[int], fraction: float, expected: Any) -> None:
    assert percentile(conn, counts, fraction) == (
        pytest.approx(expected) if expected is not None else None
    )


@pytest.mark.parametrize(
    ("counts", "fraction", "sqlstate"),
    [
        (None, 0.5, "PV001"),
        ([0] * 15, None, "PV001"),
        ([0] * 15, 1.5, "PV004"),
        ([0] * 15, -0.1, "PV004"),
        ([0] * 15, float("nan"), "PV004"),
        ([1] * 14, 0.5, "PV004"),
        ([1] * 14 + [-1], 0.5, "PV004"),
    ],
)
def test_estimate_percentile_rejects_bad_arguments(
    conn: Conn, counts: Any, fraction: Any, sqlstate: str
) -> None:
    with pytest.raises(psycopg.Error) as raised:
        percentile(conn, counts, fraction)
    assert raised.value.sqlstate == sqlstate


def test_the_histogram_aggregates(conn: Conn) -> None:
    durations = [0.0, 0.0999, 0.1, 0.25, 1.0, 2.5, 59.9, 3600.0, 1e9]
    found = scalar(
        conn,
        "SELECT monitoring.task_duration_histogram(d) FROM unnest(%s::float8[] || NULL::float8) AS d",
        (durations,),
    )
    assert found == histogram(durations) == [2, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 2]
    assert scalar(
        conn,
        "SELECT monitoring.sum_bucket_counts(c) FROM (VALUES (%s::bigint[]), (NULL), (%s)) AS v (c)",
        ([1] * 15, list(range(15))),
    ) == list(range(1, 16))
    assert scalar(conn, "SELECT monitoring.task_duration_bounds()") == BOUNDS


# --- value sketches: the p95 of the performance rollups -----------------------------------------


def record_samples(
    conn: Conn, name: str, values: list[float], start: datetime, spread: timedelta = FIVE_MINUTES
) -> None:
    """``values`` of one series spread evenly over [start, start + spread), in one statement."""
    step = spread / len(values)
    conn.execute(
        "SELECT monitoring.record_performance_metric(%s, 'gauge', x.v, 'u', 'system', NULL, x.t)"
        " FROM unnest(%s::float8[], %s::timestamptz[]) AS x (v, t)",
        (name, values, [start + i * step for i in range(len(values))]),
    )


_rng = random.Random(20240601)
DISTRIBUTIONS: dict[str, list[float]] = {
    "uniform": [_rng.uniform(0, 100) for _ in range(400)],
    "log_normal": [_rng.lognormvariate(2, 1.5) for _ in range(400)],
    "negative": [-_rng.uniform(10, 1000) for _ in range(400)],
    "negative_log_normal": [-_rng.lognormvariate(0, 2) for _ in range(400)],
    "constant": [42.5] * 400,
    "half_zeros": [0.0] * 200 + [_rng.uniform(1, 2) for _ in range(200)],
    "around_zero": [_rng.gauss(0, 10) for _ in range(400)],
    "wide": [10 ** _rng.uniform(-300, 300) for _ in range(400)],
    "huge": [_rng.uniform(0.5, 1.0) * 1e305 for _ in range(400)],  # sums stay finite
    "tiny": [_rng.uniform(1, 10) * 1e-306 for _ in range(400)],
    "two_samples": [3.0, 1000.0],
}


def raw_values(conn: Conn, width: str) -> dict[tuple, tuple[list[float], float]]:
    """Per UTC bucket of ``width`` and metric: the raw samples and their percentile_cont(0.95)."""
    return {
        (utc(r[0]), r[1]): (r[2], r[3])
        for r in conn.execute(
            "SELECT date_bin(%s::interval, recorded_at, '2000-01-01 00:00:00+00'), metric_name,"
            " array_agg(metric_value), percentile_cont(0.95) WITHIN GROUP (ORDER BY metric_value)"
            " FROM monitoring.performance_monitoring GROUP BY 1, 2",
            (width,),
        )
    }


def assert_p95_within_the_bound(conn: Conn, view_name: str, width: str) -> dict[tuple, float]:
    raw = raw_values(conn, width)
    found = {(utc(r["time"]), r["metric_name"]): r["p95_value"] for r in view(conn, view_name)}
    assert found.keys() == raw.keys()
    for key, p95 in found.items():
        values, exact = raw[key]
        assert percentile_cont(values, 0.95) == pytest.approx(exact, rel=1e-12)
        error = abs(p95 - exact)
        assert error <= p95_error_bound(values), (key, p95, exact)
        ordered = sorted(values)
        position = 0.95 * (len(values) - 1)
        pair = ordered[math.floor(position)], ordered[math.ceil(position)]
        if pair[0] * pair[1] >= 0:
            # The stated relative error: 2% of the exact value.
            assert error <= ALPHA * abs(exact) * (1 + 1e-9), key
    return found


def test_p95_is_within_two_percent_of_percentile_cont_for_every_distribution(conn: Conn) -> None:
    bucket = bin5(db_now(conn)) - timedelta(minutes=40)
    for name, values in DISTRIBUTIONS.items():
        record_samples(conn, name, values, bucket)
    # Before any refresh: the views' tails, from the raw samples.
    trends_raw = assert_p95_within_the_bound(conn, "v_performance_trends", "5 minutes")
    history_raw = assert_p95_within_the_bound(conn, "v_performance_history", "1 hour")
    # Constant samples and the exact extremes are exact.
    assert trends_raw[(bucket, "constant")] == 42.5
    assert trends_raw[(bucket, "two_samples")] == pytest.approx(0.05 * 3 + 0.95 * 1000, rel=1e-15)
    refresh(conn)
    assert_rollups_match_the_raw_rows(conn, exact_sums=False)
    # From the 5-minute and hour tiers now: the same estimates, not just as close.
    assert assert_p95_within_the_bound(conn, "v_performance_trends", "5 minutes") == trends_raw
    assert assert_p95_within_the_bound(conn, "v_performance_history", "1 hour") == history_raw


def test_late_samples_keep_the_sketches_exact(conn: Conn) -> None:
    bucket = bin5(db_now(conn)) - timedelta(minutes=30)
    record_samples(conn, "uniform", DISTRIBUTIONS["uniform"], bucket)
    refresh(conn)
    before = {r["metric_name"]: r["p95_value"] for r in view(conn, "v_performance_trends")}
    # 100 more arrive late, larger, into minutes already rolled up (noted by note_ingest).
    late_values = [200 + v for v in DISTRIBUTIONS["uniform"][:100]]
    record_samples(conn, "uniform", late_values, bucket + timedelta(seconds=1))
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") > 0
    late = assert_p95_within_the_bound(conn, "v_performance_trends", "5 minutes")
    assert late[(bucket, "uniform")] != before["uniform"]
    refresh(conn)
    assert_rollups_match_the_raw_rows(conn, exact_sums=False)
    assert assert_p95_within_the_bound(conn, "v_performance_trends", "5 minutes") == late


def test_sketch_buckets_cover_every_finite_double_within_two_percent(conn: Conn) -> None:
    rng = random.Random(3)
    values = [0.0, -0.0, 5e-324, -5e-324, 1e-310, DBL_MIN, -DBL_MIN, math.nextafter(DBL_MIN, 1),
              1e-300, 1.0, -1.0, 2.5, 123.456, 1e300, DBL_MAX, -DBL_MAX,
              math.nextafter(DBL_MAX, 0)]  # fmt: skip
    values += [math.copysign(10 ** rng.uniform(-307.6, 308.2), rng.random() - 0.5)
               for _ in range(3000)]  # fmt: skip
    # Bucket boundaries gamma^i and their neighbours.
    for i in range(-17707, 17743, 97):
        edge = math.exp(i * LN_GAMMA)
        values += [math.nextafter(edge, 0), edge, math.nextafter(edge, math.inf)]
    found = conn.execute(
        "SELECT v, monitoring_internal.value_sketch_key(v), monitoring_internal.value_sketch_value(monitoring_internal.value_sketch_key(v))"
        " FROM unnest(%s::float8[]) AS v ORDER BY v",
        (values,),
    ).fetchall()
    assert len(found) == len(values)
    for value, key, estimate in found:
        assert key == sketch_key(value), value
        if abs(value) < DBL_MIN:
            assert key == 0 and estimate == 0.0  # zero and the subnormals: absolute error < DBL_MIN
        else:
            assert math.copysign(1, estimate) == math.copysign(1, value)
            assert abs(estimate - value) <= ALPHA * abs(value) * (1 + 1e-12), (value, key, estimate)
    keys = [key for _, key, _ in found]
    assert keys == sorted(keys)  # keys are ordered as the values
    assert (min(keys), max(keys)) == (-35451, 35451)
    assert scalar(conn, "SELECT monitoring_internal.value_sketch_key(%s)", (DBL_MIN,)) == 1


def test_estimate_value_percentile(conn: Conn) -> None:
    def estimate(values: list[float] | None, fraction: float) -> Any:
        return scalar(
            conn,
            "SELECT monitoring_internal.estimate_value_percentile(%s::bigint[], %s, %s, %s)",
            (sketch(values) if values is not None else None, fraction,
             min(values) if values else None, max(values) if values else None),
        )  # fmt: skip

    samples = [7.0, 1.5, 300.0, 42.0, 0.0, -8.0]
    assert estimate(samples, 0.0) == -8.0 and estimate(samples, 1.0) == 300.0  # exact extremes
    for fraction in (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99):
        assert abs(estimate(samples, fraction) - percentile_cont(samples, fraction)) <= (
            p95_error_bound(samples, fraction)
        )
    # w = 0: the bucket value of the sample itself (within 2%, not exact).
    assert estimate([1.0, 2.0, 3.0], 0.5) == pytest.approx(2.0, rel=ALPHA)
    assert estimate([1.0, 2.0, 3.0], 0.5) != 2.0
    # Between a negative and a positive sample the bound is 2% of the larger magnitude.
    straddle = [-1000.0, -100.0, 3.0, 1000.0]
    assert abs(estimate(straddle, 0.5) - percentile_cont(straddle, 0.5)) <= p95_error_bound(
        straddle, 0.5
    )
    # The largest doubles of both signs: no overflow in the interpolation.
    assert estimate([-DBL_MAX, DBL_MAX], 0.5) == 0.0
    assert estimate([DBL_MAX, DBL_MAX, DBL_MAX], 0.5) == DBL_MAX
    assert estimate([-DBL_MAX, -DBL_MAX / 2, -1e308], 0.5) == pytest.approx(-1e308, rel=ALPHA)
    # No sketch (rolled up before 0012), or no samples: no estimate.
    assert estimate(None, 0.95) is None
    assert (
        scalar(conn, "SELECT monitoring_internal.estimate_value_percentile('{}', 0.95, NULL, NULL)")
        is None
    )


@pytest.mark.parametrize("fraction", [None, 1.5, -0.1, float("nan")])
def test_estimate_value_percentile_rejects_bad_fractions(conn: Conn, fraction: Any) -> None:
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(
            "SELECT monitoring_internal.estimate_value_percentile(%s::bigint[], %s, 1, 1)",
            (sketch([1.0]), fraction),
        )
    assert raised.value.sqlstate == "PV004"


def test_merge_value_sketches(conn: Conn) -> None:
    merged = scalar(
        conn,
        "SELECT monitoring_internal.merge_value_sketches(s) FROM (VALUES (%s::bigint[]), (NULL), (%s)) AS v (s)",
        (sketch([1.0, 2.0, 3.0, -4.0]), sketch([2.0, 0.0, -4.0, 1e300])),
    )
    assert merged == sketch([1.0, 2.0, 3.0, -4.0, 2.0, 0.0, -4.0, 1e300])
    # A bucket whose count would not fit its 47 bits: no sketch rather than a wrong one.
    assert (
        scalar(
            conn,
            "SELECT monitoring_internal.merge_value_sketches(s) FROM (VALUES (%s::bigint[]), (%s)) AS v (s)",
            ([17708 * ENTRY + ENTRY - 1], [17708 * ENTRY + 1]),
        )
        is None
    )


def test_buckets_rolled_up_before_the_sketches_have_no_p95_newer_ones_do(conn: Conn) -> None:
    """Rows older than migration 0012 have NULL sketches: a bucket merged from any of
    them keeps none (NULL p95); buckets of minutes aggregated since are complete."""
    hour = floor(db_now(conn), timedelta(hours=1)) - timedelta(hours=2)
    older, newer = hour + timedelta(minutes=10), hour + timedelta(minutes=30)
    record_samples(conn, "uniform", DISTRIBUTIONS["uniform"][:100], older)
    record_samples(conn, "uniform", DISTRIBUTIONS["uniform"][100:200], newer)
    refresh(conn)
    # What 0012 leaves: every row rolled up so far without a sketch or a p95.
    conn.execute("UPDATE monitoring.performance_rollup_minute SET value_sketch = NULL")
    for table in ("performance_rollup_5min", "performance_rollup_hour"):
        conn.execute(
            sql.SQL("UPDATE monitoring.{} SET value_sketch = NULL, value_p95 = NULL").format(
                sql.Identifier(table)
            )
        )
    # The newer bucket's minutes are aggregated again (queued, as late data queues
    # them), now with sketches, and a late sample lands in one of them.
    conn.execute(
        "INSERT INTO monitoring_internal.rollup_pending (source, range_start, range_end)"
        " VALUES ('performance_monitoring', %s, %s)",
        (newer, newer + FIVE_MINUTES),
    )
    record_samples(conn, "uniform", [50.0], newer + timedelta(minutes=1))
    trends = {utc(r["time"]): r["p95_value"] for r in view(conn, "v_performance_trends")}
    assert trends[older] is None and trends[newer] is not None
    refresh(conn)
    assert {utc(r["time"]): r["p95_value"] for r in view(conn, "v_performance_trends")} == trends
    assert one(
        conn,
        "SELECT value_sketch, value_p95 FROM monitoring.performance_rollup_5min WHERE bucket = %s",
        (newer,),
    )["value_p95"] == pytest.approx(
        percentile_cont([*DISTRIBUTIONS["uniform"][100:200], 50.0], 0.95), rel=ALPHA
    )
    # The hour holds minutes without sketches: no p95 rather than a partial one.
    assert [r["p95_value"] for r in view(conn, "v_performance_history")] == [None]
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM monitoring.performance_rollup_minute WHERE value_sketch IS NULL",
        )
        == 5
    )


def test_0012_adds_the_sketch_columns_without_rewriting_the_rollups(server: Any) -> None:
    migrations = [m.stem for m in sorted((REPO / "sql" / "migrations").glob("*.sql"))]
    name = f"pgvigil_sketch_upgrade_{os.getpid()}"
    server.drop_database(name)
    conninfo = server.create_database(name)
    tables = [
        "performance_rollup_minute_default",
        "performance_rollup_5min",
        "performance_rollup_hour",
    ]
    try:
        apply_migrations(conninfo, limit=migrations.index("0012_add_performance_value_sketches"))
        with psycopg.connect(conninfo, autocommit=True) as c:
            now = db_now(c)
            for table, at in (("performance_rollup_minute", floor(now, MINUTE) - 10 * MINUTE),
                              ("performance_rollup_5min", bin5(now) - timedelta(hours=1)),
                              ("performance_rollup_hour", floor(now, timedelta(hours=1)) - timedelta(hours=2))):  # fmt: skip
                c.execute(
                    sql.SQL(
                        "INSERT INTO monitoring.{} VALUES (%s, 'cpu', 'cpu', 'system', '%%', 2, 3, 1, 2)"
                    ).format(sql.Identifier(table)),
                    (at,),
                )
            files = {
                t: scalar(c, "SELECT pg_relation_filenode(%s)", (f"monitoring.{t}",))
                for t in tables
            }
        report = migrate(conninfo)
        assert "0012_add_performance_value_sketches" in report.migrations_applied
        with psycopg.connect(conninfo, autocommit=True) as c:
            # Catalog changes only: the same files, the old values, NULL sketches.
            assert {
                t: scalar(c, "SELECT pg_relation_filenode(%s)", (f"monitoring.{t}",))
                for t in tables
            } == files
            for table in (
                "performance_rollup_minute",
                "performance_rollup_5min",
                "performance_rollup_hour",
            ):
                found = one(c, sql.SQL("SELECT * FROM monitoring.{}").format(sql.Identifier(table)))
                assert (found["sample_count"], found["value_sum"], found["value_sketch"]) == (
                    2,
                    3,
                    None,
                )
                assert found.get("value_p95") is None
            c.execute(
                "INSERT INTO monitoring_internal.rollup_state (watermark, advanced_at)"
                " VALUES (date_bin('1 minute', now(), '2000-01-01 00:00:00+00'), now())"
            )
            trends = one(c, "SELECT * FROM monitoring.v_performance_trends")
            assert (trends["samples"], trends["avg_value"], trends["p95_value"]) == (2, 1.5, None)
            # The hour rollup, and the hour holding the boundary from its minute
            # rollup. In an hour's first 10 minutes the minute row lies in the
            # hour before the boundary's, which the view reads from the hour
            # tier (where this test put nothing for that hour): not shown.
            minute_in_boundary_hour = floor(now, MINUTE) - 10 * MINUTE >= floor(
                now, timedelta(hours=1)
            )
            expected = [{"samples": 2, "p95_value": None}] * (2 if minute_in_boundary_hour else 1)
            assert (
                rows(c, "SELECT samples, p95_value FROM monitoring.v_performance_history")
                == expected
            )
    finally:
        server.drop_database(name)


# --- one minute aggregate per raw table ------------------------------------------------------------


def test_each_raw_table_has_one_minute_aggregate(conn: Conn) -> None:
    bodies = dict(
        conn.execute(
            "SELECT proname::text, prosrc FROM pg_proc"
            " WHERE pronamespace IN ('monitoring'::regnamespace, 'monitoring_internal'::regnamespace)"
            " AND proname IN ('apply_rollup_pending', 'performance_tail', 'task_tail')"
        ).fetchall()
    )
    for name, aggregate, raw in (
        (
            "apply_rollup_pending",
            "performance_minute_aggregate(",
            "monitoring.performance_monitoring",
        ),
        ("apply_rollup_pending", "task_minute_aggregate(", "monitoring.processing_metrics"),
        ("performance_tail", "performance_minute_aggregate(", "monitoring.performance_monitoring"),
        ("task_tail", "task_minute_aggregate(", "monitoring.processing_metrics"),
    ):
        assert aggregate in bodies[name], name
        assert raw not in bodies[name], name  # the raw rows are read by the aggregate only
    add_workload(conn, db_now(conn) - timedelta(minutes=3))
    refresh(conn)
    w = watermark(conn)
    assert stored_performance(conn, "performance_rollup_minute") == {
        (utc(r[0]), *r[1:5]): tuple(r[5:])
        for r in conn.execute(
            "SELECT * FROM monitoring_internal.performance_minute_aggregate('-infinity', %s)", (w,)
        )
    }
    assert stored_tasks(conn, "task_rollup_minute") == {
        (utc(r[0]), r[1]): tuple(r[2:])
        for r in conn.execute(
            "SELECT * FROM monitoring_internal.task_minute_aggregate('-infinity', %s)", (w,)
        )
    }
    # Inlined into the calling query: planned as scans of the raw table's partitions
    # of the range, not as a function call.
    for function, raw in (("performance_minute_aggregate", "performance_monitoring_p"),
                          ("task_minute_aggregate", "processing_metrics_p")):  # fmt: skip
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                f"EXPLAIN SELECT * FROM monitoring_internal.{function}(now() - interval '1 hour', 'infinity')"
            )
        )
        assert "Function Scan" not in plan and raw in plan, plan


# --- privileges, jobs, config -------------------------------------------------------------------


def test_the_reader_can_read_every_new_view_but_not_refresh(conn: Conn) -> None:
    add_workload(conn, db_now(conn) - timedelta(minutes=3), spread_minutes=20)
    refresh(conn)
    add_task(conn, "ocr", 1.0, "completed", db_now(conn))
    record_metric(conn, "cpu", 1.0, None)
    # The tails the views call: aggregates of the hour holding the boundary and later only.
    hour = "date_bin('1 hour', monitoring.rollup_boundary(%s), '2000-01-01 00:00:00+00')"
    samples = scalar(
        conn,
        f"SELECT count(*) FROM monitoring.performance_monitoring WHERE recorded_at >= {hour}",
        ("performance_monitoring",),
    )
    tasks = scalar(
        conn,
        "SELECT count(*) FROM monitoring.processing_metrics"
        f" WHERE end_time >= {hour} AND status <> 'running'",
        ("processing_metrics",),
    )
    assert 1 <= samples < 3 * 20
    assert tasks >= 1
    conn.execute("SET ROLE pgvigil_reader")
    try:
        for name in NEW_VIEWS:
            assert view(conn, name), name
        assert (
            scalar(
                conn,
                "SELECT sum(sample_count) FROM monitoring.performance_tail('-infinity', '1 hour', 0.95)",
            )
            == samples
        )
        assert (
            scalar(conn, "SELECT sum(ended_count) FROM monitoring.task_tail('-infinity', '1 hour')")
            == tasks
        )
        assert (
            scalar(
                conn,
                "SELECT monitoring.estimate_percentile('{0,0,0,1,0,0,0,0,0,0,0,0,0,0,0}', 0.5)",
            )
            == 0.75
        )
        for statement in (
            "CALL monitoring.refresh_rollups()",
            "SELECT monitoring.apply_rollup_pending()",
            "SELECT * FROM monitoring.task_rollup_minute",
            "SELECT * FROM monitoring.performance_rollup_5min",
            "SELECT monitoring_internal.note_ingest('processing_metrics', now(), now())",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    finally:
        conn.execute("RESET ROLE")


def test_the_writer_notes_late_events_and_the_admin_refreshes(conn: Conn) -> None:
    refresh(conn)
    late = watermark(conn) - timedelta(minutes=3)
    conn.execute("SET ROLE pgvigil_writer")
    try:
        record_metric(conn, "cpu", 2.0, late)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CALL monitoring.refresh_rollups()")
    finally:
        conn.execute("RESET ROLE")
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 1
    conn.execute("SET ROLE pgvigil_admin")
    try:
        refresh(conn)
    finally:
        conn.execute("RESET ROLE")
    assert_rollups_match_the_raw_rows(conn)


def test_the_rollups_job(conn: Conn) -> None:
    jobs = {r["job_name"]: r for r in rows(conn, "SELECT * FROM monitoring.job_definitions()")}
    assert jobs["pgvigil-rollups"] == {
        "job_name": "pgvigil-rollups",
        "schedule": "* * * * *",
        "command": "CALL monitoring.refresh_rollups()",
    }


def test_refresh_in_a_transaction_block_is_refused(dsn: str) -> None:
    with psycopg.connect(dsn) as c, pytest.raises(psycopg.errors.InvalidTransactionTermination):
        c.execute("CALL monitoring.refresh_rollups()")


def problems(conn: Conn, changes: dict[tuple[str, ...], Any]) -> list[str]:
    document = scalar(conn, "SELECT document FROM monitoring.config")
    for path, value in changes.items():
        target = document
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return [r[0] for r in conn.execute("SELECT monitoring.validate_config(%s)", (Jsonb(document),))]


def test_validate_config_checks_the_rollup_settings(conn: Conn) -> None:
    assert problems(conn, {}) == []
    assert problems(
        conn,
        {
            ("retention", "performance_monitoring_days"): 3,
            ("retention", "task_rollup_minute_days"): 6.5,
            ("rollups", "lag_seconds"): -1,
            ("rollups", "max_hours_per_run"): 0,
            ("retention", "task_rollup_hour_days"): None,
            ("schedules", "rollups"): None,
        },
    ) == [
        "retention.task_rollup_hour_days must be a number > 0",
        "rollups.max_hours_per_run must be a number > 0",
        "rollups.lag_seconds must be a number >= 0",
        "retention.performance_monitoring_days (3 days) must cover ingest.max_event_age_hours (168):"
        " late events are re-aggregated from it",
        "retention.task_rollup_minute_days (6.5 days) must cover ingest.max_event_age_hours (168):"
        " late events are re-aggregated from it",
        'schedules.rollups must be a cron expression such as "* * * * *"',
    ]
    # A shorter accepted event age allows a shorter raw retention.
    assert (
        problems(
            conn,
            {
                ("retention", "performance_monitoring_days"): 3,
                ("ingest", "max_event_age_hours"): 72,
            },
        )
        == []
    )


def test_a_database_configured_before_the_rollups_gets_their_defaults(server: Any) -> None:
    migrations = sorted((REPO / "sql" / "migrations").glob("*.sql"))
    before = [m.stem for m in migrations].index("0010_create_rollups")
    name = f"pgvigil_rollups_upgrade_{os.getpid()}"
    server.drop_database(name)
    conninfo = server.create_database(name)
    try:
        apply_migrations(conninfo, limit=before)
        document = json.loads((REPO / "config" / "monitoring_config.json").read_text())
        for key in ("performance_rollup_minute_days", "performance_rollup_hour_days",
                    "task_rollup_minute_days", "task_rollup_hour_days"):  # fmt: skip
            del document["retention"][key]
        del document["rollups"]
        del document["schedules"]["rollups"]
        document["retention"]["performance_monitoring_days"] = 10  # the user's own value
        with psycopg.connect(conninfo, autocommit=True) as c:
            c.execute("INSERT INTO monitoring.config (document) VALUES (%s)", (Jsonb(document),))
        report = migrate(conninfo)
        assert "0010_create_rollups" in report.migrations_applied
        assert report.config_loaded is False
        with psycopg.connect(conninfo, autocommit=True) as c:
            stored = scalar(c, "SELECT document FROM monitoring.config")
            assert stored["retention"]["performance_monitoring_days"] == 10
            assert stored["retention"]["task_rollup_hour_days"] == 365
            assert stored["rollups"] == {"lag_seconds": 60, "max_hours_per_run": 24}
            assert stored["schedules"]["rollups"] == "* * * * *"
            assert [
                r[0]
                for r in c.execute(
                    "SELECT monitoring.validate_config(document) FROM monitoring.config"
                )
            ] == []
            c.execute("CALL monitoring.refresh_rollups()")
            assert scalar(c, "SELECT count(*) FROM monitoring_internal.rollup_state") == 1
    finally:
        server.drop_database(name)


# --- plans: the views read only their window ----------------------------------------------------


def scanned(conn: Conn, query: str) -> dict[str, list[str]]:
    """Relations a query (EXPLAIN ANALYZE) really read, with how: node types and index names."""
    plan = scalar(conn, "EXPLAIN (ANALYZE, FORMAT JSON) " + query)
    found: dict[str, list[str]] = defaultdict(list)

    def walk(node: dict[str, Any], relation: str | None = None) -> None:
        relation = node.get("Relation Name", relation)
        if relation and node.get("Actual Loops", 0) > 0 and "Scan" in node["Node Type"]:
            found[relation].append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
        for child in node.get("Plans", []):
            walk(child, relation if "Relation Name" in node else None)

    walk(plan[0]["Plan"])
    return found


def partition_day(relname: str) -> datetime | None:
    suffix = relname.rsplit("_p", 1)[-1]
    if not suffix.isdigit() or len(suffix) != 8:
        return None
    return datetime.strptime(suffix, "%Y%m%d").replace(tzinfo=UTC)


@pytest.mark.parametrize("name", NEW_VIEWS)
def test_a_time_filter_reaches_both_branches_and_old_partitions_are_not_read(
    conn: Conn, name: str
) -> None:
    add_workload(conn, db_now(conn) - timedelta(minutes=3), spread_minutes=20)
    record_metric(conn, "cpu", 1.0, db_now(conn) - timedelta(days=3))
    add_task(conn, "ocr", 1.0, "completed", db_now(conn) - timedelta(days=3))
    refresh(conn)
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending") == 0
    query = f"""SELECT * FROM monitoring.{name} WHERE "time" >= now() - interval '1 hour'"""
    text = "\n".join(r[0] for r in conn.execute("EXPLAIN " + query))
    # The filter is applied inside each branch, below the aggregation.
    assert text.count("now() - '01:00:00'::interval") >= 2, text
    today = floor(db_now(conn), timedelta(hours=1)).replace(hour=0)
    for relation, scans in scanned(conn, query).items():
        day = partition_day(relation)
        if day is None or day >= today - timedelta(days=1):
            continue
        # Older partitions are pruned, except those of processing_metrics: it
        # is partitioned by start_time, and a task ending now may have started
        # long ago; each is probed through its end_time index, never scanned.
        assert relation.startswith("processing_metrics_p"), (relation, scans, text)
        assert all(s.endswith("_end_time_idx") for s in scans if "Index" in s), (relation, scans)
        assert not [s for s in scans if s.startswith("Seq Scan")], (relation, scans)


def test_huge_samples_do_not_break_the_rollups(conn: Conn) -> None:
    # Two samples near the largest double in one minute and series: a float8
    # sum() overflows ("value out of range"), which would fail every refresh.
    huge = 1.7e308
    for _ in range(2):
        conn.execute(
            "SELECT monitoring.record_performance_metric('huge', 'gauge', %s, 'x', 'c', NULL,"
            " now() - interval '5 minutes')",
            (huge,),
        )
    conn.execute(
        "SELECT monitoring.record_performance_metric('plain', 'gauge', 0.1, 'x', 'c', NULL,"
        " now() - interval '5 minutes')"
    )
    tail = conn.execute(
        "SELECT metric_name, samples, avg_value FROM monitoring.v_performance_trends"
        " ORDER BY metric_name"
    ).fetchall()
    assert [(n, c) for n, c, _ in tail] == [("huge", 2), ("plain", 1)]
    conn.execute("CALL monitoring.refresh_rollups()")
    minute = conn.execute(
        "SELECT sample_count, value_sum, value_max FROM monitoring.performance_rollup_minute"
        " WHERE metric_name = 'huge'"
    ).fetchall()
    assert minute == [(2, 1.7976931348623157e308, huge)]  # the sum saturates
    plain = conn.execute(
        "SELECT value_sum FROM monitoring.performance_rollup_minute WHERE metric_name = 'plain'"
    ).fetchall()
    assert plain == [(0.1,)]  # ordinary sums stay the exact float8 sum
    assert len(conn.execute("SELECT * FROM monitoring.v_performance_trends").fetchall()) == 2
    assert len(conn.execute("SELECT * FROM monitoring.v_performance_history").fetchall()) == 2
