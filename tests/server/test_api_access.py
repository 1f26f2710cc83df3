"""pgvigil serve's gate: every endpoint needs a key but /health, each checks
its role (and the database checks again, under the key's database role),
revoked and expired keys are refused from the next request, floods get 429
with Retry-After, big bodies 413, and every error is JSON with a PV code
and a hint, and no stack trace."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dbhelpers import Conn, one, scalar
from pgvigil.server.database import Database, Principal
from pgvigil.server.errors import from_database
from serving import Serving, make_key

# Every endpoint and the least role it needs: a new endpoint must be added
# here, so none goes without its role being tested. None: no role, since the
# endpoint answers anyone (/health), or takes credentials or the session
# cookie itself (the login); what each answers without a key is in
# WITHOUT_A_KEY (tests/server/test_sessions.py tests the login).
ROLES: dict[tuple[str, str], str | None] = {
    ("GET", "/health"): None,
    ("POST", "/api/v1/session"): None,
    ("GET", "/api/v1/session"): None,
    ("DELETE", "/api/v1/session"): None,
    ("GET", "/api/v1/overview"): "viewer",
    ("GET", "/api/v1/alerts"): "viewer",
    ("GET", "/api/v1/alerts/history"): "viewer",
    ("GET", "/api/v1/alerts/{alert_id}"): "viewer",
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): "operator",
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): "operator",
    ("GET", "/api/v1/rules"): "viewer",
    ("GET", "/api/v1/rules/{name}"): "viewer",
    ("POST", "/api/v1/rules"): "operator",
    ("PUT", "/api/v1/rules/{name}"): "operator",
    ("PUT", "/api/v1/rules/{name}/enabled"): "operator",
    ("DELETE", "/api/v1/rules/{name}"): "operator",
    ("POST", "/api/v1/rules/test"): "operator",
    ("GET", "/api/v1/silences"): "viewer",
    ("POST", "/api/v1/silences"): "operator",
    ("DELETE", "/api/v1/silences/{silence_id}"): "operator",
    ("GET", "/api/v1/receivers"): "viewer",
    ("GET", "/api/v1/notifications"): "viewer",
    ("GET", "/api/v1/components"): "viewer",
    ("GET", "/api/v1/components/{name}"): "viewer",
    ("GET", "/api/v1/tasks"): "viewer",
    ("GET", "/api/v1/errors"): "viewer",
    ("GET", "/api/v1/metrics"): "viewer",
    ("GET", "/api/v1/reports"): "viewer",
    ("GET", "/api/v1/tasks/runs"): "viewer",
    ("GET", "/api/v1/metrics/{metric}/history"): "viewer",
    ("GET", "/api/v1/keys"): "admin",
    ("POST", "/api/v1/keys"): "admin",
    ("DELETE", "/api/v1/keys/{key_id}"): "admin",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("DELETE", "/api/v1/users/{name}"): "admin",
    ("GET", "/metrics"): "viewer",
    ("POST", "/alertmanager/api/v2/alerts"): "operator",
    ("GET", "/alertmanager/api/v2/alerts"): "viewer",
    ("GET", "/alertmanager/api/v2/alerts/groups"): "viewer",
    ("GET", "/alertmanager/api/v2/silences"): "viewer",
    ("POST", "/alertmanager/api/v2/silences"): "operator",
    ("GET", "/alertmanager/api/v2/silence/{silence_id}"): "viewer",
    ("DELETE", "/alertmanager/api/v2/silence/{silence_id}"): "operator",
    ("GET", "/alertmanager/api/v2/status"): "viewer",
    ("GET", "/alertmanager/api/v2/receivers"): "viewer",
    ("GET", "/api/v1/events"): "viewer",
    ("GET", "/alerts"): "viewer",
    ("POST", "/alerts"): "operator",
}
# The endpoints of no role, and their answer without a key or a cookie: the
# login refuses an empty body, there is no session to show, and logging out
# without a session has nothing to end.
WITHOUT_A_KEY = {
    ("GET", "/health"): 200,
    ("POST", "/api/v1/session"): 422,
    ("GET", "/api/v1/session"): 401,
    ("DELETE", "/api/v1/session"): 204,
}
RANK = {"viewer": 0, "operator": 1, "admin": 2}
PATH_VALUES = {
    "alert_id": "4242",
    "name": "no_such_rule",
    "silence_id": str(uuid.UUID(int=0)),
    "key_id": "4242",
    "metric": "cpu",
}


@pytest.fixture
def serving(dsn: str) -> Iterator[Serving]:
    s = Serving(dsn)
    yield s
    s.stop()


def endpoints(serving: Serving) -> set[tuple[str, str]]:
    """From the OpenAPI document: what a client is told exists."""
    paths = serving.app.openapi()["paths"]
    return {(method.upper(), path) for path, methods in paths.items() for method in methods}


def call(serving: Serving, key: str | None, method: str, path: str) -> Any:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    with serving.client(key) as client:
        body: dict[str, Any] | None = None if method in ("GET", "DELETE") else {}
        with client.stream(method, path, json=body) as response:
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                response.read()  # a live stream never ends: its status is enough
            return response


def test_every_endpoint_is_in_the_role_table(serving: Serving) -> None:
    assert endpoints(serving) == set(ROLES)
    assert {endpoint for endpoint, role in ROLES.items() if role is None} == set(WITHOUT_A_KEY)


def test_without_a_key_only_health_and_the_login_answer(serving: Serving) -> None:
    for (method, path), role in ROLES.items():
        response = call(serving, None, method, path)
        if role is None:
            assert response.status_code == WITHOUT_A_KEY[(method, path)], (method, path)
            if response.status_code >= 400:
                assert response.json()["error"]["code"] in ("PV711", "PV715"), path
            continue
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        error = response.json()["error"]
        assert error["code"] == "PV711" and error["hint"]


def test_an_unknown_key_gets_401(serving: Serving) -> None:
    response = call(serving, "pgv_not-a-key-anyone-made", "GET", "/api/v1/alerts")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "unknown, revoked or expired API key"
    with serving.client() as client:
        response = client.get("/api/v1/alerts", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
def test_each_role_gets_exactly_its_endpoints(conn: Conn, serving: Serving, role: str) -> None:
    key = make_key(conn, role)
    for (method, path), needed in ROLES.items():
        if needed is None:
            continue
        response = call(serving, key, method, path)
        if RANK[role] < RANK[needed]:
            assert response.status_code == 403, (role, method, path, response.text)
            assert response.json()["error"]["code"] == "PV712"
        else:
            # Allowed: it answers, or refuses the made-up id or empty body.
            assert response.status_code in (200, 201, 404, 422), (role, method, path, response.text)
            if response.status_code >= 400:
                assert response.json()["error"]["code"] not in ("PV711", "PV712"), path


def test_a_viewer_cannot_write_even_past_the_server(conn: Conn, dsn: str) -> None:
    """The server's role check is a courtesy: the database refuses too,
    since requests run under the key's database role."""
    add_alert(conn)
    alert_id = scalar(conn, "SELECT alert_id FROM monitoring.alerts")

    async def as_viewer() -> Any:
        db = Database(dsn, min_size=1, max_size=1)
        await db.open()
        try:
            viewer = Principal("key", 1, "laptop", "viewer", "pgvigil_reader")
            async with db.acting_as(viewer) as c:
                await c.execute("SELECT monitoring.acknowledge_alert(%s, 'x', NULL)", (alert_id,))
        finally:
            await db.close()

    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        asyncio.run(as_viewer())
    error = from_database(caught.value)
    assert (error.status, error.code) == (403, "PV712")
    assert scalar(conn, "SELECT acknowledged_at FROM monitoring.alerts") is None


