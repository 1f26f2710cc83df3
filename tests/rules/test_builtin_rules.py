"""The original design's six checks as shipped rules: they are rules like any
other (listed, labelled, fingerprinted, disabled like a user's), they follow
alert_thresholds and alert_settings as the checks did, the check functions
evaluate them and leave what cleared to resolve_resolved_alerts() as the
design does, and alerts the old checks raised before an upgrade are taken
over or resolved, never duplicated. (tests/alerts and tests/design check
that they raise what the checks raised.)"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, rows, scalar
from signals import add_errors, add_tasks, delete_errors, report_health

BUILTIN = {
    "error_rate",
    "slow_processing",
    "task_failure_rate",
    "stuck_tasks",
    "component_health",
    "queue_backlog",
}


def open_alerts(conn: Conn) -> list[tuple[str, str]]:
    return [
        (r["alert_key"], r["severity"])
        for r in rows(
            conn,
            "SELECT alert_key, severity FROM monitoring.alerts WHERE resolved_at IS NULL ORDER BY 1",
        )
    ]


def test_the_six_checks_are_shipped_rules(conn: Conn) -> None:
    listed = {r["rule_name"]: r for r in rows(conn, "SELECT * FROM monitoring.v_alert_rules")}
    assert listed.keys() >= BUILTIN
    shipped = {
        r["rule_name"]
        for r in rows(conn, "SELECT rule_name FROM monitoring_internal.shipped_alert_rules")
    }
    assert shipped >= BUILTIN
    checked = {
        name
        for r in rows(conn, "SELECT rule_names FROM monitoring_internal.builtin_check_rules()")
        for name in r["rule_names"]
    }
    assert checked == BUILTIN


def test_a_builtin_alert_has_labels_and_a_fingerprint(conn: Conn) -> None:
    add_errors(conn, "api", 30, "high")
    assert scalar(conn, "SELECT monitoring.check_error_rate_alerts()") == 1
    alert = one(conn, "SELECT * FROM monitoring.alerts")
    assert alert["rule_name"] == "error_rate"
    assert alert["labels"] == {
        "alertname": "error_rate",
        "component": "api",
        "severity": "low",
        "category": "errors",
    }
    assert alert["fingerprint"] == scalar(
        conn, "SELECT monitoring.alert_fingerprint(%s)", (Jsonb(alert["labels"]),)
    )
    assert alert["details"]["high_or_critical_count"] == 30
    assert (
        alert["message"]
        == "30 errors in the last 60 minutes in api (30 per hour; low threshold 25 per hour)"
    )


def test_the_builtin_rules_follow_alert_thresholds_and_alert_settings(conn: Conn) -> None:
    add_tasks(conn, "ocr", [200.0, 200.0, 200.0])  # 3 tasks: fewer than processing_min_tasks (5)
    assert scalar(conn, "SELECT monitoring.check_processing_performance_alerts()") == 0
    conn.execute(
        "SELECT monitoring.patch_config(%s)",
        (
            Jsonb(
                {
                    "alert_settings": {"processing_min_tasks": 3, "processing_percentile": 0.5},
                    "alert_thresholds": {
                        "processing_times": {
                            "low": 100,
                            "medium": 150,
                            "high": 190,
                            "critical": 900,
                        }
                    },
                }
            ),
        ),
    )
    compiled = one(conn, "SELECT * FROM monitoring.alert_rules WHERE rule_name = 'slow_processing'")
    assert compiled["min_samples"] == 3
    assert compiled["source_filter"] == {"quantile": 0.5}
    assert compiled["thresholds"]["high"] == 190
    assert scalar(conn, "SELECT monitoring.check_processing_performance_alerts()") == 1
    alert = one(conn, "SELECT * FROM monitoring.alerts")
    assert (alert["alert_key"], alert["severity"]) == ("slow_processing:ocr", "high")
    assert alert["message"].startswith(
        "p50 of 3 ocr tasks that ended in the last 60 minutes took 200 s"
    )


def test_an_unhealthy_component_turns_critical_after_the_configured_time(conn: Conn) -> None:
    conn.execute(
        "SELECT monitoring.patch_config(%s)",
        (Jsonb({"alert_thresholds": {"unhealthy_seconds": {"critical": 120}}}),),
    )
    report_health(conn, "main", "unhealthy", 60)
    assert scalar(conn, "SELECT monitoring.check_system_health_alerts()") == 1
    assert open_alerts(conn) == [("component_health:api/main", "high")]
    report_health(
        conn, "main", "unhealthy", 200
    )  # a new report, the status unchanged since 200 s ago
    conn.execute(
        "UPDATE monitoring.system_health SET status_since = now() - interval '200 seconds'"
    )
    conn.execute("SELECT monitoring.check_system_health_alerts()")
    assert open_alerts(conn) == [("component_health:api/main", "critical")]


def test_checks_leave_what_cleared_to_resolve_resolved_alerts(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    conn.execute("SELECT monitoring.check_error_rate_alerts()")
    delete_errors(conn, "api")
    assert scalar(conn, "SELECT monitoring.check_error_rate_alerts()") == 0
    assert open_alerts(conn) == [
        ("error_rate:api", "low")
    ]  # as in the design: raising and resolving are two steps
    assert scalar(conn, "SELECT monitoring.resolve_resolved_alerts()") == 1
    assert open_alerts(conn) == []


def test_the_evaluator_resolves_what_a_check_left_open(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    conn.execute("SELECT monitoring.check_error_rate_alerts()")
    delete_errors(conn, "api")
    conn.execute("SELECT monitoring.check_error_rate_alerts()")
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('worker')")
    resolved = one(conn, "SELECT * FROM monitoring.alerts")
    assert (resolved["status"], resolved["resolved_by"]) == ("resolved", "worker")


def test_a_disabled_builtin_rule_is_not_checked(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    conn.execute("SELECT monitoring.check_error_rate_alerts()")
    conn.execute("SELECT monitoring.set_alert_rule_enabled('error_rate', false)")
    assert open_alerts(conn) == []  # disabling ends its alerts
    assert scalar(conn, "SELECT monitoring.check_error_rate_alerts()") == 0
    assert open_alerts(conn) == []


def _legacy_alert(conn: Conn, key: str, **columns: Any) -> int:
    """An open alert as the pre-rule checks raised it: no rule, no labels."""
    alert_type, subject = key.split(":", 1)
    return scalar(
        conn,
        "INSERT INTO monitoring.alerts (alert_key, alert_type, subject, severity, title, message,"
        " current_value, threshold_value, details, triggered_by, last_seen_at)"
        " VALUES (%s, %s, %s, 'low', 'old', 'old', 1, 1, '{}', 'pg_cron', now() - interval '1 minute')"
        " RETURNING alert_id",
        (key, alert_type, subject),
    )


def test_an_alert_of_the_old_check_is_taken_over_by_its_rule(conn: Conn) -> None:
    old_id = _legacy_alert(conn, "error_rate:api")
    add_errors(conn, "api", 60)
    conn.execute("SELECT * FROM monitoring.run_monitoring_checks('pg_cron')")
    alert = one(conn, "SELECT * FROM monitoring.alerts")
    assert alert["alert_id"] == old_id
    assert (alert["rule_name"], alert["severity"], alert["status"]) == (
        "error_rate",
        "medium",
        "active",
    )
    assert alert["labels"]["alertname"] == "error_rate"
    assert alert["title"] == "High error rate in api"


def test_an_alert_of_the_old_check_resolves_once_its_check_runs(conn: Conn) -> None:
    _legacy_alert(conn, "queue_backlog:ingest")
    _legacy_alert(conn, "error_rate:api")
    conn.execute("SELECT monitoring.check_queue_backlog_alerts()")
    assert scalar(conn, "SELECT monitoring.resolve_resolved_alerts()") == 1
    assert open_alerts(conn) == [("error_rate:api", "low")]
