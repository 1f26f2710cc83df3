"""The component registry: components register on first sight in health
reports, errors and metrics; admins set labels, criticality, dependencies;
alerts about a component carry its labels; v_components shows each one's
health, open alerts and last report; bad settings are refused with their
own codes and change nothing."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, rows, scalar
from pgvigil.cli import main
from signals import add_errors, report_health


def register(conn: Conn) -> int:
    return scalar(conn, "SELECT monitoring_internal.register_components()")


def put(conn: Conn, name: str, settings: dict[str, Any]) -> None:
    conn.execute("SELECT monitoring.put_component(%s, %s)", (name, Jsonb(settings)))


def test_components_register_on_first_sight(conn: Conn) -> None:
    report_health(conn, "main", "healthy", 10)
    add_errors(conn, "billing", 2)
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu_percent', 'gauge', 12, 'percent', 'collector')"
    )
    assert register(conn) == 3
    found = {r["component"]: r for r in rows(conn, "SELECT * FROM monitoring.components")}
    assert found.keys() == {"main", "billing", "collector"}
    assert found["main"]["component_type"] == "api"
    assert found["main"]["seen_in"] == ["health"]
    assert found["billing"]["seen_in"] == ["errors"]
    assert found["collector"]["seen_in"] == ["metrics"]
    add_errors(conn, "main", 1)
    assert register(conn) == 0  # nothing new; main is now seen in errors too
    assert scalar(conn, "SELECT seen_in FROM monitoring.components WHERE component = 'main'") == [
        "errors",
        "health",
    ]


def test_run_monitoring_checks_registers_components(conn: Conn) -> None:
    add_errors(conn, "billing", 2)
    result = dict(
        (r["check_name"], r["alerts"])
        for r in rows(conn, "SELECT * FROM monitoring.run_monitoring_checks()")
    )
    assert result["register_components"] == 1


def test_alerts_about_a_component_carry_its_labels(conn: Conn) -> None:
    report_health(conn, "main", "unhealthy", 10, "connection refused")
    register(conn)
    put(conn, "main", {"labels": {"team": "payments", "env": "prod"}, "criticality": "critical"})
    conn.execute("SELECT monitoring.check_system_health_alerts()")
    alert = one(conn, "SELECT * FROM monitoring.alerts")
    assert alert["component"] == "main"
    assert alert["labels"]["team"] == "payments"
    assert alert["labels"]["env"] == "prod"
    assert alert["labels"]["alertname"] == "component_health"  # the alert's own labels win
    add_errors(conn, "main", 30)
    conn.execute("SELECT monitoring.check_error_rate_alerts()")
    error_alert = one(conn, "SELECT * FROM monitoring.alerts WHERE rule_name = 'error_rate'")
    assert error_alert["labels"]["team"] == "payments"


def test_v_components_shows_health_alerts_and_labels(conn: Conn) -> None:
    report_health(conn, "main", "unhealthy", 10, "connection refused")
    add_errors(conn, "billing", 1)
    register(conn)
    put(conn, "main", {"depends_on": ["billing"], "description": "the API"})
    conn.execute("SELECT monitoring.check_system_health_alerts()")
    found = {r["component"]: r for r in rows(conn, "SELECT * FROM monitoring.v_components")}
    assert found["main"]["health_status"] == "unhealthy"
    assert found["main"]["failure_reason"] == "connection refused"
    assert (found["main"]["open_alerts"], found["main"]["top_severity"]) == (1, "high")
    assert found["main"]["depends_on"] == ["billing"]
    assert found["billing"]["health_status"] is None
    assert found["billing"]["open_alerts"] == 0
    assert found["billing"]["last_report_at"] is not None
    assert (
        scalar(conn, "SELECT count(*) FROM monitoring.audit_log WHERE action = 'change_component'")
        == 1
    )


def test_settings_given_replace_and_the_rest_stays(conn: Conn) -> None:
    put(conn, "api", {"labels": {"team": "a"}, "criticality": "high"})
    put(conn, "api", {"description": "front door"})
    row = one(conn, "SELECT * FROM monitoring.components WHERE component = 'api'")
    assert (row["labels"], row["criticality"], row["description"]) == (
        {"team": "a"},
        "high",
        "front door",
    )
    put(conn, "api", {"criticality": None, "labels": None})
    row = one(conn, "SELECT * FROM monitoring.components WHERE component = 'api'")
    assert (row["labels"], row["criticality"]) == ({}, None)


BAD_SETTINGS: list[tuple[str, Any]] = [
    ("PV521", {"colour": "red"}),
    ("PV521", {"criticality": "urgent"}),
    ("PV521", {"labels": {"team": 1}}),
    ("PV521", {"labels": {"alertname": "x"}}),
    ("PV521", {"labels": {"bad-name": "x"}}),
    ("PV521", {"depends_on": "db"}),
    ("PV521", {"component_type": ""}),
    ("PV522", {"depends_on": ["nowhere"]}),
    ("PV523", {"depends_on": ["api"]}),  # itself
]


@pytest.mark.parametrize(("code", "settings"), BAD_SETTINGS)
def test_bad_settings_get_their_code_and_change_nothing(
    conn: Conn, code: str, settings: Any
) -> None:
    put(conn, "db", {"labels": {"team": "dba"}})
    before = rows(conn, "SELECT * FROM monitoring.components ORDER BY component")
    with pytest.raises(psycopg.Error) as error:
        put(conn, "api", settings)
    assert error.value.diag.sqlstate == code
    assert error.value.diag.message_hint
    assert rows(conn, "SELECT * FROM monitoring.components ORDER BY component") == before


def test_a_dependency_cycle_is_refused(conn: Conn) -> None:
    put(conn, "a", {})
    put(conn, "b", {"depends_on": ["a"]})
    put(conn, "c", {"depends_on": ["b"]})
    with pytest.raises(psycopg.Error) as error:
        put(conn, "a", {"depends_on": ["c"]})
    assert error.value.diag.sqlstate == "PV523"
    assert "a -> c -> b -> a" in (error.value.diag.message_primary or "")
    assert scalar(conn, "SELECT depends_on FROM monitoring.components WHERE component = 'a'") == []


def test_delete_component(conn: Conn) -> None:
    put(conn, "a", {})
    put(conn, "b", {"depends_on": ["a"]})
    with pytest.raises(psycopg.Error) as error:
        conn.execute("SELECT monitoring.delete_component('a')")
    assert error.value.diag.sqlstate == "PV523"
    conn.execute("SELECT monitoring.delete_component('b')")
    conn.execute("SELECT monitoring.delete_component('a')")
    assert scalar(conn, "SELECT count(*) FROM monitoring.components") == 0
    with pytest.raises(psycopg.Error) as error:
        conn.execute("SELECT monitoring.delete_component('a')")
    assert error.value.diag.sqlstate == "PV522"


def test_components_cli(dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]) -> None:
    report_health(conn, "main", "degraded", 10)
    register(conn)
    assert (
        main(
            [
                "--database",
                dsn,
                "components",
                "set",
                "main",
                "--label",
                "team=core",
                "--criticality",
                "high",
                "--type",
                "api",
            ]
        )  # fmt: skip
        == 0
    )
    assert main(["--database", dsn, "components", "list"]) == 0
    out = capsys.readouterr().out
    assert "main" in out and "degraded" in out and "team=core" in out
    assert main(["--database", dsn, "components", "set", "main", "--criticality", "urgent"]) == 2
    assert main(["--database", dsn, "components", "set", "main", "--label", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "PV521" in err
    assert main(["--database", dsn, "components", "delete", "nowhere"]) == 2
    assert "PV522" in capsys.readouterr().err