def add_alert(conn: Conn) -> None:
    conn.execute(
        "SELECT monitoring.put_alert_rule(%s)",
        (
            json.dumps(
                {
                    "name": "cpu_high",
                    "source": {"kind": "metric", "metric_name": "cpu"},
                    "aggregate": "last",
                    "window": "5m",
                    "group_by": ["component"],
                    "thresholds": {"high": 80},
                }
            ),
        ),
    )
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu', 'gauge', 95, 'percent', 'web', '{}')"
    )
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")


def test_writes_are_audited_with_the_key_that_made_them(conn: Conn, serving: Serving) -> None:
    add_alert(conn)
    alert_id = scalar(conn, "SELECT alert_id FROM monitoring.alerts")
    key = make_key(conn, "operator", "oncall-laptop")
    with serving.client(key) as client:
        response = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"note": "on it"})
    assert response.json() == {"alert_id": alert_id, "changed": True}
    entry = one(conn, "SELECT * FROM monitoring.audit_log WHERE action = 'acknowledge_alert'")
    assert entry["on_behalf_of"] == "key:oncall-laptop"
    assert entry["acting_role"] == "pgvigil_operator"
    assert one(conn, "SELECT acknowledged_by FROM monitoring.alerts")["acknowledged_by"] == (
        "oncall-laptop"
    )


def test_a_revoked_key_is_refused_from_the_next_request(conn: Conn, serving: Serving) -> None:
    key = make_key(conn, "viewer", "laptop")
    with serving.client(key) as client:
        assert client.get("/api/v1/alerts").status_code == 200
        key_id = scalar(conn, "SELECT key_id FROM monitoring.v_api_keys WHERE name = 'laptop'")
        assert scalar(conn, "SELECT monitoring.revoke_api_key(%s)", (key_id,)) is True
        assert client.get("/api/v1/alerts").status_code == 401


