"""pg_cron integration, in the database pg_cron runs jobs in (shared by the session).

Every test leaves that database as it found it: jobs unscheduled, its own rows
deleted, check_runs restored.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pgvigil.db.migrate import migrate

JOB_NAMES = [
    "pgvigil-cleanup",
    "pgvigil-monitoring-checks",
    "pgvigil-partition-maintenance",
    "pgvigil-purge-cron-history",
    "pgvigil-rollups",
    "pgvigil-watchdog",
]
RUN_TIMEOUT_SECONDS = 130


@pytest.fixture
def cron_conn(server) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(server.conninfo(server.cron_dbname), autocommit=True) as conn:
        conn.execute("SELECT monitoring.unschedule_jobs()")
        try:
            yield conn
        finally:
            conn.execute("SELECT monitoring.unschedule_jobs()")


def pgvigil_jobs(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT jobname, jobid, schedule, command, database, active FROM cron.job"
        " WHERE jobname LIKE 'pgvigil-%' ORDER BY jobname"
    ).fetchall()


def pg_cron_has_seconds_schedules(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "SELECT string_to_array(split_part(extversion, '-', 1), '.')::int[] >= '{1,5}'"
        " FROM pg_extension WHERE extname = 'pg_cron'"
    ).fetchone()
    assert row is not None, "pg_cron is not installed in the cron database"
    return bool(row[0])


def test_schedule_jobs_installs_the_named_jobs(server, cron_conn):
    notices: list[str] = []
    cron_conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    rows = cron_conn.execute(
        "SELECT job_name, schedule, job_id FROM monitoring.schedule_jobs() ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in rows] == JOB_NAMES
    jobs = pgvigil_jobs(cron_conn)
    assert [(j[0], j[2], j[1]) for j in jobs] == rows
    assert {j[4] for j in jobs} == {server.cron_dbname}
    assert all(j[5] for j in jobs)
    by_name = {j[0]: j for j in jobs}
    checks = by_name["pgvigil-monitoring-checks"]
    assert checks[3] == "SELECT * FROM monitoring.run_monitoring_checks('pg_cron')"
    if pg_cron_has_seconds_schedules(cron_conn):
        assert checks[2] == "30 seconds"
    else:
        # pg_cron < 1.5: the cron expression, and a notice saying so.
        assert checks[2] == "* * * * *"
        assert any("no seconds schedules" in n for n in notices)
    assert by_name["pgvigil-cleanup"][2] == "17 3 * * *"
    assert by_name["pgvigil-partition-maintenance"][2] == "7 * * * *"
    assert by_name["pgvigil-purge-cron-history"][2] == "27 3 * * *"
    assert by_name["pgvigil-purge-cron-history"][3] == "SELECT monitoring.purge_cron_history()"
    assert by_name["pgvigil-rollups"][2:4] == ("* * * * *", "CALL monitoring.refresh_rollups()")


def test_schedule_jobs_twice_keeps_the_jobs_with_the_same_ids(cron_conn):
    first = cron_conn.execute(
        "SELECT job_name, job_id FROM monitoring.schedule_jobs() ORDER BY 1"
    ).fetchall()
    second = cron_conn.execute(
        "SELECT job_name, job_id FROM monitoring.schedule_jobs() ORDER BY 1"
    ).fetchall()
    assert first == second
    assert [(j[0], j[1]) for j in pgvigil_jobs(cron_conn)] == first


def test_schedule_jobs_follows_a_changed_config(cron_conn):
    cron_conn.execute("SELECT monitoring.schedule_jobs()")
    before = cron_conn.execute("SELECT document FROM monitoring.config").fetchone()
    assert before is not None
    try:
        cron_conn.execute(
            "SELECT monitoring.apply_config(jsonb_set(document, '{schedules,cleanup}',"
            " '\"45 4 * * *\"')) FROM monitoring.config"
        )
        cron_conn.execute("SELECT monitoring.schedule_jobs()")
        jobs = {j[0]: j[2] for j in pgvigil_jobs(cron_conn)}
        assert jobs["pgvigil-cleanup"] == "45 4 * * *"
        assert len(jobs) == len(JOB_NAMES)
    finally:
        cron_conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(before[0]),))


def test_unschedule_jobs_removes_them_and_is_idempotent(cron_conn):
    cron_conn.execute("SELECT monitoring.schedule_jobs()")
    assert len(pgvigil_jobs(cron_conn)) == len(JOB_NAMES)
    other = cron_conn.execute(
        "SELECT cron.schedule('not-pgvigil-test-job', '0 0 1 1 *', 'SELECT 1')"
    ).fetchone()
    assert other is not None
    try:
        assert cron_conn.execute("SELECT monitoring.unschedule_jobs()").fetchone() == (
            len(JOB_NAMES),
        )
        assert pgvigil_jobs(cron_conn) == []
        assert cron_conn.execute("SELECT monitoring.unschedule_jobs()").fetchone() == (0,)
        # Someone else's job is left alone.
        assert cron_conn.execute(
            "SELECT count(*) FROM cron.job WHERE jobname = 'not-pgvigil-test-job'"
        ).fetchone() == (1,)
    finally:
        cron_conn.execute("SELECT cron.unschedule('not-pgvigil-test-job')")


@pytest.mark.slow
def test_pg_cron_runs_the_checks_and_raises_an_alert(cron_conn):
    """The whole loop: a report, pg_cron runs the checks job, the alert is pg_cron's.

    The rollups job runs in the same minute: its CALL commits between its two
    steps, which pg_cron (1.4, background workers) allows for a lone CALL.
    """
    conn = cron_conn
    component = f"pytest-{uuid.uuid4().hex[:12]}"
    subject = f"test/{component}"
    check_runs_before = conn.execute("SELECT * FROM monitoring_internal.check_runs").fetchall()
    rollups_before = conn.execute(
        "SELECT count(*) FROM monitoring_internal.rollup_state"
    ).fetchone()
    job_ids: list[int] = []
    try:
        jobs = conn.execute("SELECT job_name, job_id FROM monitoring.schedule_jobs()").fetchall()
        job_ids = [int(j[1]) for j in jobs]
        checks_job = dict(jobs)["pgvigil-monitoring-checks"]
        rollups_job = dict(jobs)["pgvigil-rollups"]
        conn.execute(
            "SELECT monitoring.update_system_health('test', %s, 'unhealthy',"
            " p_failure_reason => 'pytest: pg_cron loop')",
            (component,),
        )
        reported_at = conn.execute("SELECT clock_timestamp()").fetchone()[0]

        run = _wait_for_run(conn, checks_job, reported_at)
        assert run[0] == "succeeded", f"the checks job failed: {run[1]}"

        alert = conn.execute(
            "SELECT alert_type, severity, status, triggered_by FROM monitoring.alerts"
            " WHERE subject = %s",
            (subject,),
        ).fetchall()
        assert len(alert) == 1, alert
        alert_type, severity, status, triggered_by = alert[0]
        assert (alert_type, status, triggered_by) == ("component_health", "active", "pg_cron")
        # An unhealthy component is high at once (critical after 900 s).
        assert severity == "high"
        assert conn.execute(
            "SELECT last_source FROM monitoring_internal.check_runs WHERE check_name = 'component_health'"
        ).fetchone() == ("pg_cron",)
        assert conn.execute(
            "SELECT actor FROM monitoring.alert_events e JOIN monitoring.alerts a USING (alert_id)"
            " WHERE a.subject = %s AND e.event_type = 'triggered'",
            (subject,),
        ).fetchall() == [("pg_cron",)]

        run = _wait_for_run(conn, rollups_job, reported_at)
        assert run == ("succeeded", "CALL"), f"the rollups job failed: {run[1]}"
        # Two transactions: the apply step started after the advance committed.
        advanced_at, applied_at = conn.execute(
            "SELECT advanced_at, applied_at FROM monitoring_internal.rollup_state"
        ).fetchone()
        assert reported_at < advanced_at < applied_at

        # The watchdog job runs beside them, and sees a pgvigil job that fails.
        watchdog_job = dict(jobs)["pgvigil-watchdog"]
        run = _wait_for_run(conn, watchdog_job, reported_at)
        assert run[0] == "succeeded", f"the watchdog job failed: {run[1]}"
        conn.execute("SELECT cron.alter_job(%s, command := 'SELECT 1/0')", (checks_job,))
        broken_at = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        run = _wait_for_run(conn, checks_job, broken_at)
        assert run[0] == "failed"
        firing = conn.execute(
            "SELECT rule_name, firing FROM monitoring.check_watchdog('pytest')"
            " WHERE rule_name = 'PgvigilJobFailing'"
        ).fetchall()
        assert firing == [("PgvigilJobFailing", 1)]
        failing = conn.execute(
            "SELECT labels, details FROM monitoring.alerts"
            " WHERE rule_name = 'PgvigilJobFailing' AND resolved_at IS NULL"
        ).fetchone()
        assert failing[0]["job"] == "pgvigil-monitoring-checks"
        assert "division by zero" in failing[1]["last_message"]
    finally:
        conn.execute("SELECT monitoring.unschedule_jobs()")
        _wait_until_no_run_in_progress(conn, job_ids)
        conn.execute("DELETE FROM monitoring.alerts WHERE subject = %s", (subject,))
        conn.execute("DELETE FROM monitoring.alerts WHERE rule_name LIKE 'Pgvigil%'")
        conn.execute("DELETE FROM monitoring_internal.rule_groups WHERE rule_name LIKE 'Pgvigil%'")
        conn.execute(
            "DELETE FROM monitoring.system_health WHERE component_type = 'test'"
            " AND component_name = %s",
            (component,),
        )
        conn.execute(
            "DELETE FROM monitoring.system_health_history WHERE component_type = 'test'"
            " AND component_name = %s",
            (component,),
        )
        with conn.transaction():
            conn.execute("DELETE FROM monitoring_internal.check_runs")
            for row in check_runs_before:
                conn.execute(
                    "INSERT INTO monitoring_internal.check_runs"
                    " (check_name, last_run_at, last_source, runs_total) VALUES (%s, %s, %s, %s)",
                    row,
                )
        if rollups_before == (0,):
            for table in ("monitoring_internal.rollup_state", "monitoring_internal.rollup_pending",
                          "monitoring.performance_rollup_minute", "monitoring.performance_rollup_hour",
                          "monitoring.task_rollup_minute", "monitoring.task_rollup_hour"):  # fmt: skip
                conn.execute(f"DELETE FROM {table}")
        if job_ids:
            conn.execute("DELETE FROM cron.job_run_details WHERE jobid = ANY(%s)", (job_ids,))


def _wait_for_run(conn: psycopg.Connection[Any], job_id: int, since: Any) -> tuple[str, str | None]:
    """The first finished run of the job started after ``since``: (status, return_message)."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT status, return_message FROM cron.job_run_details"
            " WHERE jobid = %s AND start_time >= %s AND status IN ('succeeded', 'failed')"
            " ORDER BY start_time LIMIT 1",
            (job_id, since),
        ).fetchone()
        if row is not None:
            return row[0], row[1]
        time.sleep(1)
    details = conn.execute(
        "SELECT status, start_time, return_message FROM cron.job_run_details WHERE jobid = %s",
        (job_id,),
    ).fetchall()
    pytest.fail(f"pg_cron did not run the checks job within {RUN_TIMEOUT_SECONDS} s: {details}")


