"""pgvigil's Alertmanager API v2, used by the real clients from Debian's
packages: a real Prometheus (2.42) with an alerting rule sends its alerts
to pgvigil and the notification arrives at a webhook; the real amtool
(0.25) runs alert query, silence add, silence query and silence expire.
And the API's own rules: posted alerts fire, refresh and resolve by
fingerprint, expire when no longer posted, bad posts write nothing."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, rows, scalar
from pgvigil.notify.delivery import deliver_due
from prometheus_stack import Prometheus, tool
from receivers import Receiver
from serving import Serving, make_key

AM = "/alertmanager/api/v2"


@pytest.fixture
def serving(dsn: str) -> Iterator[Serving]:
    s = Serving(dsn)
    yield s
    s.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def route_to(conn: Conn, extra: dict[str, Any] | None = None) -> None:
    section = {
        "route": {"receiver": "hooks", "group_by": ["alertname"], "group_wait": "0s"},
        "receivers": [{"name": "hooks", "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK"}]}],
        **(extra or {}),
    }
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )


def deliver(conn: Conn, receiver: Receiver) -> None:
    conn.execute("UPDATE monitoring.notification_groups SET next_flush_at = now()")
    with httpx.Client() as client:
        deliver_due(conn, client, worker="pytest", environ={"PGVIGIL_TEST_HOOK": receiver.url})


def alert(name: str, **labels: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": f"{name} is happening"},
        "startsAt": (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(),
        "generatorURL": "http://prometheus.example/graph?g0.expr=up",
    }


def test_posted_alerts_fire_refresh_and_resolve_by_fingerprint(
    conn: Conn, serving: Serving, receiver: Receiver
) -> None:
    route_to(conn)
    key = make_key(conn, "operator", "prometheus")
    with serving.client(key) as client:
        assert (
            client.post(
                f"{AM}/alerts", json=[alert("DiskFull", instance="db1", severity="critical")]
            ).status_code
            == 200
        )
        first = one(conn, "SELECT * FROM monitoring.alerts")
        assert (
            client.post(
                f"{AM}/alerts", json=[alert("DiskFull", instance="db1", severity="critical")]
            ).status_code
            == 200
        )
        listed = client.get(f"{AM}/alerts").json()
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts") == 1  # one fingerprint, one alert
    row = one(conn, "SELECT * FROM monitoring.alerts")
    assert (row["alert_type"], row["severity"], row["subject"], row["occurrence_count"]) == (
        "posted", "critical", "db1", 2,
    )  # fmt: skip
    assert row["triggered_by"] == "alertmanager-api:prometheus"
    assert row["ends_at"] > first["ends_at"]  # each post moves the end on
    [shown] = listed
    assert shown["fingerprint"] == row["fingerprint"] and shown["status"]["state"] == "active"
    assert shown["receivers"] == [{"name": "hooks"}]
    assert shown["generatorURL"].startswith("http://prometheus.example/")
    deliver(conn, receiver)
    [body] = [json.loads(r["body"]) for r in receiver.requests]
    assert body["alerts"][0]["labels"] == {
        "alertname": "DiskFull",
        "instance": "db1",
        "severity": "critical",
    }
    # Resolved the way Prometheus resolves: endsAt in the past.
    resolved = {**alert("DiskFull", instance="db1", severity="critical"),
                "endsAt": datetime.now(timezone.utc).isoformat()}  # fmt: skip
    with serving.client(key) as client:
        client.post(f"{AM}/alerts", json=[resolved])
        assert client.get(f"{AM}/alerts").json() == []
    assert scalar(conn, "SELECT status FROM monitoring.alerts") == "resolved"
    deliver(conn, receiver)
    assert json.loads(receiver.requests[-1]["body"])["status"] == "resolved"


def test_an_alert_no_longer_posted_resolves_at_its_end(conn: Conn, serving: Serving) -> None:
    key = make_key(conn, "operator")
    ends = (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat()
    with serving.client(key) as client:
        client.post(f"{AM}/alerts", json=[{**alert("Flaky"), "endsAt": ends}])
    assert scalar(conn, "SELECT status FROM monitoring.alerts") == "active"
    time.sleep(1.2)
    conn.execute("SELECT monitoring.flush_notification_groups()")
    row = one(conn, "SELECT status, resolved_at, ends_at FROM monitoring.alerts")
    assert row["status"] == "resolved" and row["resolved_at"] == row["ends_at"]
    events = [
        e["event_type"]
        for e in rows(conn, "SELECT event_type FROM monitoring.alert_events ORDER BY event_id")
    ]
    assert events == ["triggered", "resolved"]


def test_a_bad_post_is_refused_whole_and_a_viewer_cannot_post(conn: Conn, serving: Serving) -> None:
    operator, viewer = make_key(conn, "operator"), make_key(conn, "viewer")
    bad = [alert("Fine"), {"labels": {"bad-name": "x"}}, {"labels": {}, "startsAt": "soon"}]
    with serving.client(operator) as client:
        response = client.post(f"{AM}/alerts", json=bad)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "PV610" and error["hint"]
    assert (
        "alerts[1].labels.bad-name" in error["detail"] and "alerts[2].startsAt" in error["detail"]
    )
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts") == 0
    with serving.client(viewer) as client:
        assert client.post(f"{AM}/alerts", json=[alert("Fine")]).status_code == 403
        assert client.get(f"{AM}/alerts").status_code == 200


def amtool(serving: Serving, key: str, tmp_path: Path, *args: str) -> str:
    config = tmp_path / "amtool-http.yml"
    config.write_text(yaml.safe_dump({"authorization": {"type": "Bearer", "credentials": key}}))
    done = subprocess.run(
        [str(tool("amtool")), f"--alertmanager.url={serving.url}/alertmanager",
         f"--http.config.file={config}", *args],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_amtool_queries_alerts_and_manages_silences(
    conn: Conn, serving: Serving, tmp_path: Path
) -> None:
    route_to(conn)
    key = make_key(conn, "operator", "amtool")
    with serving.client(key) as client:
        client.post(
            f"{AM}/alerts",
            json=[alert("DiskFull", instance="db1"), alert("HighLoad", instance="web1")],
        )
    queried = json.loads(amtool(serving, key, tmp_path, "alert", "query", "-o", "json"))
    assert {a["labels"]["alertname"] for a in queried} == {"DiskFull", "HighLoad"}
    only = json.loads(
        amtool(serving, key, tmp_path, "alert", "query", "-o", "json", "alertname=DiskFull")
    )
    assert [a["labels"]["instance"] for a in only] == ["db1"]

    silence_id = amtool(
        serving, key, tmp_path, "silence", "add", "alertname=DiskFull", 'instance=~"db.*"',
        "--comment=disk swap", "--author=oncall", "--duration=2h",
    ).strip()  # fmt: skip
    stored = one(conn, "SELECT * FROM monitoring.v_silences")
    assert str(stored["silence_id"]) == silence_id
    assert (stored["state"], stored["comment"], stored["created_by"]) == (
        "active",
        "disk swap",
        "oncall",
    )
    assert stored["matchers_text"] == 'alertname="DiskFull", instance=~"db.*"'
    assert 7190 < (stored["ends_at"] - stored["starts_at"]).total_seconds() < 7210

    silences = json.loads(amtool(serving, key, tmp_path, "silence", "query", "-o", "json"))
    assert [s["id"] for s in silences] == [silence_id]
    assert silences[0]["matchers"][1] == {
        "name": "instance",
        "value": "db.*",
        "isRegex": True,
        "isEqual": True,
    }
    # The silenced alert is shown as such; amtool's default hides it.
    active = json.loads(amtool(serving, key, tmp_path, "alert", "query", "-o", "json"))
    assert {a["labels"]["alertname"] for a in active} == {"HighLoad"}
    everything = json.loads(amtool(serving, key, tmp_path, "alert", "query", "-s", "-o", "json"))
    [disk] = [a for a in everything if a["labels"]["alertname"] == "DiskFull"]
    assert disk["status"] == {"state": "suppressed", "silencedBy": [silence_id], "inhibitedBy": []}

    amtool(serving, key, tmp_path, "silence", "expire", silence_id)
    assert scalar(conn, "SELECT state FROM monitoring.v_silences") == "expired"
    assert json.loads(amtool(serving, key, tmp_path, "silence", "query", "-o", "json")) == []
    audit = [
        r["on_behalf_of"]
        for r in rows(
            conn, "SELECT on_behalf_of FROM monitoring.audit_log WHERE action LIKE '%%silence'"
        )
    ]
    assert audit == ["key:amtool", "key:amtool"]


def test_a_real_prometheus_sends_its_alerts_and_the_webhook_gets_them(
    conn: Conn, serving: Serving, receiver: Receiver, tmp_path: Path
) -> None:
    route_to(conn)
    key_file = tmp_path / "pgvigil.key"
    key_file.write_text(make_key(conn, "operator", "prometheus"))
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "pgvigil-test", "interval": "1s", "rules": [
        {"alert": "AlwaysFiring", "expr": "vector(1) > 0",
         "labels": {"severity": "critical", "team": "db"},
         "annotations": {"summary": "it fires"}}]}]}))  # fmt: skip
    prometheus = Prometheus(
        {
            "global": {"evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "alerting": {
                "alertmanagers": [
                    {
                        "api_version": "v2",
                        "path_prefix": "/alertmanager",
                        "static_configs": [{"targets": [serving.url.removeprefix("http://")]}],
                        "authorization": {"type": "Bearer", "credentials_file": str(key_file)},
                    }
                ]
            },
        },  # fmt: skip
        # Its first send comes before it has found its Alertmanagers (and is
        # dropped); the next comes after the resend delay, 1m by default.
        "--rules.alert.resend-delay=1s",
    )
    try:
        prometheus.wait(
            lambda: scalar(
                conn, "SELECT count(*) FROM monitoring.alerts WHERE alert_type = 'posted'"
            ),
            what="alert posted to pgvigil",
        )
        row = one(conn, "SELECT * FROM monitoring.alerts")
        assert row["labels"] == {"alertname": "AlwaysFiring", "severity": "critical", "team": "db"}
        assert row["severity"] == "critical" and row["generator_url"].startswith("http")
        deliver(conn, receiver)
        [body] = [json.loads(r["body"]) for r in receiver.requests]
        assert body["groupLabels"] == {"alertname": "AlwaysFiring"}
        assert body["alerts"][0]["annotations"] == {"summary": "it fires"}
        assert body["alerts"][0]["fingerprint"] == row["fingerprint"]
        # Prometheus's own view agrees that it delivered to pgvigil.
        active = prometheus.http.get("/api/v1/alertmanagers").json()["data"]["activeAlertmanagers"]
        assert [a["url"] for a in active] == [f"{serving.url}/alertmanager/api/v2/alerts"]
    finally:
        prometheus.stop()


def test_status_receivers_and_groups_read_as_amtool_expects(
    conn: Conn, serving: Serving, tmp_path: Path
) -> None:
    route_to(conn)
    key = make_key(conn, "viewer")
    operator = make_key(conn, "operator")
    with serving.client(operator) as client:
        client.post(f"{AM}/alerts", json=[alert("DiskFull", instance="db1")])
    with serving.client(key) as client:
        status = client.get(f"{AM}/status").json()
        receivers = client.get(f"{AM}/receivers").json()
        groups = client.get(f"{AM}/alerts/groups").json()
    assert status["cluster"]["status"] == "disabled"
    assert json.loads(status["config"]["original"])["receivers"][0]["name"] == "hooks"
    assert receivers == [{"name": "hooks"}]
    assert [(g["labels"], g["receiver"]["name"], len(g["alerts"])) for g in groups] == [
        ({"alertname": "DiskFull"}, "hooks", 1)
    ]
    out = amtool(serving, key, tmp_path, "config", "show")  # amtool reads /status
    assert "hooks" in out
