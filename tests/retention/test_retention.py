"""Partition maintenance and retention.

run_partition_maintenance() keeps daily partitions ready and empties the
default partitions; cleanup_old_monitoring_data() drops whole partitions past
retention (and deletes per severity for errors, resolved alerts past theirs);
purge_cron_history() trims pg_cron's run history.

Old history is placed with ``monitoring_internal.create_partition(table, day)`` and
inserted directly as superuser: the recording functions refuse events older
than ingest.max_event_age_hours.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from dbhelpers import RELATIONS_SQL, Conn, scalar

HISTORY_TABLES = [
    "error_tracking",
    "performance_monitoring",
    "performance_rollup_minute",
    "processing_metrics",
    "queue_monitoring",
    "system_health_history",
    "task_rollup_minute",
]
# Not partitioned, expired by cleanup_old_monitoring_data() with a DELETE.
HOUR_ROLLUP_TABLES = ["performance_rollup_5min", "performance_rollup_hour", "task_rollup_hour"]

# One database for the module, reset before each test: a fresh database per
# test (the conftest ``dsn`` fixture) costs a CREATE DATABASE each. The reset
# empties the tables, restores the default config, and drops or re-creates
# partitions so that the relations are exactly those of the template.


# --- helpers -----------------------------------------------------------------------

# One old row per history table, at the time given as %(at)s.
INSERT_ROW = {
    "processing_metrics": "INSERT INTO monitoring.processing_metrics"
    " (task_id, task_type, status, start_time) VALUES (%(id)s, 'ocr', 'completed', %(at)s)",
    "error_tracking": "INSERT INTO monitoring.error_tracking"
    " (error_type, severity, message, component, occurred_at)"
    " VALUES ('e', %(severity)s, %(id)s, 'api', %(at)s)",
    "performance_monitoring": "INSERT INTO monitoring.performance_monitoring"
    " (metric_name, metric_type, metric_value, unit, component, recorded_at)"
    " VALUES (%(id)s, 'cpu', 1.5, '%%', 'sys', %(at)s)",
    "system_health_history": "INSERT INTO monitoring.system_health_history"
    " (component_type, component_name, status, changed_at) VALUES ('api', %(id)s, 'healthy', %(at)s)",
    "queue_monitoring": "INSERT INTO monitoring.queue_monitoring"
    " (queue_name, pending_count, recorded_at) VALUES (%(id)s, 3, %(at)s)",
    # Rollup buckets are whole minutes.
    "performance_rollup_minute": "INSERT INTO monitoring.performance_rollup_minute"
    " VALUES (date_bin('1 minute', %(at)s::timestamptz, '2000-01-01'), %(id)s, 'cpu', 'sys', '%%',"
    " 1, 1.5, 1.5, 1.5)",
    "task_rollup_minute": "INSERT INTO monitoring.task_rollup_minute"
    " VALUES (date_bin('1 minute', %(at)s::timestamptz, '2000-01-01'), %(id)s, 1, 1, 0, 0,"
    " 2.0, 2.0, 2.0, '{0,0,0,0,1,0,0,0,0,0,0,0,0,0,0}')",
}


def utc_today(conn: Conn) -> date:
    return scalar(conn, "SELECT (now() AT TIME ZONE 'UTC')::date")


def noon(day: date) -> str:
    return f"{day.isoformat()} 12:00:00+00"


def insert(conn: Conn, table: str, at: str, row_id: str = "r", severity: str = "low") -> None:
    conn.execute(INSERT_ROW[table], {"id": row_id, "at": at, "severity": severity})


def partition_name(table: str, day: date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def exists(conn: Conn, relname: str) -> bool:
    return bool(
        scalar(
            conn,
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'monitoring'::regnamespace"
            " AND relname = %s",
            (relname,),
        )
    )


def count(conn: Conn, relname: str) -> int:
    return scalar(
        conn, sql.SQL("SELECT count(*) FROM monitoring.{}").format(sql.Identifier(relname))
    )


def maintenance(conn: Conn) -> dict[str, tuple[int, int]]:
    return {
        r[0]: (r[1], r[2])
        for r in conn.execute("SELECT * FROM monitoring.run_partition_maintenance()")
    }


def cleanup(conn: Conn) -> dict[str, tuple[int, int]]:
    # Dropped partitions are reported by their statistics' row count
    # (counting would read them): make the statistics exact first.
    conn.execute("ANALYZE")
    return {
        r[0]: (r[1], r[2])
        for r in conn.execute("SELECT * FROM monitoring.cleanup_old_monitoring_data()")
    }


def apply_config(conn: Conn, section: str, key: str, value: Any) -> None:
    document = scalar(conn, "SELECT document FROM monitoring.config")
    document[section][key] = value
    conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(document),))


# --- run_partition_maintenance -------------------------------------------------------------


def test_history_tables_registry(conn: Conn) -> None:
    assert [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM monitoring_internal.history_tables ORDER BY 1"
        )
    ] == (HISTORY_TABLES)


def test_maintenance_creates_daily_partitions_ahead_for_every_table(conn: Conn) -> None:
    today = utc_today(conn)
    apply_config(conn, "partitioning", "premake_days", 10)
    for table in HISTORY_TABLES:  # a hole in the middle is filled too
        conn.execute(
            sql.SQL("DROP TABLE monitoring.{}").format(
                sql.Identifier(partition_name(table, today + timedelta(days=2)))
            )
        )
    result = maintenance(conn)
    assert result == {table: (4, 0) for table in HISTORY_TABLES}
    conn.execute("SET TIME ZONE 'UTC'")
    for table in HISTORY_TABLES:
        for offset in range(-7, 11):
            day = today + timedelta(days=offset)
            bound = scalar(
                conn,
                "SELECT coalesce(max(pg_get_expr(c.relpartbound, c.oid)), 'missing')"
                " FROM pg_class AS c JOIN pg_inherits AS i ON i.inhrelid = c.oid"
                " WHERE c.relname = %s AND i.inhparent = %s::regclass",
                (partition_name(table, day), f"monitoring.{table}"),
            )
            assert bound == (
                f"FOR VALUES FROM ('{day} 00:00:00+00') TO ('{day + timedelta(days=1)} 00:00:00+00')"
            ), partition_name(table, day)
        assert not exists(conn, partition_name(table, today + timedelta(days=11)))


def test_maintenance_is_idempotent(conn: Conn) -> None:
    maintenance(conn)
    before = conn.execute(RELATIONS_SQL).fetchall()
    assert maintenance(conn) == {table: (0, 0) for table in HISTORY_TABLES}
    assert conn.execute(RELATIONS_SQL).fetchall() == before


@pytest.mark.parametrize("table", HISTORY_TABLES)
def test_rows_in_the_default_partition_are_moved_to_their_own(conn: Conn, table: str) -> None:
    today = utc_today(conn)
    day_a, day_b = today - timedelta(days=20), today - timedelta(days=12)
    insert(conn, table, noon(day_a), "a1")
    insert(conn, table, f"{day_a} 23:59:59.999999+00", "a2")
    insert(conn, table, f"{day_b} 00:00:00+00", "b1")
    assert count(conn, f"{table}_default") == 3
    content = sql.SQL("SELECT t::text FROM monitoring.{} AS t ORDER BY 1").format(
        sql.Identifier(table)
    )
    before = conn.execute(content).fetchall()

    result = maintenance(conn)
    assert result[table] == (2, 3)
    assert all(result[other] == (0, 0) for other in HISTORY_TABLES if other != table)
    assert count(conn, f"{table}_default") == 0
    assert count(conn, partition_name(table, day_a)) == 2
    assert count(conn, partition_name(table, day_b)) == 1
    assert conn.execute(content).fetchall() == before


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Kiritimati"])
def test_partition_days_are_utc_days_whatever_the_session_time_zone(conn: Conn, zone: str) -> None:
    day = utc_today(conn) - timedelta(days=20)
    conn.execute(sql.SQL("SET TIME ZONE {}").format(sql.Literal(zone)))
    insert(conn, "performance_monitoring", f"{day} 00:30:00+00", "early")
    insert(conn, "performance_monitoring", f"{day} 23:30:00+00", "late")
    assert maintenance(conn)["performance_monitoring"] == (1, 2)
    assert count(conn, partition_name("performance_monitoring", day)) == 2
    assert count(conn, "performance_monitoring_default") == 0


def test_create_partition_moves_the_days_rows(conn: Conn) -> None:
    day = utc_today(conn) - timedelta(days=15)
    insert(conn, "queue_monitoring", noon(day), "in-day")
    insert(conn, "queue_monitoring", noon(day - timedelta(days=1)), "day-before")
    assert scalar(
        conn, "SELECT monitoring_internal.create_partition('queue_monitoring', %s)", (day,)
    )
    assert (
        scalar(conn, "SELECT monitoring_internal.create_partition('queue_monitoring', %s)", (day,))
        is False
    )
    assert [
        r[0]
        for r in conn.execute(
            sql.SQL("SELECT queue_name FROM monitoring.{}").format(
                sql.Identifier(partition_name("queue_monitoring", day))
            )
        )
    ] == ["in-day"]
    assert [
        r[0] for r in conn.execute("SELECT queue_name FROM monitoring.queue_monitoring_default")
    ] == ["day-before"]


# --- cleanup_old_monitoring_data --------------------------------------------------------------


def test_cleanup_drops_whole_partitions_past_retention(conn: Conn) -> None:
    today = utc_today(conn)
    days = {offset: today - timedelta(days=offset) for offset in (40, 31, 30, 25)}
    for offset, day in days.items():
        conn.execute(
            "SELECT monitoring_internal.create_partition('processing_metrics', %s)", (day,)
        )
        for i in range(offset // 10):  # 4, 3, 3, 2 rows
            insert(conn, "processing_metrics", noon(day), f"d{offset}-{i}")
    conn.execute("SELECT monitoring.start_task_tracking('recent', 'ocr')")

    result = cleanup(conn)
    assert result["processing_metrics"] == (2, 7)  # days 40 and 31: 4 + 3 rows
    assert not exists(conn, partition_name("processing_metrics", days[40]))
    assert not exists(conn, partition_name("processing_metrics", days[31]))
    assert exists(conn, partition_name("processing_metrics", days[30]))
    assert exists(conn, partition_name("processing_metrics", days[25]))
    assert sorted(
        r[0] for r in conn.execute("SELECT task_id FROM monitoring.processing_metrics")
    ) == ["d25-0", "d25-1", "d30-0", "d30-1", "d30-2", "recent"]
    assert set(result) == {*HISTORY_TABLES, *HOUR_ROLLUP_TABLES, "alerts"}
    for table in HISTORY_TABLES:
        if table != "processing_metrics":
            assert result[table] == (0, 0), table

    assert cleanup(conn)["processing_metrics"] == (0, 0)


@pytest.mark.parametrize(
    ("table", "days"),
    [
        ("performance_monitoring", 7),
        ("queue_monitoring", 7),
        ("system_health_history", 90),
        ("processing_metrics", 30),
        ("performance_rollup_minute", 90),
        ("task_rollup_minute", 90),
    ],
)
def test_cleanup_uses_each_tables_retention(conn: Conn, table: str, days: int) -> None:
    today = utc_today(conn)
    kept, dropped = today - timedelta(days=days), today - timedelta(days=days + 1)
    for day in (kept, dropped):
        conn.execute("SELECT monitoring_internal.create_partition(%s, %s)", (table, day))
        insert(conn, table, noon(day), str(day))
    assert cleanup(conn)[table] == (1, 1)
    assert exists(conn, partition_name(table, kept))
    assert not exists(conn, partition_name(table, dropped))
    assert count(conn, table) == 1


def test_cleanup_retention_comes_from_the_config(conn: Conn) -> None:
    # Raw history must cover the oldest event time accepted (late events are rolled up from it).
    apply_config(conn, "ingest", "max_event_age_hours", 72)
    apply_config(conn, "retention", "processing_metrics_days", 3)
    day = utc_today(conn) - timedelta(days=5)  # an existing partition, made by migrate
    insert(conn, "processing_metrics", noon(day), "five-days-old")
    assert cleanup(conn)["processing_metrics"][1] == 1
    assert not exists(conn, partition_name("processing_metrics", day))
    assert count(conn, "processing_metrics") == 0


def test_cleanup_deletes_old_rows_from_the_default_partition(conn: Conn) -> None:
    today = utc_today(conn)
    insert(conn, "processing_metrics", noon(today - timedelta(days=45)), "too-old")
    insert(conn, "processing_metrics", noon(today - timedelta(days=20)), "still-kept")
    assert count(conn, "processing_metrics_default") == 2
    assert cleanup(conn)["processing_metrics"] == (0, 1)
    assert [
        r[0] for r in conn.execute("SELECT task_id FROM monitoring.processing_metrics_default")
    ] == ["still-kept"]


def test_error_retention_depends_on_severity(conn: Conn) -> None:
    today = utc_today(conn)
    rows = {
        95: ["critical"],
        65: ["critical", "high"],
        40: ["critical", "high", "medium", "low"],
        5: ["low"],
    }
    for offset, severities in rows.items():
        day = today - timedelta(days=offset)
        conn.execute("SELECT monitoring_internal.create_partition('error_tracking', %s)", (day,))
        for severity in severities:
            insert(conn, "error_tracking", noon(day), f"{offset}-{severity}", severity)

    result = cleanup(conn)
    # Day 95 goes as a partition (past the longest retention, 90 days); high
    # errors are kept 60 days, medium and low 30: deleted row by row.
    assert result["error_tracking"] == (1, 4)
    assert not exists(conn, partition_name("error_tracking", today - timedelta(days=95)))
    assert exists(conn, partition_name("error_tracking", today - timedelta(days=65)))
    assert sorted(r[0] for r in conn.execute("SELECT message FROM monitoring.error_tracking")) == [
        "40-critical",
        "40-high",
        "5-low",
        "65-critical",
    ]


def test_resolved_alerts_are_deleted_after_their_retention(conn: Conn) -> None:
    def alert(key: str, status: str, age_days: float, resolved_days: float | None) -> int:
        return scalar(
            conn,
            "INSERT INTO monitoring.alerts (alert_key, alert_type, subject, severity, status,"
            " title, message, triggered_by, triggered_at, last_seen_at, resolved_at)"
            " VALUES (%s, 'error_rate', %s, 'low', %s, 't', 'm', 'manual',"
            " now() - make_interval(days => %s), now() - make_interval(days => %s),"
            " now() - make_interval(secs => %s * 86400)) RETURNING alert_id",
            (key, key, status, age_days, age_days, resolved_days),
        )

    old = alert("old-resolved", "resolved", 10, 8)
    conn.execute(
        "INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor)"
        " VALUES (%s, 'triggered', 'low', 'manual'), (%s, 'resolved', 'low', 'manual')",
        (old, old),
    )
    recent = alert("recent-resolved", "resolved", 10, 6.9)
    active = alert("old-active", "active", 30, None)
    acknowledged = alert("old-acknowledged", "acknowledged", 30, None)

    assert cleanup(conn)["alerts"] == (0, 1)
    assert sorted(r[0] for r in conn.execute("SELECT alert_id FROM monitoring.alerts")) == sorted(
        [recent, active, acknowledged]
    )
    assert (
        scalar(conn, "SELECT count(*) FROM monitoring.alert_events WHERE alert_id = %s", (old,))
        == 0
    )


# --- purge_cron_history ---------------------------------------------------------------------


def test_purge_cron_history_returns_a_number(conn: Conn) -> None:
    # The test database is not pg_cron's database: there is no history to purge.
    assert scalar(conn, "SELECT to_regclass('cron.job_run_details')") is None
    result = scalar(conn, "SELECT monitoring.purge_cron_history()")
    assert isinstance(result, int)
    assert result == 0
    assert scalar(conn, "SELECT pg_typeof(monitoring.purge_cron_history())::text") == "bigint"


def test_purge_cron_history_deletes_old_runs_in_the_pg_cron_database(server: Any) -> None:
    """In pg_cron's database (the extension is created there by conftest): old
    runs of pgvigil's jobs go, a user's own jobs keep their whole history."""
    with psycopg.connect(server.conninfo(server.cron_dbname), autocommit=True) as cron:
        days = scalar(
            cron,
            "SELECT (document #>> '{retention,cron_job_run_details_days}')::float8"
            " FROM monitoring.config",
        )
        # Jobs that never run during the test (1 January, midnight).
        ours_name = "pgvigil-purge-cron-history"
        ours_existed = scalar(
            cron, "SELECT count(*) FROM cron.job WHERE jobname = %s", (ours_name,)
        )
        ours = scalar(
            cron,
            "SELECT coalesce((SELECT jobid FROM cron.job WHERE jobname = %s),"
            " cron.schedule(%s, '0 0 1 1 *', 'SELECT 1'))",
            (ours_name, ours_name),
        )
        users = scalar(cron, "SELECT cron.schedule('someone-elses-job', '0 0 1 1 *', 'SELECT 2')")

        def run(jobid: int, age_days: float) -> int:
            return int(
                scalar(
                    cron,
                    "INSERT INTO cron.job_run_details (jobid, database, username, command, status,"
                    " return_message, start_time, end_time) VALUES (%(jobid)s, current_database(),"
                    " current_user, 'SELECT 1', 'succeeded', '1 row',"
                    " now() - make_interval(secs => %(age)s + 1),"
                    " now() - make_interval(secs => %(age)s)) RETURNING runid",
                    {"jobid": jobid, "age": age_days * 86400},
                )
            )

        try:
            old_ours = [run(ours, days + 1), run(ours, days + 30)]
            recent_ours = run(ours, days - 0.5)
            old_users = [run(users, days + 1), run(users, days + 30)]
            recent_users = run(users, days - 0.5)
            deleted = scalar(cron, "SELECT monitoring.purge_cron_history()")
            assert isinstance(deleted, int)
            assert deleted >= 2
            remaining = {
                r[0]
                for r in cron.execute(
                    "SELECT runid FROM cron.job_run_details WHERE runid = ANY(%s)",
                    ([*old_ours, recent_ours, *old_users, recent_users],),
                )
            }
            assert remaining == {recent_ours, *old_users, recent_users}
            assert scalar(cron, "SELECT monitoring.purge_cron_history()") == 0
        finally:
            cron.execute("DELETE FROM cron.job_run_details WHERE jobid = ANY(%s)", ([ours, users],))
            cron.execute("SELECT cron.unschedule('someone-elses-job')")
            if not ours_existed:
                cron.execute("SELECT cron.unschedule(%s)", (ours_name,))


# --- retention beside long readers ------------------------------------------------------
# A reader (a Grafana panel's pgvigil_reader login, say) that keeps a
# transaction open on a history table holds a lock on its partitions. A DROP
# or DETACH waiting for it would make every writer queue behind the DROP: the
# retention job must give up on that partition quickly, go on with the
# others, and leave it for a later run.


def _expired_day(conn: Conn, table: str, days_back: int = 120) -> date:
    day = utc_today(conn) - timedelta(days=days_back)
    conn.execute("SELECT monitoring_internal.create_partition(%s, %s)", (table, day))
    insert(conn, table, noon(day), f"old-{table}")
    return day


def _call_retention(conn: Conn, arguments: str = "") -> tuple[int, int, int]:
    """CALL run_retention(); its INOUT results: partitions dropped, busy, rows removed."""
    row = conn.execute(f"CALL monitoring.run_retention({arguments})").fetchone()
    assert row is not None
    return (row[0], row[1], row[2])


def _writes_while(dsn: str) -> list[str]:
    """Record a sample and an error on a fresh connection, failing fast if blocked."""
    with psycopg.connect(dsn, autocommit=True) as writer:
        writer.execute("SET statement_timeout = '3s'")
        writer.execute(
            "SELECT monitoring.record_performance_metric('cpu', 'gauge', 1, '%', 'host')"
        )
        writer.execute("SELECT monitoring.record_error(NULL, 'e', 'low', 'm', 'api')")
    return ["ok"]


def test_retention_job_skips_a_partition_a_reader_holds_and_writers_go_on(
    dsn: str, conn: Conn
) -> None:
    held = _expired_day(conn, "performance_monitoring")
    free = _expired_day(conn, "error_tracking")
    with psycopg.connect(dsn) as reader:  # a transaction left open, as a dashboard may
        reader.execute("SELECT count(*) FROM monitoring.performance_monitoring").fetchone()
        with psycopg.connect(dsn, autocommit=True) as job:
            job.execute("SET statement_timeout = '30s'")
            dropped, busy, _rows = _call_retention(job, "p_attempts => 2")
            # While the job ran and now that it is done, writers are not blocked.
            assert _writes_while(dsn) == ["ok"]
        assert (dropped, busy) == (1, 1)
        assert not exists(conn, partition_name("error_tracking", free))
        assert exists(conn, partition_name("performance_monitoring", held))
        assert _writes_while(dsn) == ["ok"]
    # The reader is gone: the next run drops what was left.
    dropped, busy, _rows = _call_retention(conn)
    assert (dropped, busy) == (1, 0)
    assert not exists(conn, partition_name("performance_monitoring", held))
    assert scalar(conn, "SELECT count(*) FROM monitoring.performance_monitoring") == 2  # the writes


def test_writers_do_not_queue_behind_a_retention_job_waiting_for_a_reader(
    dsn: str, conn: Conn
) -> None:
    _expired_day(conn, "performance_monitoring")
    results: list[Any] = []
    with psycopg.connect(dsn) as reader:
        reader.execute("SELECT count(*) FROM monitoring.performance_monitoring").fetchone()

        def job() -> None:
            with psycopg.connect(dsn, autocommit=True) as c:
                results.append(
                    c.execute("CALL monitoring.run_retention(p_attempts => 3)").fetchone()
                )

        thread = threading.Thread(target=job)
        thread.start()
        try:
            # While the job keeps retrying the busy partition, writes go through.
            for _ in range(5):
                assert _writes_while(dsn) == ["ok"]
        finally:
            thread.join(timeout=30)
    assert results and results[0][:2] == (0, 1)


def test_a_partition_detached_but_not_dropped_is_dropped_by_the_next_run(conn: Conn) -> None:
    day = _expired_day(conn, "queue_monitoring")
    name = partition_name("queue_monitoring", day)
    conn.execute(f"ALTER TABLE monitoring.queue_monitoring DETACH PARTITION monitoring.{name}")
    assert [tuple(r) for r in conn.execute("SELECT * FROM monitoring.expired_partitions()")] == [
        ("queue_monitoring", name, False)
    ]
    assert _call_retention(conn)[:2] == (1, 0)
    assert not exists(conn, name)


def test_manual_cleanup_skips_a_busy_partition_instead_of_waiting(dsn: str, conn: Conn) -> None:
    held = _expired_day(conn, "performance_monitoring")
    free = _expired_day(conn, "queue_monitoring")
    with psycopg.connect(dsn) as reader:
        reader.execute("SELECT count(*) FROM monitoring.performance_monitoring").fetchone()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("SET statement_timeout = '10s'")
            result = {
                r[0]: (r[1], r[2])
                for r in admin.execute("SELECT * FROM monitoring.cleanup_old_monitoring_data()")
            }
    assert result["performance_monitoring"][0] == 0
    assert result["queue_monitoring"][0] == 1
    assert exists(conn, partition_name("performance_monitoring", held))
    assert not exists(conn, partition_name("queue_monitoring", free))


def test_the_cleanup_job_is_the_committing_procedure(conn: Conn) -> None:
    assert (
        scalar(
            conn,
            "SELECT command FROM monitoring.job_definitions() WHERE job_name = 'pgvigil-cleanup'",
        )
        == "CALL monitoring.run_retention()"
    )