def _wait_until_no_run_in_progress(conn: psycopg.Connection[Any], job_ids: list[int]) -> None:
    for _ in range(60):
        row = conn.execute(
            "SELECT count(*) FROM cron.job_run_details WHERE jobid = ANY(%s)"
            " AND status IN ('starting', 'running')",
            (job_ids,),
        ).fetchone()
        if row == (0,):
            return
        time.sleep(1)


def test_migrate_creates_pg_cron_and_schedule_jobs_never_does(server, cron_conn):
    # Installing an extension is migrate's (or the DBA's) step: schedule_jobs()
    # is SECURITY DEFINER and any admin may call it.
    cron_conn.execute("DROP EXTENSION pg_cron")
    try:
        with pytest.raises(psycopg.Error) as raised:
            cron_conn.execute("SELECT * FROM monitoring.schedule_jobs()")
        assert raised.value.diag.sqlstate == "PV401"
        assert "pgvigil migrate" in (raised.value.diag.message_hint or "")
        assert cron_conn.execute(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'"
        ).fetchone() == (0,)
        report = migrate(server.conninfo(server.cron_dbname))
        assert report.pg_cron_created is True
        assert cron_conn.execute(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'"
        ).fetchone() == (1,)
        assert migrate(server.conninfo(server.cron_dbname)).pg_cron_created is False
        assert len(cron_conn.execute("SELECT * FROM monitoring.schedule_jobs()").fetchall()) == len(
            JOB_NAMES
        )
    finally:
        cron_conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")


def test_migrate_updates_jobs_an_earlier_release_scheduled(server, cron_conn):
    # 0.1.0 scheduled the cleanup as SELECT cleanup_old_monitoring_data(); an
    # upgrade must not leave the old command running.
    cron_conn.execute("SELECT * FROM monitoring.schedule_jobs()").fetchall()
    cron_conn.execute(
        "UPDATE cron.job SET command = 'SELECT * FROM monitoring.cleanup_old_monitoring_data()'"
        " WHERE jobname = 'pgvigil-cleanup'"
    )
    report = migrate(server.conninfo(server.cron_dbname))
    assert report.jobs_rescheduled is True
    assert cron_conn.execute(
        "SELECT command FROM cron.job WHERE jobname = 'pgvigil-cleanup'"
    ).fetchall() == [("CALL monitoring.run_retention()",)]
    assert migrate(server.conninfo(server.cron_dbname)).jobs_rescheduled is False


def test_migrate_schedules_nothing_where_jobs_were_never_scheduled(server, cron_conn):
    assert pgvigil_jobs(cron_conn) == []
    assert migrate(server.conninfo(server.cron_dbname)).jobs_rescheduled is False
    assert pgvigil_jobs(cron_conn) == []
