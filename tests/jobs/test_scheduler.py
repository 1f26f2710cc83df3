"""The Python scheduler: cron expression matching, and running the due jobs."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from dbhelpers import CHECK_NAMES
from pgvigil.jobs.scheduler import cron_matches, run_scheduler

UTC = timezone.utc
SUNDAY = datetime(2024, 6, 2, 12, 0, tzinfo=UTC)
MONDAY = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)
FRIDAY_13 = datetime(2024, 9, 13, 0, 0, tzinfo=UTC)
THURSDAY_12 = datetime(2024, 9, 12, 0, 0, tzinfo=UTC)
FRIDAY_20 = datetime(2024, 9, 20, 0, 0, tzinfo=UTC)
SUNDAY_13 = datetime(2024, 10, 13, 0, 0, tzinfo=UTC)


def at(hour: int, minute: int, day: int = 3, month: int = 6) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def test_fixed_days_are_what_the_cases_below_assume():
    assert SUNDAY.strftime("%A") == "Sunday"
    assert MONDAY.strftime("%A") == "Monday"
    assert FRIDAY_13.strftime("%A %d") == "Friday 13"
    assert THURSDAY_12.strftime("%A %d") == "Thursday 12"
    assert FRIDAY_20.strftime("%A %d") == "Friday 20"
    assert SUNDAY_13.strftime("%A %d") == "Sunday 13"


@pytest.mark.parametrize("moment", [at(0, 0), at(13, 37), at(23, 59, day=31, month=12), SUNDAY])
def test_star_matches_every_minute(moment):
    assert cron_matches("* * * * *", moment)


@pytest.mark.parametrize(
    ("minute", "expected"),
    [(0, True), (15, True), (30, True), (45, True), (1, False), (14, False), (59, False)],
)
def test_step(minute, expected):
    assert cron_matches("*/15 * * * *", at(10, minute)) is expected


def test_step_from_a_start_value():
    assert [m for m in range(60) if cron_matches("5/20 * * * *", at(1, m))] == [5, 25, 45]


def test_step_over_a_range():
    assert [m for m in range(60) if cron_matches("10-30/10 * * * *", at(1, m))] == [10, 20, 30]


def test_fixed_minute_and_hour():
    assert cron_matches("17 3 * * *", at(3, 17))
    assert not cron_matches("17 3 * * *", at(3, 18))
    assert not cron_matches("17 3 * * *", at(4, 17))
    assert [h for h in range(24) if cron_matches("7 * * * *", at(h, 7))] == list(range(24))


def test_ranges():
    assert [h for h in range(24) if cron_matches("0 9-17 * * *", at(h, 0))] == list(range(9, 18))
    assert [m for m in range(60) if cron_matches("0-5 * * * *", at(0, m))] == list(range(6))


def test_lists_and_mixed_lists():
    assert [m for m in range(60) if cron_matches("1,2,30 * * * *", at(0, m))] == [1, 2, 30]
    assert [m for m in range(60) if cron_matches("0-2,50,*/30 * * * *", at(0, m))] == [
        0,
        1,
        2,
        30,
        50,
    ]


def test_month_field():
    assert cron_matches("0 0 * 6 *", at(0, 0, month=6))
    assert not cron_matches("0 0 * 7 *", at(0, 0, month=6))


@pytest.mark.parametrize("dow", ["0", "7"])
def test_day_of_week_0_and_7_are_sunday(dow):
    assert cron_matches(f"0 12 * * {dow}", SUNDAY)
    assert not cron_matches(f"0 12 * * {dow}", MONDAY)


def test_day_of_week_range_ending_on_7_includes_sunday():
    assert cron_matches("0 12 * * 5-7", SUNDAY)
    assert not cron_matches("0 12 * * 5-7", MONDAY)
    assert cron_matches("0 12 * * 1-5", MONDAY)
    assert not cron_matches("0 12 * * 1-5", SUNDAY)


def test_day_of_month_or_day_of_week_when_both_are_restricted():
    expression = "0 0 13 * 5"  # the 13th, or any Friday
    assert cron_matches(expression, FRIDAY_13)
    assert cron_matches(expression, FRIDAY_20)
    assert cron_matches(expression, SUNDAY_13)
    assert not cron_matches(expression, THURSDAY_12)


def test_day_of_month_alone_and_day_of_week_alone_must_match():
    assert cron_matches("0 0 13 * *", SUNDAY_13)
    assert not cron_matches("0 0 13 * *", FRIDAY_20)
    assert cron_matches("0 0 * * 5", FRIDAY_20)
    assert not cron_matches("0 0 * * 5", SUNDAY_13)


def test_the_moment_is_taken_in_utc():
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2024, 6, 3, 10, 0, tzinfo=plus_two)  # 08:00 UTC
    assert cron_matches("0 8 * * *", moment)
    assert not cron_matches("0 10 * * *", moment)


@pytest.mark.parametrize(
    "expression",
    [
        "* * * *",
        "* * * * * *",
        "",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * 32 * *",
        "* * * 0 *",
        "* * * 13 *",
        "* * * * 8",
        "*/0 * * * *",
        "5-1 * * * *",
        "a * * * *",
        "1,,2 * * * *",
        "-1 * * * *",
    ],
)
def test_invalid_expressions_raise_value_error(expression):
    with pytest.raises(ValueError):
        cron_matches(expression, at(0, 0))


# --- run_scheduler against a real database ----------------------------------


def test_run_scheduler_runs_the_due_checks_as_scheduler(dsn, conn):
    conn.execute("SELECT monitoring.record_queue_stats('documents', 600)")
    ran: list[tuple[str, Any]] = []
    run_scheduler(dsn, max_minutes=1, on_run=lambda name, result: ran.append((name, result)))
    names = [name for name, _ in ran]
    assert "pgvigil-monitoring-checks" in names
    assert "pgvigil-purge-cron-history" not in names
    assert not [r for _, r in ran if isinstance(r, Exception)]
    # The rollups job's CALL commits between its steps: fine in autocommit.
    assert dict(ran)["pgvigil-rollups"] == []
    assert conn.execute("SELECT count(*) FROM monitoring_internal.rollup_state").fetchone() == (1,)
    checks = dict(ran)["pgvigil-monitoring-checks"]
    assert [row[0] for row in checks] == CHECK_NAMES
    sources = conn.execute(
        "SELECT DISTINCT last_source FROM monitoring_internal.check_runs"
    ).fetchall()
    assert sources == [("scheduler",)]
    assert conn.execute("SELECT alert_type, triggered_by FROM monitoring.alerts").fetchall() == [
        ("queue_backlog", "scheduler")
    ]


def _set_schedules(conn: Any, schedules: dict[str, str]) -> None:
    document = conn.execute("SELECT document FROM monitoring.config").fetchone()[0]
    document["schedules"].update(schedules)
    conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(document),))


def test_run_scheduler_runs_every_due_job_but_never_the_cron_history_purge(dsn, conn):
    every_minute = "* * * * *"
    _set_schedules(
        conn,
        {
            "monitoring_checks": every_minute,
            "watchdog": every_minute,
            "partition_maintenance": every_minute,
            "cleanup": every_minute,
            "purge_cron_history": every_minute,
            "rollups": every_minute,
        },
    )
    names: list[str] = []
    run_scheduler(dsn, max_minutes=1, on_run=lambda name, result: names.append(name))
    assert sorted(names) == [
        "pgvigil-cleanup",
        "pgvigil-monitoring-checks",
        "pgvigil-partition-maintenance",
        "pgvigil-rollups",
        "pgvigil-watchdog",
    ]


def test_run_scheduler_skips_jobs_that_are_not_due(dsn, conn):
    now = datetime.now(UTC)
    # Due an hour from now (and we run for one minute only): never now.
    later = now + timedelta(hours=1)
    not_now = f"{later.minute} {later.hour} * * *"
    _set_schedules(
        conn,
        {
            "monitoring_checks": not_now,
            "watchdog": not_now,
            "partition_maintenance": not_now,
            "cleanup": not_now,
            "purge_cron_history": not_now,
            "rollups": not_now,
        },
    )
    names: list[str] = []
    run_scheduler(dsn, max_minutes=1, on_run=lambda name, result: names.append(name))
    assert names == []
    assert conn.execute("SELECT count(*) FROM monitoring_internal.check_runs").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM monitoring_internal.rollup_state").fetchone() == (0,)


def test_run_scheduler_returns_when_stop_is_set(dsn):
    stop = threading.Event()
    stop.set()
    names: list[str] = []
    run_scheduler(dsn, stop=stop, on_run=lambda name, result: names.append(name))
    assert names == []


def test_job_definitions_give_each_runner_its_jobs(conn):
    pg_cron = {
        r[0] for r in conn.execute("SELECT job_name FROM monitoring.job_definitions('pg_cron')")
    }
    scheduler = {
        r[0] for r in conn.execute("SELECT job_name FROM monitoring.job_definitions('scheduler')")
    }
    # pg_cron's run history has nothing to purge when pg_cron does not run the jobs.
    assert pg_cron - scheduler == {"pgvigil-purge-cron-history"}
    assert scheduler < pg_cron
