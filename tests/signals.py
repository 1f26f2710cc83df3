"""Writing the signals alerts are computed from (errors, tasks, health,
queue samples) at chosen times, through the recording functions; shared by
the alert check and alert rule tests."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from dbhelpers import Conn, db_now

_ids = itertools.count()


def add_errors(
    conn: Conn, component: str, count: int, severity: str = "low", minutes_ago: float = 5
) -> None:
    conn.execute(
        "SELECT count(monitoring.record_error(NULL, 'processing_error', %s, 'boom', %s, NULL, NULL,"
        " now() - make_interval(secs => %s))) FROM generate_series(1, %s)",
        (severity, component, minutes_ago * 60, count),
    )


def delete_errors(conn: Conn, component: str, count: int | None = None) -> None:
    conn.execute(
        "DELETE FROM monitoring.error_tracking WHERE error_id IN (SELECT error_id"
        " FROM monitoring.error_tracking WHERE component = %s ORDER BY error_id LIMIT %s)",
        (component, count),
    )


def add_tasks(
    conn: Conn,
    task_type: str,
    durations: list[float],
    statuses: list[str] | None = None,
    ended_ago_seconds: float = 60,
) -> None:
    """Tasks of known durations that ended ``ended_ago_seconds`` ago."""
    ended = db_now(conn) - timedelta(seconds=ended_ago_seconds)
    ids = [f"{task_type}-{next(_ids)}" for _ in durations]
    statuses = statuses or ["completed"] * len(durations)
    conn.execute(
        "SELECT count(monitoring.start_task_tracking(t.id, %s, NULL, NULL, NULL,"
        " %s - make_interval(secs => t.d))) FROM unnest(%s::text[], %s::float8[]) AS t(id, d)",
        (task_type, ended, ids, durations),
    )
    conn.execute(
        "SELECT count(monitoring.complete_task_tracking(t.id, t.s, NULL, NULL, %s))"
        " FROM unnest(%s::text[], %s::text[]) AS t(id, s)",
        (ended, ids, statuses),
    )


def start_task(conn: Conn, task_id: str, task_type: str, seconds_ago: float) -> None:
    conn.execute(
        "SELECT monitoring.start_task_tracking(%s, %s, NULL, NULL, NULL,"
        " now() - make_interval(secs => %s))",
        (task_id, task_type, seconds_ago),
    )


def report_health(
    conn: Conn, name: str, status: str, seconds_ago: float, reason: Any = None
) -> None:
    conn.execute(
        "SELECT monitoring.update_system_health('api', %s, %s, NULL, %s, NULL,"
        " now() - make_interval(secs => %s))",
        (name, status, reason, seconds_ago),
    )


def queue_sample(conn: Conn, name: str, pending: int, seconds_ago: float, age: Any = None) -> None:
    conn.execute(
        "SELECT monitoring.record_queue_stats(%s, %s, 0, 0, 0, %s, now() - make_interval(secs => %s))",
        (name, pending, age, seconds_ago),
    )
