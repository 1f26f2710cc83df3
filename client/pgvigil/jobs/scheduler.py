"""Run the pgvigil jobs from Python where pg_cron is not available.

The jobs and their schedules come from ``monitoring.job_definitions()``, the
same definitions ``monitoring.schedule_jobs()`` installs in pg_cron, so both
runners do the same work. Schedules are five-field cron expressions in UTC.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg

from pgvigil.db.queries import query

log = logging.getLogger("pgvigil.scheduler")

_JOB_DEFINITIONS = query("scheduler_job_definitions")

_FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _parse_field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError(f"bad step in {text!r}")
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start_text, end_text = part.split("-", 1)
            start, end = int(start_text), int(end_text)
        else:
            start = int(part)
            end = high if step > 1 else start
        if not (low <= start <= end <= high):
            raise ValueError(f"{text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def cron_matches(expression: str, moment: datetime) -> bool:
    """Whether a five-field cron expression fires at ``moment`` (UTC, minute resolution).

    Like cron: when both day of month and day of week are restricted, either may match.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron expression {expression!r} must have five fields")
    minute, hour, dom, month, dow = (
        _parse_field(f, lo, hi) for f, (lo, hi) in zip(fields, _FIELD_RANGES, strict=True)
    )
    if 7 in dow:
        dow.add(0)
    moment = moment.astimezone(timezone.utc)
    weekday = (moment.weekday() + 1) % 7  # cron: Sunday = 0
    day_ok = (
        (moment.day in dom or weekday in dow)
        if fields[2] != "*" and fields[4] != "*"
        else (moment.day in dom and weekday in dow)
    )
    return moment.minute in minute and moment.hour in hour and moment.month in month and day_ok


def run_job(conninfo: str, name: str, command: str) -> list[tuple[Any, ...]]:
    """Run one job's SQL command in its own transaction; returns its rows.

    The command is the one ``monitoring.job_definitions()`` stores, run as it
    is: the database defines the jobs, so their SQL is not in queries.sql.
    """
    with psycopg.connect(
        conninfo, autocommit=True, application_name=f"pgvigil-scheduler:{name}"
    ) as conn:
        cursor = conn.execute(command.encode())
        return cursor.fetchall() if cursor.description else []


def run_scheduler(
    conninfo: str,
    *,
    stop: threading.Event | None = None,
    on_run: Callable[[str, list[tuple[Any, ...]] | Exception], None] | None = None,
    max_minutes: int | None = None,
) -> None:
    """Run due jobs at the start of every UTC minute until ``stop`` is set.

    A failing job is logged and retried at its next due time; it never stops
    the others. ``max_minutes`` bounds the run (for tests and one-off use).
    """
    stop = stop or threading.Event()
    minutes = 0
    while not stop.is_set():
        now = datetime.now(timezone.utc)
        moment = now.replace(second=0, microsecond=0)
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                jobs = conn.execute(_JOB_DEFINITIONS).fetchall()
        except psycopg.Error as exc:
            log.error("cannot read job definitions: %s", exc)
            jobs = []
        for name, schedule, command in jobs:
            try:
                due = cron_matches(schedule, moment)
            except ValueError as exc:
                log.error("job %s: invalid schedule %r: %s", name, schedule, exc)
                continue
            if not due:
                continue
            try:
                rows = run_job(conninfo, name, command)
                log.info("job %s ran", name)
                if on_run:
                    on_run(name, rows)
            except psycopg.Error as exc:
                log.error("job %s failed: %s", name, exc)
                if on_run:
                    on_run(name, exc)
        minutes += 1
        if max_minutes is not None and minutes >= max_minutes:
            return
        next_minute = moment + timedelta(minutes=1)
        stop.wait(max((next_minute - datetime.now(timezone.utc)).total_seconds(), 0.0))
