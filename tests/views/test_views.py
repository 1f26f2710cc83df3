"""The dashboard views and get_dashboard_summary() return the right numbers.

Each view is fed known data (event times placed in the past through the
recording functions' p_event_time) and checked value by value.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from dbhelpers import Conn, db_now, rows, scalar

VIEWS = [
    "v_active_alerts",
    "v_alert_history",
    "v_alert_rules",
    "v_api_keys",
    "v_components",
    "v_error_summary",
    "v_escalations",
    "v_notification_log",
    "v_notification_receivers",
    "v_performance_history",
    "v_performance_trends",
    "v_queue_performance",
    "v_realtime_processing_status",
    "v_silences",
    "v_system_health_summary",
    "v_task_history",
    "v_task_trends",
    "v_web_users",
]

# One database for the module, emptied before each test: a fresh database
# per test (the conftest ``dsn`` fixture) costs a CREATE DATABASE each, and
# these tests only need empty tables and the default config.


# --- helpers -------------------------------------------------------------------------

_ids = itertools.count()


def add_tasks(
    conn: Conn,
    task_type: str,
    durations: list[float],
    status: str = "completed",
    ended_ago_seconds: float = 60,
) -> None:
    ended = db_now(conn) - timedelta(seconds=ended_ago_seconds)
    for duration in durations:
        task_id = f"{task_type}-{next(_ids)}"
        conn.execute(
            "SELECT monitoring.start_task_tracking(%s, %s, NULL, NULL, NULL, %s)",
            (task_id, task_type, ended - timedelta(seconds=duration)),
        )
        conn.execute(
            "SELECT monitoring.complete_task_tracking(%s, %s, NULL, NULL, %s)",
            (task_id, status, ended),
        )


def start_task(conn: Conn, task_type: str, seconds_ago: float) -> None:
    conn.execute(
        "SELECT monitoring.start_task_tracking(%s, %s, NULL, NULL, NULL,"
        " now() - make_interval(secs => %s))",
        (f"{task_type}-{next(_ids)}", task_type, seconds_ago),
    )


def add_error(
    conn: Conn, at: datetime, component: str, severity: str, message: str, task: str | None = None
) -> None:
    conn.execute(
        "SELECT monitoring.record_error(%s, 'timeout', %s, %s, %s, NULL, NULL, %s)",
        (task, severity, message, component, at),
    )


def report_health(conn: Conn, name: str, status: str, at: datetime) -> None:
    conn.execute(
        "SELECT monitoring.update_system_health('api', %s, %s, NULL, NULL, NULL, %s)",
        (name, status, at),
    )


def bucket_an_hour_ago(conn: Conn) -> datetime:
    return scalar(
        conn,
        "SELECT date_bin('5 minutes', now() - interval '1 hour',"
        " TIMESTAMPTZ '2000-01-01 00:00:00+00')",
    )


def columns(conn: Conn, view: str) -> list[str]:
    cur = conn.execute(sql.SQL("SELECT * FROM monitoring.{} LIMIT 0").format(sql.Identifier(view)))
    assert cur.description is not None
    return [c.name for c in cur.description]


# --- every view -------------------------------------------------------------------------


def test_the_views_exist_and_each_has_a_comment(conn: Conn) -> None:
    found = rows(
        conn,
        "SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment FROM pg_class AS c"
        " WHERE c.relnamespace = 'monitoring'::regnamespace AND c.relkind = 'v' ORDER BY 1",
    )
    assert [r["relname"] for r in found] == VIEWS
    for row in found:
        assert row["comment"] and len(row["comment"].strip()) > 20, row["relname"]


@pytest.mark.parametrize(
    "view",
    [
        "v_error_summary",
        "v_queue_performance",
        "v_performance_trends",
        "v_performance_history",
        "v_task_trends",
        "v_task_history",
    ],
)
def test_time_series_views_have_a_time_column(conn: Conn, view: str) -> None:
    assert columns(conn, view)[0] == "time"
    assert (
        scalar(
            conn,
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attname = 'time'",
            (f"monitoring.{view}",),
        )
        == "timestamp with time zone"
    )


@pytest.mark.parametrize(
    "view", [v for v in VIEWS if v not in ("v_alert_rules", "v_notification_receivers")]
)
def test_views_are_empty_on_an_empty_database(conn: Conn, view: str) -> None:
    assert rows(conn, sql.SQL("SELECT * FROM monitoring.{}").format(sql.Identifier(view))) == []


def test_v_notification_receivers_lists_the_shipped_receiver_idle(conn: Conn) -> None:
    [row] = rows(conn, "SELECT * FROM monitoring.v_notification_receivers")
    assert (row["receiver"], row["integrations"], row["pending"], row["delivered_24h"]) == (
        "default",
        [],
        0,
        0,
    )
    assert row["last_error"] is None


def test_v_alert_rules_lists_the_shipped_rules_on_an_empty_database(conn: Conn) -> None:
    found = rows(
        conn,
        "SELECT rule_name, shipped, pending_groups, firing_alerts FROM monitoring.v_alert_rules",
    )
    assert found == [
        {"rule_name": name, "shipped": True, "pending_groups": 0, "firing_alerts": 0}
        for name in (
            "PgvigilEvaluationStalled",
            "PgvigilIntegrationDisabled",
            "PgvigilJobFailing",
            "Watchdog",
            "component_health",
            "cpu_usage_high",
            "disk_usage_high",
            "error_rate",
            "memory_usage_high",
            "queue_backlog",
            "slow_processing",
            "stuck_tasks",
            "task_failure_rate",
        )
    ]


# --- v_realtime_processing_status ----------------------------------------------------------


def test_realtime_processing_status(conn: Conn) -> None:
    add_tasks(conn, "ocr", [10, 20, 30])
    add_tasks(conn, "ocr", [40], "failed")
    add_tasks(conn, "ocr", [50], "timeout")
    add_tasks(conn, "ocr", [60], "cancelled")
    add_tasks(conn, "ocr", [1000], ended_ago_seconds=2 * 3600)  # not in the last hour
    start_task(conn, "ocr", 100)
    start_task(conn, "ocr", 50)
    start_task(conn, "resize", 30)
    add_tasks(conn, "thumb", [4, 4], ended_ago_seconds=600)
    last_ended = scalar(
        conn,
        "SELECT max(end_time) FROM monitoring.processing_metrics"
        " WHERE task_type = 'ocr' AND end_time > now() - interval '1 hour'",
    )

    result = {r["task_type"]: r for r in rows(conn, "SELECT * FROM v_realtime_processing_status")}
    assert list(result) == ["ocr", "resize", "thumb"]
    ocr = result["ocr"]
    assert ocr["running_count"] == 2
    assert 100 <= ocr["oldest_running_seconds"] < 130
    assert ocr["completed_last_hour"] == 3
    assert ocr["failed_last_hour"] == 2
    assert ocr["cancelled_last_hour"] == 1
    assert ocr["throughput_per_minute"] == Decimal("0.10")
    assert ocr["failure_ratio"] == Decimal("0.3333")
    assert ocr["avg_duration_seconds"] == pytest.approx(35)
    assert ocr["p95_duration_seconds"] == pytest.approx(57.5)  # 50 + 0.75 * (60 - 50)
    assert ocr["last_ended_at"] == last_ended

    resize = result["resize"]
    assert resize["running_count"] == 1
    assert resize["completed_last_hour"] == 0
    assert resize["throughput_per_minute"] == Decimal("0.00")
    assert resize["failure_ratio"] is None
    assert resize["p95_duration_seconds"] is None

    thumb = result["thumb"]
    assert thumb["running_count"] == 0
    assert thumb["oldest_running_seconds"] is None
    assert thumb["completed_last_hour"] == 2
    assert thumb["failure_ratio"] == Decimal("0.0000")
    assert thumb["throughput_per_minute"] == Decimal("0.03")


# --- v_error_summary -------------------------------------------------------------------------


def test_error_summary_per_hour(conn: Conn) -> None:
    hour = scalar(conn, "SELECT date_trunc('hour', now()) - interval '3 hours'")
    minute = timedelta(minutes=1)
    add_error(conn, hour + 10 * minute, "api", "high", "first", "t1")
    add_error(conn, hour + 20 * minute, "api", "high", "second", "t1")
    add_error(conn, hour + 30 * minute, "api", "high", "third", "t2")
    add_error(conn, hour + 40 * minute, "api", "low", "minor")
    add_error(conn, hour + 70 * minute, "api", "high", "fourth", "t3")
    add_error(conn, hour + 15 * minute, "db", "high", "db error")
    add_error(conn, db_now(conn) - timedelta(hours=25), "api", "high", "too old")

    found = rows(
        conn,
        'SELECT "time", component, severity, error_count, affected_tasks, last_occurred_at,'
        " latest_message FROM v_error_summary",
    )
    expected = [
        (hour + timedelta(hours=1), "api", "high", 1, 1, hour + 70 * minute, "fourth"),
        (hour, "api", "high", 3, 2, hour + 30 * minute, "third"),
        (hour, "api", "low", 1, 0, hour + 40 * minute, "minor"),
        (hour, "db", "high", 1, 0, hour + 15 * minute, "db error"),
    ]
    got = [tuple(r.values()) for r in found]
    # Ordered by hour (newest first), then count; equal counts in any order.
    assert got[:2] == expected[:2]
    assert sorted(got[2:]) == sorted(expected[2:])


# --- v_system_health_summary ---------------------------------------------------------------


def test_system_health_summary_uptime_and_recovery(conn: Conn) -> None:
    t = db_now(conn)
    hours = timedelta(hours=1)
    report_health(conn, "main", "healthy", t - 30 * hours)  # before the 24 h window
    report_health(conn, "main", "unhealthy", t - 6 * hours)
    report_health(conn, "main", "healthy", t - 4 * hours)  # recovered after 2 h
    report_health(conn, "main", "degraded", t - 2 * hours)
    report_health(conn, "main", "unhealthy", t - 1.5 * hours)
    report_health(conn, "main", "healthy", t - 1 * hours)  # recovered after 1 h
    report_health(conn, "db", "unhealthy", t - 3 * hours)  # never healthy
    report_health(conn, "db", "unhealthy", t - 2 * hours)
    report_health(conn, "cache", "healthy", t - 2 * hours)

    found = {r["component_name"]: r for r in rows(conn, "SELECT * FROM v_system_health_summary")}
    assert list(found) == ["db", "cache", "main"]  # unhealthy first

    main = found["main"]
    assert main["status"] == "healthy"
    assert main["status_since"] == t - hours
    # Unhealthy or degraded 6h..4h and 2h..1h ago: 3 of the last 24 hours.
    assert main["uptime_ratio_24h"] == Decimal("0.8750")
    assert main["status_changes_24h"] == 5
    assert main["mean_time_to_recovery_seconds"] == pytest.approx((7200 + 3600) / 2)
    assert main["consecutive_failures"] == 0
    assert main["last_healthy_at"] == t - hours
    assert 3600 <= main["seconds_in_status"] < 3700

    db = found["db"]
    assert db["status"] == "unhealthy"
    assert db["uptime_ratio_24h"] == Decimal("0.0000")
    assert db["status_changes_24h"] == 0
    assert db["mean_time_to_recovery_seconds"] is None
    assert db["consecutive_failures"] == 2
    assert db["last_check_at"] == t - 2 * hours
    assert db["status_since"] == t - 3 * hours

    cache = found["cache"]
    assert cache["uptime_ratio_24h"] == Decimal("1.0000")
    assert cache["status_changes_24h"] == 0


# --- v_queue_performance -------------------------------------------------------------------


def test_queue_performance_in_five_minute_buckets(conn: Conn) -> None:
    bucket = bucket_an_hour_ago(conn)
    minute = timedelta(minutes=1)
    samples = [
        # offset, pending, processing, completed, failed, oldest age
        (1, 10, 1, 5, 1, 5.0),
        (2, 30, 2, 10, 0, 7.0),
        (3, 20, 3, 15, 2, 6.0),
        (6, 99, 9, 1, 1, None),  # next bucket
    ]
    for offset, pending, processing, completed, failed, age in samples:
        conn.execute(
            "SELECT monitoring.record_queue_stats('ingest', %s, %s, %s, %s, %s, %s)",
            (pending, processing, completed, failed, age, bucket + offset * minute),
        )
    conn.execute(
        "SELECT monitoring.record_queue_stats('ingest', 1, 0, 0, 0, NULL,"
        " now() - interval '25 hours')"
    )
    conn.execute(
        "SELECT monitoring.record_queue_stats('export', 4, 0, 0, 0, NULL, %s)", (bucket + minute,)
    )

    found = rows(conn, "SELECT * FROM v_queue_performance")
    assert [(r["time"], r["queue_name"]) for r in found] == [
        (bucket + 5 * minute, "ingest"),
        (bucket, "export"),
        (bucket, "ingest"),
    ]
    assert found[2] == {
        "time": bucket,
        "queue_name": "ingest",
        "samples": 3,
        "avg_pending": Decimal("20.0"),
        "max_pending": 30,
        "last_pending": 20,
        "avg_processing": Decimal("2.0"),
        "completed": 30,
        "failed": 3,
        "completed_per_minute": Decimal("6.00"),
        "max_oldest_pending_age_seconds": 7.0,
    }
    assert found[0]["samples"] == 1
    assert found[0]["last_pending"] == 99
    assert found[0]["max_oldest_pending_age_seconds"] is None


# --- v_performance_trends ------------------------------------------------------------------


def test_performance_trends_in_five_minute_buckets(conn: Conn) -> None:
    bucket = bucket_an_hour_ago(conn)
    minute = timedelta(minutes=1)
    for i, value in enumerate([4.0, 1.0, 3.0, 2.0]):
        conn.execute(
            "SELECT monitoring.record_performance_metric('cpu_usage', 'cpu', %s, '%%', 'system',"
            " NULL, %s)",
            (value, bucket + i * minute),
        )
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu_usage', 'cpu', 50, '%%', 'worker',"
        " NULL, %s)",
        (bucket + minute,),
    )
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu_usage', 'cpu', 70, '%%', 'system',"
        " NULL, %s)",
        (bucket + 5 * minute,),
    )
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu_usage', 'cpu', 90, '%%', 'system',"
        " NULL, now() - interval '25 hours')"
    )

    found = rows(conn, "SELECT * FROM v_performance_trends")
    assert [(r["time"], r["component"], r["samples"]) for r in found] == [
        (bucket + 5 * minute, "system", 1),
        (bucket, "system", 4),
        (bucket, "worker", 1),
    ]
    assert found[1] == {
        "time": bucket,
        "metric_name": "cpu_usage",
        "metric_type": "cpu",
        "component": "system",
        "unit": "%",
        "samples": 4,
        "avg_value": pytest.approx(2.5),
        "min_value": 1.0,
        "max_value": 4.0,
        # percentile_cont(0.95) of 1, 2, 3, 4 is 0.15 * 3 + 0.85 * 4 = 3.85; the estimate
        # takes 3 as the value of its bucket (within 2%) and 4 as the exact maximum.
        "p95_value": pytest.approx(3.85, abs=0.15 * 0.02 * 3),
    }
    assert found[1]["p95_value"] != 3.85  # an estimate, not the exact value
    assert found[2]["p95_value"] == 50.0  # one sample: the exact min and max
    # The same numbers once the rollups hold these minutes: the refresh stores the
    # p95 of the 5-minute buckets from the same sketches.
    conn.execute("CALL monitoring.refresh_rollups()")
    assert scalar(conn, "SELECT count(*) FROM monitoring.performance_rollup_minute") > 0
    assert rows(conn, "SELECT * FROM v_performance_trends") == found


# --- v_active_alerts --------------------------------------------------------------------------


def raise_alerts(conn: Conn) -> None:
    """error_rate:api low, queue_backlog:q critical, queue_backlog:r medium."""
    conn.execute(
        "SELECT monitoring.record_error(NULL, 'e', 'low', 'm', 'api', NULL, NULL,"
        " now() - interval '1 minute') FROM generate_series(1, 30)"
    )
    conn.execute(
        "SELECT monitoring.record_queue_stats('q', 600, 0, 0, 0, NULL, now() - interval '1 minute')"
    )
    conn.execute(
        "SELECT monitoring.record_queue_stats('r', 150, 0, 0, 0, NULL, now() - interval '1 minute')"
    )
    conn.execute("SELECT * FROM monitoring.run_monitoring_checks('scheduler')")


def test_active_alerts(conn: Conn) -> None:
    raise_alerts(conn)
    required = [
        "alert_id",
        "alert_type",
        "severity",
        "status",
        "subject",
        "title",
        "message",
        "triggered_at",
        "last_seen_at",
    ]
    assert set(required) <= set(columns(conn, "v_active_alerts"))
    ids = dict(conn.execute("SELECT alert_key, alert_id FROM monitoring.alerts").fetchall())
    conn.execute("SELECT monitoring.acknowledge_alert(%s, 'alice')", (ids["queue_backlog:r"],))
    conn.execute("SELECT monitoring.resolve_alert(%s, 'bob')", (ids["error_rate:api"],))

    found = rows(conn, "SELECT * FROM v_active_alerts")
    assert [(r["alert_type"], r["subject"], r["severity"], r["status"]) for r in found] == [
        ("queue_backlog", "q", "critical", "active"),
        ("queue_backlog", "r", "medium", "acknowledged"),
    ]
    first = found[0]
    stored = rows(
        conn, "SELECT * FROM monitoring.alerts WHERE alert_id = %s", (first["alert_id"],)
    )[0]
    for column in (
        "title",
        "message",
        "triggered_at",
        "last_seen_at",
        "triggered_by",
        "occurrence_count",
        "current_value",
        "threshold_value",
    ):
        assert first[column] == stored[column], column
    assert first["title"] == "Queue q backing up"
    assert first["triggered_by"] == "scheduler"
    assert first["age_seconds"] >= 0
    assert found[1]["acknowledged_by"] == "alice"


# --- get_dashboard_summary --------------------------------------------------------------------


def test_dashboard_summary_on_an_empty_database(conn: Conn) -> None:
    summary = scalar(conn, "SELECT monitoring.get_dashboard_summary()")
    assert set(summary) == {"generated_at", "tasks", "errors", "health", "queues", "alerts"}
    assert summary["tasks"]["by_status"] == {}
    assert summary["tasks"]["running"] == 0
    assert summary["tasks"]["completed_last_hour"] == 0
    assert summary["tasks"]["throughput_per_minute"] == 0
    assert summary["errors"]["last_24h"] == 0
    assert summary["errors"]["top_components"] == []
    assert summary["health"] == {"healthy": 0, "degraded": 0, "unhealthy": 0, "components": []}
    assert summary["queues"] == []
    assert summary["alerts"]["active"] == 0
    assert summary["alerts"]["items"] == []


def test_dashboard_summary(conn: Conn) -> None:
    now = db_now(conn)
    add_tasks(conn, "ocr", [10, 20, 30])
    add_tasks(conn, "ocr", [40], "failed")
    add_tasks(conn, "ocr", [50], "timeout")
    add_tasks(conn, "ocr", [3600], "cancelled", ended_ago_seconds=2 * 3600)
    add_tasks(conn, "ocr", [3600], "completed", ended_ago_seconds=29 * 3600)  # started 30 h ago
    start_task(conn, "ocr", 100)
    start_task(conn, "resize", 50)

    add_error(conn, now - timedelta(minutes=5), "api", "critical", "a")
    add_error(conn, now - timedelta(minutes=6), "api", "low", "b")
    add_error(conn, now - timedelta(minutes=7), "api", "low", "c")
    add_error(conn, now - timedelta(hours=5), "db", "medium", "d")
    add_error(conn, now - timedelta(hours=5), "db", "medium", "e")
    add_error(conn, now - timedelta(hours=30), "cache", "high", "too old")

    report_health(conn, "gateway", "healthy", now - timedelta(minutes=1))
    report_health(conn, "db", "degraded", now - timedelta(seconds=100))
    report_health(conn, "cache", "unhealthy", now - timedelta(seconds=400))

    for name, pending, minutes_ago in (("q1", 50, 10), ("q1", 5, 1), ("q2", 70, 2)):
        conn.execute(
            "SELECT monitoring.record_queue_stats(%s, %s, 1, 0, 0, NULL, %s)",
            (name, pending, now - timedelta(minutes=minutes_ago)),
        )

    conn.execute("SELECT * FROM monitoring.run_monitoring_checks()")
    keys = dict(conn.execute("SELECT alert_key, alert_id FROM monitoring.alerts").fetchall())
    assert set(keys) == {
        "task_failure_rate:ocr",  # 2 of 5 ended in the last hour: high
        "component_health:api/cache",  # unhealthy for 400 s: high
        "component_health:api/db",  # degraded for 100 s: medium
        "queue_backlog:q2",  # 70 pending: low
    }
    conn.execute("SELECT monitoring.acknowledge_alert(%s)", (keys["component_health:api/db"],))

    summary = scalar(conn, "SELECT monitoring.get_dashboard_summary()")
    assert set(summary) == {"generated_at", "tasks", "errors", "health", "queues", "alerts"}

    tasks = summary["tasks"]
    assert tasks["by_status"] == {
        "completed": 3,
        "failed": 1,
        "timeout": 1,
        "cancelled": 1,
        "running": 2,
    }
    assert tasks["running"] == 2
    assert tasks["completed_last_hour"] == 3
    assert tasks["failed_last_hour"] == 2
    assert tasks["throughput_per_minute"] == pytest.approx(0.08)
    assert tasks["avg_duration_seconds"] == pytest.approx(30)
    assert tasks["p95_duration_seconds"] == pytest.approx(48)  # 40 + 0.8 * (50 - 40)

    errors = summary["errors"]
    assert errors["last_hour"] == 3
    assert errors["last_24h"] == 5
    assert errors["by_severity"] == {"critical": 1, "high": 0, "medium": 2, "low": 2}
    assert errors["top_components"] == [
        {"component": "api", "errors": 3},
        {"component": "db", "errors": 2},
    ]

    health = summary["health"]
    assert (health["healthy"], health["degraded"], health["unhealthy"]) == (1, 1, 1)
    assert [(c["component_name"], c["status"]) for c in health["components"]] == [
        ("cache", "unhealthy"),
        ("db", "degraded"),
        ("gateway", "healthy"),
    ]

    assert [(q["queue_name"], q["pending"], q["processing"]) for q in summary["queues"]] == [
        ("q2", 70, 1),
        ("q1", 5, 1),
    ]

    alerts = summary["alerts"]
    assert alerts["active"] == 4
    assert alerts["by_severity"] == {"critical": 0, "high": 2, "medium": 1, "low": 1}
    assert alerts["acknowledged"] == 1
    assert [i["severity"] for i in alerts["items"]] == ["high", "high", "medium", "low"]
    assert {i["alert_id"] for i in alerts["items"]} == set(keys.values())
    assert [i["subject"] for i in alerts["items"][2:]] == ["api/db", "q2"]


def test_dashboard_summary_counts_only_open_alerts(conn: Conn) -> None:
    raise_alerts(conn)
    ids = dict(conn.execute("SELECT alert_key, alert_id FROM monitoring.alerts").fetchall())
    conn.execute("SELECT monitoring.resolve_alert(%s)", (ids["queue_backlog:q"],))
    alerts = scalar(conn, "SELECT monitoring.get_dashboard_summary()")["alerts"]
    assert alerts["active"] == 2
    assert alerts["by_severity"] == {"critical": 0, "high": 0, "medium": 1, "low": 1}
    assert sorted(i["alert_id"] for i in alerts["items"]) == sorted(
        [ids["error_rate:api"], ids["queue_backlog:r"]]
    )


@pytest.mark.parametrize("role", ["pgvigil_reader", "pgvigil_admin"])
def test_views_and_summary_are_readable_by_the_reader_roles(conn: Conn, role: str) -> None:
    """Views run their functions with the reader's privileges: none may need a helper."""
    raise_alerts(conn)
    conn.execute("SELECT monitoring.update_system_health('api', 'main', 'healthy')")
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    try:
        for view in VIEWS:
            if view in ("v_api_keys", "v_web_users") and role != "pgvigil_admin":
                continue  # admins only (tests/schema/test_privileges.py)
            try:
                conn.execute(
                    sql.SQL("SELECT * FROM monitoring.{}").format(sql.Identifier(view))
                ).fetchall()
            except psycopg.Error as exc:
                pytest.fail(f"{role} cannot read {view}: {exc}")
        severities = [r[0] for r in conn.execute("SELECT severity FROM monitoring.v_active_alerts")]
        assert severities == ["critical", "medium", "low"]
        summary = scalar(conn, "SELECT monitoring.get_dashboard_summary()")
        assert summary["alerts"]["active"] == 3
    finally:
        conn.execute("RESET ROLE")