def test_an_expired_key_is_refused(conn: Conn, serving: Serving) -> None:
    key = make_key(
        conn, "viewer", "temp", expires_at=datetime.now(timezone.utc) + timedelta(seconds=1)
    )
    with serving.client(key) as client:
        assert client.get("/api/v1/alerts").status_code == 200
        conn.execute(
            "UPDATE monitoring_internal.api_keys SET expires_at = now() - interval '1 second'"
        )
        assert client.get("/api/v1/alerts").status_code == 401
    assert scalar(conn, "SELECT state FROM monitoring.v_api_keys") == "expired"


def test_a_flood_from_one_key_gets_429_with_retry_after(dsn: str, conn: Conn) -> None:
    serving = Serving(dsn, rate_per_key=1.0, burst_per_key=3.0)
    try:
        flooding, other = make_key(conn, "viewer", "flood"), make_key(conn, "viewer", "calm")
        with serving.client(flooding) as client:
            statuses = [client.get("/api/v1/alerts").status_code for _ in range(6)]
            limited = client.get("/api/v1/alerts")
        assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "PV713"
        with serving.client(other) as client:  # another key has its own bucket
            assert client.get("/api/v1/alerts").status_code == 200
    finally:
        serving.stop()


def test_a_flood_from_one_address_gets_429(dsn: str, conn: Conn) -> None:
    serving = Serving(dsn, rate_per_address=1.0, burst_per_address=2.0)
    try:
        keys = [make_key(conn, "viewer", f"k{i}") for i in range(4)]
        statuses = []
        for key in keys:  # new keys do not get round the address's limit
            with serving.client(key) as client:
                statuses.append(client.get("/api/v1/alerts").status_code)
        assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]
    finally:
        serving.stop()


def test_guessing_keys_is_slowed_down(dsn: str) -> None:
    serving = Serving(dsn, failed_auth_per_minute=6.0)
    try:
        with serving.client("pgv_guess") as client:
            statuses = [client.get("/api/v1/alerts").status_code for _ in range(4)]
        assert statuses[:2] == [401, 401] and statuses[-1] == 429
    finally:
        serving.stop()


def test_a_body_over_the_limit_gets_413_and_writes_nothing(dsn: str, conn: Conn) -> None:
    serving = Serving(dsn, max_body_bytes=1000)
    try:
        key = make_key(conn, "operator")
        big = {"name": "big_rule", "description": "x" * 2000}
        with serving.client(key) as client:
            response = client.post("/api/v1/rules", json=big)
            assert response.status_code == 413
            assert response.json()["error"]["code"] == "PV714"

            def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
                yield b'{"name": "big_rule", "description": "'
                for _ in range(20):
                    yield b"x" * 100
                yield b'"}'

            response = client.post(
                "/api/v1/rules", content=chunks(), headers={"content-type": "application/json"}
            )
            assert response.status_code == 413
        assert (
            scalar(
                conn, "SELECT count(*) FROM monitoring.v_alert_rules WHERE rule_name = 'big_rule'"
            )
            == 0
        )
    finally:
        serving.stop()


def test_errors_are_json_with_the_database_code_and_hint(conn: Conn, serving: Serving) -> None:
    key = make_key(conn, "operator")
    before = scalar(conn, "SELECT document FROM monitoring.config")
    with serving.client(key) as client:
        unknown = client.post("/api/v1/alerts/4242/acknowledge")
        bad_rule = client.post(
            "/api/v1/rules",
            json={"name": "r", "source": {"kind": "metric", "metric_name": "m"},
                  "aggregate": "avg", "window": "5m", "thresholds": {"urgent": 1}},
        )  # fmt: skip
        bad_query = client.get("/api/v1/alerts", params={"limit": "many"})
        no_route = client.get("/api/v1/nowhere")
        bad_silence = client.post(
            "/api/v1/silences", json={"matchers": ["=x"], "comment": "c", "duration": "1h"}
        )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "PV201")
    assert unknown.json()["error"]["hint"]
    assert (bad_rule.status_code, bad_rule.json()["error"]["code"]) == (422, "PV504")
    assert "urgent" in bad_rule.json()["error"]["detail"]
    assert (bad_query.status_code, bad_query.json()["error"]["code"]) == (422, "PV715")
    assert (no_route.status_code, no_route.json()["error"]["code"]) == (404, "PV716")
    assert (bad_silence.status_code, bad_silence.json()["error"]["code"]) == (422, "PV602")
    # A failed call writes nothing.
    assert scalar(conn, "SELECT document FROM monitoring.config") == before
    assert scalar(conn, "SELECT count(*) FROM monitoring.silences") == 0
    for response in (unknown, bad_rule, bad_query, no_route, bad_silence):
        assert "Traceback" not in response.text and "psycopg" not in response.text
