"""pgvigil's JSON API against a real server and database: what each
endpoint answers matches the database, and what it writes is there after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, rows, scalar
from serving import Serving, make_key
from signals import add_errors, add_tasks, queue_sample, report_health, start_task

RULE: dict[str, Any] = {
    "name": "cpu_high",
    "source": {"kind": "metric", "metric_name": "cpu"},
    "aggregate": "last",
    "window": "5m",
    "group_by": ["component"],
    "thresholds": {"high": 80},
}


@pytest.fixture
def serving(dsn: str) -> Iterator[Serving]:
    s = Serving(dsn)
    yield s
    s.stop()


@pytest.fixture
def viewer(conn: Conn) -> str:
    return make_key(conn, "viewer", "laptop")


@pytest.fixture
def operator(conn: Conn) -> str:
    return make_key(conn, "operator", "oncall")


def fire(conn: Conn, component: str = "web", value: float = 95) -> int:
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (Jsonb(RULE),))
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu', 'gauge', %s, 'percent', %s, '{}')",
        (value, component),
    )
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    return int(
        scalar(conn, "SELECT alert_id FROM monitoring.alerts WHERE subject = %s", (component,))
    )


def test_the_overview_is_the_dashboard_summary(conn: Conn, serving: Serving, viewer: str) -> None:
    add_tasks(conn, "etl", [1.0, 2.0, 3.0], ["completed", "completed", "failed"])
    add_errors(conn, "api", 4, minutes_ago=2)
    report_health(conn, "db", "unhealthy", 5)
    queue_sample(conn, "jobs", 12, 3)
    with serving.client(viewer) as client:
        overview = client.get("/api/v1/overview").json()
    summary = scalar(conn, "SELECT monitoring.get_dashboard_summary()")
    for part in ("tasks", "errors", "health", "queues", "alerts"):
        assert overview[part] == summary[part], part
    assert overview["errors"]["last_hour"] == 4
    assert overview["queues"][0]["pending"] == 12


def test_alerts_listed_filtered_acknowledged_and_resolved(
    conn: Conn, serving: Serving, viewer: str, operator: str
) -> None:
    web, db = fire(conn, "web"), fire(conn, "db")
    with serving.client(viewer) as client:
        every = client.get("/api/v1/alerts").json()
        only_db = client.get("/api/v1/alerts", params={"matcher": 'component="db"'}).json()
        seed = client.get("/alerts").json()
    assert {a["alert_id"] for a in every} == {web, db} == {a["alert_id"] for a in seed}
    assert [a["alert_id"] for a in only_db] == [db]
    assert only_db[0]["labels"]["component"] == "db"
    with serving.client(operator) as client:
        acked = client.post(f"/api/v1/alerts/{web}/acknowledge", json={"note": "rebooting"})
        again = client.post(f"/api/v1/alerts/{web}/acknowledge")
        resolved = client.post(f"/api/v1/alerts/{db}/resolve", json={"note": "fixed"})
        detail = client.get(f"/api/v1/alerts/{web}").json()
        history = client.get("/api/v1/alerts/history").json()
    assert acked.json() == {"alert_id": web, "changed": True}
    assert again.json() == {"alert_id": web, "changed": False}
    assert resolved.json() == {"alert_id": db, "changed": True}
    row = one(
        conn, "SELECT status, acknowledged_by FROM monitoring.alerts WHERE alert_id = %s", (web,)
    )
    assert row == {"status": "acknowledged", "acknowledged_by": "oncall"}
    assert (
        scalar(conn, "SELECT status FROM monitoring.alerts WHERE alert_id = %s", (db,))
        == "resolved"
    )
    assert [e["transition"] for e in detail["timeline"]][-1] == "acknowledged"
    assert detail["timeline"][-1]["note"] == "rebooting"
    assert {e["alert_id"] for e in history} == {web, db}


def test_rules_created_tested_disabled_and_deleted(
    conn: Conn, serving: Serving, operator: str
) -> None:
    with serving.client(operator) as client:
        created = client.post("/api/v1/rules", json=RULE)
        seeded = client.post("/alerts", json={**RULE, "name": "cpu_from_seed"})
        listed = client.get("/api/v1/rules").json()
        conn.execute(
            "SELECT monitoring.record_performance_metric('cpu', 'gauge', 91, 'percent', 'web', '{}')"
        )
        preview = client.post("/api/v1/rules/test", json=RULE).json()
        replaced = client.put("/api/v1/rules/cpu_high", json={**RULE, "thresholds": {"high": 99}})
        disabled = client.put("/api/v1/rules/cpu_high/enabled", json={"enabled": False})
        mismatch = client.put("/api/v1/rules/cpu_high", json={**RULE, "name": "other"})
        deleted = client.delete("/api/v1/rules/cpu_from_seed")
    assert created.status_code == 201 and created.json()["rule_name"] == "cpu_high"
    assert seeded.status_code == 201
    assert {"cpu_high", "cpu_from_seed"} <= {r["rule_name"] for r in listed}
    assert [(p["severity"], p["would_be"]) for p in preview] == [("high", "firing")]
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts") == 0  # a test writes nothing
    assert disabled.json()["changed"] is True
    assert replaced.json()["thresholds"] == {"high": 99}
    assert mismatch.status_code == 422
    assert deleted.json() == {"rule_name": "cpu_from_seed", "deleted": True}
    names = {
        r["rule_name"]: r["enabled"]
        for r in rows(conn, "SELECT rule_name, enabled FROM monitoring.v_alert_rules")
    }
    assert "cpu_from_seed" not in names
    assert names["cpu_high"] is False


def test_silences_created_listed_and_expired(conn: Conn, serving: Serving, operator: str) -> None:
    with serving.client(operator) as client:
        created = client.post(
            "/api/v1/silences",
            json={"matchers": ['component="web"'], "comment": "deploy", "duration": "2h"},
        )
        silence_id = created.json()["silence_id"]
        listed = client.get("/api/v1/silences").json()
        expired = client.delete(f"/api/v1/silences/{silence_id}")
        after = client.get("/api/v1/silences").json()
        with_expired = client.get("/api/v1/silences", params={"expired": "true"}).json()
    assert created.status_code == 201
    assert created.json()["state"] == "active" and created.json()["created_by"] == "oncall"
    assert [s["silence_id"] for s in listed] == [silence_id]
    assert expired.json() == {"silence_id": silence_id, "expired": True}
    assert after == [] and [s["state"] for s in with_expired] == ["expired"]
    audit = rows(
        conn,
        "SELECT action, on_behalf_of FROM monitoring.audit_log"
        " WHERE action LIKE '%%silence' ORDER BY id",
    )
    assert [(a["action"], a["on_behalf_of"]) for a in audit] == [
        ("create_silence", "key:oncall"),
        ("expire_silence", "key:oncall"),
    ]


def test_receivers_and_the_log_show_no_secret(
    conn: Conn, serving: Serving, viewer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = {
        "route": {"receiver": "hooks"},
        "receivers": [{"name": "hooks", "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK"}]}],
    }
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )
    conn.execute("SELECT monitoring.send_test_notification('hooks')")
    with serving.client(viewer) as client:
        receivers = client.get("/api/v1/receivers")
        log = client.get("/api/v1/notifications", params={"receiver": "hooks"})
    assert [r["receiver"] for r in receivers.json()] == ["hooks"]
    assert [n["status"] for n in log.json()] == ["pending"]
    assert "PGVIGIL_TEST_HOOK" not in receivers.text + log.text  # not even where it is read from


def test_components_tasks_errors_and_metric_history(
    conn: Conn, serving: Serving, viewer: str
) -> None:
    conn.execute(
        "SELECT monitoring.put_component('checkout', %s)", (Jsonb({"criticality": "high"}),)
    )
    report_health(conn, "checkout", "degraded", 30)
    add_tasks(conn, "etl", [1.0, 3.0], ["completed", "failed"])
    add_errors(conn, "checkout", 3, severity="high", minutes_ago=5)
    for value in (10, 30):
        conn.execute(
            "SELECT monitoring.record_performance_metric('latency', 'gauge', %s, 'ms', 'checkout', '{}')",
            (value,),
        )
    conn.execute("CALL monitoring.refresh_rollups()")
    month_ago = (datetime.now(timezone.utc) - timedelta(days=30)).isoformat()
    with serving.client(viewer) as client:
        components = client.get("/api/v1/components").json()
        checkout = client.get("/api/v1/components/checkout").json()
        missing = client.get("/api/v1/components/nowhere")
        tasks = client.get("/api/v1/tasks", params={"task_type": "etl"}).json()
        errors = client.get("/api/v1/errors", params={"component": "checkout"}).json()
        day = client.get("/api/v1/metrics/latency/history").json()
        month = client.get("/api/v1/metrics/latency/history", params={"since": month_ago}).json()
        naive = client.get(
            "/api/v1/metrics/latency/history", params={"since": "2026-01-01T00:00:00"}
        )
    assert "checkout" in {c["component"] for c in components}
    assert checkout["registry"]["criticality"] == "high"
    assert [h["status"] for h in checkout["health"]] == ["degraded"]
    assert missing.status_code == 404
    assert [s["task_type"] for s in tasks["status"]] == ["etl"]
    assert sum(h["ended"] for h in tasks["history"]) == 2 and tasks["bucket"] == "5m"
    assert sum(e["error_count"] for e in errors) == 3
    assert day["bucket"] == "5m" and month["bucket"] == "1h"
    for history in (day, month):
        assert sum(p["samples"] for p in history["points"]) == 2
        assert max(p["max_value"] for p in history["points"]) == 30
    assert naive.status_code == 422 and naive.json()["error"]["code"] == "PV715"


def test_a_component_lists_its_open_alerts_and_the_metrics_are_listed(
    conn: Conn, serving: Serving, viewer: str
) -> None:
    report_health(conn, "db", "unhealthy", 600, "disk full")
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    conn.execute(
        "SELECT monitoring.record_performance_metric('latency', 'gauge', 12, 'ms', 'checkout', '{}')"
    )
    [alert_id] = [r["alert_id"] for r in rows(conn, "SELECT alert_id FROM monitoring.alerts"
                                                    " WHERE component = 'db'")]  # fmt: skip
    with serving.client(viewer) as client:
        db = client.get("/api/v1/components/db").json()
        names = client.get("/api/v1/metrics").json()
    # The alert's subject is "api/db" and its labels name component_name: the
    # alert's component column is what ties it to the component.
    assert [a["alert_id"] for a in db["open_alerts"]] == [alert_id]
    assert {"metric_name": "latency", "unit": "ms", "components": ["checkout"]}.items() <= next(
        n for n in names if n["metric_name"] == "latency"
    ).items()


def test_task_runs_are_listed_with_their_errors(conn: Conn, serving: Serving, viewer: str) -> None:
    add_tasks(conn, "etl", [1.0, 2.0, 3.0], ["completed", "failed", "completed"])
    add_tasks(conn, "ocr", [4.0], ["failed"])
    start_task(conn, "ocr-running", "ocr", 30)
    [failed_etl] = [r["task_id"] for r in rows(conn, "SELECT task_id FROM monitoring.processing_metrics"
                                                     " WHERE task_type = 'etl' AND status = 'failed'")]  # fmt: skip
    for message in ("first", "the last one"):
        conn.execute(
            "SELECT monitoring.record_error(%s, 'processing_error', 'high', %s, 'etl-worker')",
            (failed_etl, message),
        )
    with serving.client(viewer) as client:
        every = client.get("/api/v1/tasks/runs").json()
        failed = client.get("/api/v1/tasks/runs", params={"status": "failed"}).json()
        etl_failed = client.get(
            "/api/v1/tasks/runs", params={"status": "failed", "task_type": "etl"}
        ).json()
        two = client.get("/api/v1/tasks/runs", params={"limit": 2}).json()
        bad = client.get("/api/v1/tasks/runs", params={"status": "exploded"})
    assert len(every) == 5
    assert [t["start_time"] for t in every] == sorted(
        (t["start_time"] for t in every), reverse=True
    )
    assert {t["task_type"] for t in failed} == {"etl", "ocr"} and len(failed) == 2
    [one] = etl_failed
    assert (one["task_id"], one["errors"], one["last_error"]) == (failed_etl, 2, "the last one")
    [running] = [t for t in every if t["status"] == "running"]
    assert running["task_id"] == "ocr-running" and running["running_seconds"] >= 29
    assert len(two) == 2
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "PV002")


def test_reports_time_alerts_and_components(
    conn: Conn, serving: Serving, viewer: str, operator: str
) -> None:
    handled, left_open = fire(conn, "web"), fire(conn, "db")
    # The first alert: breached 30 s before it was raised, acknowledged after
    # 60 s, resolved after 300 s (times set in the table, as if it had taken that).
    conn.execute(
        "UPDATE monitoring.alerts SET breached_at = triggered_at - interval '30 seconds',"
        " acknowledged_at = triggered_at + interval '60 seconds', acknowledged_by = 'x',"
        " resolved_at = triggered_at + interval '300 seconds', status = 'resolved'"
        " WHERE alert_id = %s",
        (handled,),
    )
    conn.execute("UPDATE monitoring.alerts SET breached_at = triggered_at WHERE alert_id = %s",
                 (left_open,))  # fmt: skip
    for status, minutes_ago in (("healthy", 60), ("unhealthy", 30), ("healthy", 15)):
        conn.execute(
            "SELECT monitoring.update_system_health('api', 'db', %s, 5, NULL, NULL,"
            " now() - make_interval(mins => %s))",
            (status, minutes_ago),
        )
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    with serving.client(viewer) as client:
        report = client.get("/api/v1/reports", params={"since": since}).json()
        too_long = client.get(
            "/api/v1/reports",
            params={"since": (datetime.now(timezone.utc) - timedelta(days=400)).isoformat()},
        )
    [cpu, everything] = report["alerts"]
    assert (cpu["rule_name"], everything["rule_name"]) == ("cpu_high", "(all)")
    assert (cpu["alerts"], cpu["acknowledged"], cpu["resolved"], cpu["still_open"]) == (2, 1, 1, 1)
    assert cpu["mean_time_to_detect_seconds"] == pytest.approx(15)  # (30 + 0) / 2
    assert cpu["mean_time_to_acknowledge_seconds"] == pytest.approx(60)
    assert cpu["mean_time_to_resolve_seconds"] == pytest.approx(300)
    [db] = [c for c in report["components"] if c["component_name"] == "db"]
    # Observed for the last hour: healthy 30 + 15 minutes, unhealthy 15.
    assert db["observed_seconds"] == pytest.approx(3600, abs=5)
    assert db["unhealthy_seconds"] == pytest.approx(900, abs=1)
    assert float(db["uptime_ratio"]) == pytest.approx(0.75, abs=0.002)
    assert db["incidents"] == 1
    assert db["mean_time_to_recovery_seconds"] == pytest.approx(900, abs=1)
    assert (too_long.status_code, too_long.json()["error"]["code"]) == (422, "PV004")


def test_admins_make_and_revoke_keys_over_the_api(conn: Conn, serving: Serving) -> None:
    admin = make_key(conn, "admin", "root-laptop")
    with serving.client(admin) as client:
        made = client.post("/api/v1/keys", json={"name": "grafana", "role": "viewer"})
        key = made.json()["key"]
        listed = client.get("/api/v1/keys").json()
        bad = client.post("/api/v1/keys", json={"name": "x", "role": "superuser"})
    assert made.status_code == 201 and key.startswith("pgv_")
    assert {k["name"] for k in listed} == {"root-laptop", "grafana"}
    assert all("hash" not in str(k) and key not in str(k) for k in listed)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "PV701")
    with serving.client(key) as client:
        assert client.get("/api/v1/alerts").status_code == 200
    with serving.client(admin) as client:
        revoked = client.delete(f"/api/v1/keys/{made.json()['key_id']}")
    assert revoked.json()["revoked"] is True
    with serving.client(key) as client:
        assert client.get("/api/v1/alerts").status_code == 401
    assert scalar(conn, "SELECT created_by FROM monitoring.v_api_keys WHERE name = 'grafana'") == (
        "key:root-laptop"
    )
