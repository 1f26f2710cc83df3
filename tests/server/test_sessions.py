"""The web dashboard's login sessions and web users: a login by API key or
by a user's password sets an HttpOnly, SameSite=Strict cookie (Secure over
HTTPS) whose token only the server knows; the cookie reads like a key, its
writes need the session's CSRF token; wrong passwords are slowed like wrong
keys; a disabled user's, a revoked key's, an expired or ended session is
refused from the next request; passwords are stored as argon2id only; and
every refusal of the SQL has its code (PV703-PV705) and writes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import trustme

from dbhelpers import Conn, one, rows, scalar
from pgvigil.cli import main
from pgvigil.server import auth, passwords
from pgvigil.server.passwords import dummy_hash, verify_password
from serving import Serving, make_key, make_user

PASSWORD = "correct horse battery staple"
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


def fire(conn: Conn) -> int:
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (json.dumps(RULE),))
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu', 'gauge', 95, 'percent', 'web', '{}')"
    )
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    return int(scalar(conn, "SELECT alert_id FROM monitoring.alerts"))


def login(client: httpx.Client, **credentials: str) -> dict[str, Any]:
    response = client.post("/api/v1/session", json=credentials)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def session_cookie(response: httpx.Response) -> dict[str, str]:
    """The attributes of the Set-Cookie of pgvigil_session, names in lower case."""
    [header] = [h for h in response.headers.get_list("set-cookie") if "pgvigil_session=" in h]
    first, *attributes = (part.strip() for part in header.split(";"))
    name, _, value = first.partition("=")
    cookie = {"name": name, "value": value}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        cookie[key.lower()] = val
    return cookie


def expected_csrf(token: str) -> str:
    digest = hmac.new(token.encode(), b"pgvigil-csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- logging in ---------------------------------------------------------------------


def test_a_login_by_key_sets_an_httponly_strict_cookie(conn: Conn, serving: Serving) -> None:
    key = make_key(conn, "viewer", "laptop")
    with serving.client() as client:
        response = client.post("/api/v1/session", json={"key": key})
        assert response.status_code == 201, response.text
        body = response.json()
        cookie = session_cookie(response)
        assert cookie["name"] == "pgvigil_session"
        assert "httponly" in cookie and cookie["samesite"].lower() == "strict"
        assert cookie["path"] == "/"
        assert 43_000 <= int(cookie["max-age"]) <= 43_200  # 12 hours
        assert "secure" not in cookie  # plain HTTP
        token = cookie["value"]
        assert len(token) == 43  # secrets.token_urlsafe(32): 256 bits
        assert body["kind"] == "key" and body["name"] == "laptop" and body["role"] == "viewer"
        assert body["csrf_token"] == expected_csrf(token)
        expires_at = datetime.fromisoformat(body["expires_at"])
        assert (
            timedelta(hours=11.9) < expires_at - datetime.now(timezone.utc) <= timedelta(hours=12)
        )

        again = client.get("/api/v1/session")
        assert again.status_code == 200 and again.json() == body
        overview = client.get("/api/v1/overview")
        assert overview.status_code == 200 and "alerts" in overview.json()
    # Only the token's SHA-256 is stored.
    [stored] = rows(conn, "SELECT * FROM monitoring_internal.web_sessions")
    assert bytes(stored["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert stored["key_id"] is not None and stored["user_id"] is None
    everything = json.dumps(
        rows(conn, "SELECT * FROM monitoring_internal.web_sessions")
        + rows(conn, "SELECT * FROM monitoring.audit_log"),
        default=str,
    )
    assert token not in everything
    entry = one(conn, "SELECT * FROM monitoring.audit_log WHERE action = 'create_web_session'")
    assert entry["on_behalf_of"] == "key:laptop" and entry["details"]["kind"] == "key"


def test_a_login_by_password_opens_a_session_of_the_user(conn: Conn, serving: Serving) -> None:
    make_user(conn, "alice", "operator", PASSWORD)
    with serving.client() as client:
        response = client.post("/api/v1/session", json={"user": "alice", "password": PASSWORD})
        assert response.status_code == 201, response.text
        assert "secure" not in session_cookie(response)
        body = response.json()
        assert (body["kind"], body["name"], body["role"]) == ("user", "alice", "operator")
        assert client.get("/api/v1/session").json()["csrf_token"] == body["csrf_token"]
        assert client.get("/api/v1/alerts").status_code == 200
    assert scalar(conn, "SELECT last_login_at FROM monitoring.v_web_users") is not None
    entry = one(conn, "SELECT * FROM monitoring.audit_log WHERE action = 'create_web_session'")
    assert entry["on_behalf_of"] == "user:alice"


def test_without_a_live_session_get_session_is_401(serving: Serving) -> None:
    with serving.client() as client:
        response = client.get("/api/v1/session")
        assert response.status_code == 401 and response.json()["error"]["code"] == "PV711"
        client.cookies.set("pgvigil_session", "made-up")
        response = client.get("/api/v1/session")
        assert response.status_code == 401 and response.json()["error"]["code"] == "PV711"
        assert client.get("/api/v1/overview").status_code == 401


@pytest.mark.parametrize(
    "body",
    [{}, {"user": "alice"}, {"password": PASSWORD}, {"key": "pgv_x", "user": "alice"}],
    ids=["empty", "no-password", "no-user", "key-and-user"],
)
def test_a_login_needs_a_key_or_a_user_and_password(serving: Serving, body: Any) -> None:
    with serving.client() as client:
        response = client.post("/api/v1/session", json=body)
    assert response.status_code == 422 and response.json()["error"]["code"] == "PV715"


# --- CSRF and roles ---------------------------------------------------------------------


def test_a_cookie_write_needs_the_csrf_header(conn: Conn, serving: Serving) -> None:
    alert_id = fire(conn)
    make_user(conn, "alice", "operator", PASSWORD)
    with serving.client() as client:
        csrf = login(client, user="alice", password=PASSWORD)["csrf_token"]
        for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": csrf[:-1]}):
            refused = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=headers)
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["code"] == "PV718"
            assert refused.json()["error"]["hint"]
        assert scalar(conn, "SELECT acknowledged_at FROM monitoring.alerts") is None
        assert scalar(conn, "SELECT count(*) FROM monitoring.audit_log WHERE action = 'acknowledge_alert'") == 0  # fmt: skip

        acknowledged = client.post(
            f"/api/v1/alerts/{alert_id}/acknowledge",
            json={"note": "on it"},
            headers={"X-CSRF-Token": csrf},
        )
        assert acknowledged.json() == {"alert_id": alert_id, "changed": True}
        silence = client.post(
            "/api/v1/silences",
            json={"matchers": ['alertname="cpu_high"'], "comment": "deploy", "duration": "1h"},
            headers={"X-CSRF-Token": csrf},
        )
        assert silence.status_code == 201, silence.text
    entry = one(conn, "SELECT * FROM monitoring.audit_log WHERE action = 'acknowledge_alert'")
    assert entry["on_behalf_of"] == "user:alice"
    assert entry["acting_role"] == "pgvigil_operator"
    assert scalar(conn, "SELECT acknowledged_by FROM monitoring.alerts") == "alice"
    entry = one(conn, "SELECT * FROM monitoring.audit_log WHERE action = 'create_silence'")
    assert entry["on_behalf_of"] == "user:alice"


def test_a_bearer_key_needs_no_csrf_header_even_with_a_cookie(conn: Conn, serving: Serving) -> None:
    alert_id = fire(conn)
    make_user(conn, "bob", "viewer", PASSWORD)
    key = make_key(conn, "operator", "oncall")
    with serving.client() as client:
        login(client, user="bob", password=PASSWORD)
        # Bearer first: the key, an operator, acknowledges without CSRF header.
        response = client.post(
            f"/api/v1/alerts/{alert_id}/acknowledge", headers={"Authorization": f"Bearer {key}"}
        )
    assert response.json() == {"alert_id": alert_id, "changed": True}
    entry = one(conn, "SELECT * FROM monitoring.audit_log WHERE action = 'acknowledge_alert'")
    assert entry["on_behalf_of"] == "key:oncall"


def test_a_viewer_user_cannot_write(conn: Conn, serving: Serving) -> None:
    alert_id = fire(conn)
    make_user(conn, "bob", "viewer", PASSWORD)
    with serving.client() as client:
        csrf = login(client, user="bob", password=PASSWORD)["csrf_token"]
        response = client.post(
            f"/api/v1/alerts/{alert_id}/acknowledge", headers={"X-CSRF-Token": csrf}
        )
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "PV712" and "this user is viewer" in error["message"]
        assert client.get("/api/v1/users").status_code == 403
    assert scalar(conn, "SELECT acknowledged_at FROM monitoring.alerts") is None


def test_a_session_of_a_key_has_the_keys_role(conn: Conn, serving: Serving) -> None:
    key = make_key(conn, "admin", "root-laptop")
    with serving.client() as client:
        csrf = login(client, key=key)["csrf_token"]
        created = client.post(
            "/api/v1/users",
            json={"name": "carol", "role": "viewer", "password": PASSWORD},
            headers={"X-CSRF-Token": csrf},
        )
        assert created.status_code == 201, created.text
    entry = one(conn, "SELECT * FROM monitoring.audit_log WHERE action = 'create_web_user'")
    assert entry["on_behalf_of"] == "key:root-laptop"


# --- wrong passwords, limits --------------------------------------------------------------


def test_wrong_passwords_get_401_and_then_429(conn: Conn, dsn: str) -> None:
    make_user(conn, "alice", "operator", PASSWORD)
    serving = Serving(dsn, failed_auth_per_minute=6.0)  # bursts of 2
    try:
        with serving.client() as client:
            wrong = client.post("/api/v1/session", json={"user": "alice", "password": "guess-1"})
            unknown = client.post("/api/v1/session", json={"user": "nobody", "password": "x" * 12})
            limited = client.post("/api/v1/session", json={"user": "alice", "password": "guess-3"})
            # Once the address's budget is spent, the right password waits too.
            right = client.post("/api/v1/session", json={"user": "alice", "password": PASSWORD})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["error"] == unknown.json()["error"]  # no hint whether alice exists
        assert wrong.json()["error"]["code"] == "PV711"
        assert "set-cookie" not in wrong.headers
        assert (limited.status_code, limited.json()["error"]["code"]) == (429, "PV713")
        assert int(limited.headers["retry-after"]) >= 1
        assert right.status_code == 429
        assert scalar(conn, "SELECT count(*) FROM monitoring_internal.web_sessions") == 0
    finally:
        serving.stop()


def test_a_right_password_does_not_spend_the_failed_budget(conn: Conn, dsn: str) -> None:
    make_user(conn, "alice", "operator", PASSWORD)
    serving = Serving(dsn, failed_auth_per_minute=3.0)  # bursts of 1
    try:
        with serving.client() as client:
            statuses = [
                client.post(
                    "/api/v1/session", json={"user": "alice", "password": PASSWORD}
                ).status_code
                for _ in range(3)
            ]
        assert statuses == [201, 201, 201]
    finally:
        serving.stop()


def test_an_unknown_user_costs_a_password_check_too(
    conn: Conn, serving: Serving, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    verify = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    make_user(conn, "alice", "viewer", PASSWORD)
    with serving.client() as client:
        assert client.post("/api/v1/session", json={"user": "nobody", "password": PASSWORD}).status_code == 401  # fmt: skip
        assert client.post("/api/v1/session", json={"user": "alice", "password": PASSWORD}).status_code == 201  # fmt: skip
    assert checked[0] == dummy_hash()
    assert checked[1] == scalar(conn, "SELECT password_hash FROM monitoring_internal.web_users")


def test_a_wrong_key_at_login_counts_as_a_failure(dsn: str) -> None:
    serving = Serving(dsn, failed_auth_per_minute=6.0)
    try:
        with serving.client() as client:
            statuses = [
                client.post("/api/v1/session", json={"key": "pgv_guess"}).status_code
                for _ in range(3)
            ]
        assert statuses == [401, 401, 429]
    finally:
        serving.stop()


def test_logins_count_against_the_address_limit(conn: Conn, dsn: str) -> None:
    key = make_key(conn, "viewer")
    serving = Serving(dsn, rate_per_address=1.0, burst_per_address=2.0)
    try:
        with serving.client() as client:
            statuses = [
                client.post("/api/v1/session", json={"key": key}).status_code for _ in range(3)
            ]
        assert statuses == [201, 201, 429]
    finally:
        serving.stop()


# --- a session ends ----------------------------------------------------------------------


def test_a_disabled_users_session_stops_working(conn: Conn, serving: Serving) -> None:
    make_user(conn, "alice", "operator", PASSWORD)
    with serving.client() as client:
        login(client, user="alice", password=PASSWORD)
        assert client.get("/api/v1/overview").status_code == 200
        assert scalar(conn, "SELECT monitoring.disable_web_user('alice')") is True
        assert client.get("/api/v1/overview").status_code == 401
        assert client.get("/api/v1/session").status_code == 401
        again = client.post("/api/v1/session", json={"user": "alice", "password": PASSWORD})
        assert again.status_code == 401
    assert scalar(conn, "SELECT revoked_at FROM monitoring_internal.web_sessions") is not None
    assert scalar(conn, "SELECT monitoring.disable_web_user('alice')") is False
    entry = one(conn, "SELECT * FROM monitoring.audit_log WHERE action = 'disable_web_user'")
    assert entry["details"]["sessions_ended"] == 1


def test_a_revoked_keys_session_stops_working(conn: Conn, serving: Serving) -> None:
    key = make_key(conn, "viewer", "laptop")
    with serving.client() as client:
        login(client, key=key)
        assert client.get("/api/v1/alerts").status_code == 200
        key_id = scalar(conn, "SELECT key_id FROM monitoring.v_api_keys")
        assert scalar(conn, "SELECT monitoring.revoke_api_key(%s)", (key_id,)) is True
        assert client.get("/api/v1/alerts").status_code == 401
        assert client.get("/api/v1/session").status_code == 401


def test_a_keys_session_ends_with_the_key(conn: Conn, serving: Serving) -> None:
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    key = make_key(conn, "viewer", "temp", expires_at=soon)
    with serving.client() as client:
        response = client.post("/api/v1/session", json={"key": key})
    assert abs(datetime.fromisoformat(response.json()["expires_at"]) - soon) < timedelta(seconds=1)
    assert 3500 <= int(session_cookie(response)["max-age"]) <= 3600


def test_logging_out_ends_the_session(conn: Conn, serving: Serving) -> None:
    make_user(conn, "alice", "viewer", PASSWORD)
    with serving.client() as client:
        csrf = login(client, user="alice", password=PASSWORD)["csrf_token"]
        token = client.cookies["pgvigil_session"]
        refused = client.delete("/api/v1/session")  # no CSRF header
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "PV718"
        assert client.get("/api/v1/session").status_code == 200
        response = client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
        assert response.status_code == 204
        cleared = session_cookie(response)
        assert cleared["value"] in ("", '""') and cleared["max-age"] == "0"
        assert "pgvigil_session" not in client.cookies
        assert client.get("/api/v1/session").status_code == 401
    with serving.client(cookies={"pgvigil_session": token}) as replay:  # the old cookie, kept
        assert replay.get("/api/v1/overview").status_code == 401
        # Logging out again is harmless.
        again = replay.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
        assert again.status_code == 204
    assert scalar(conn, "SELECT revoked_at FROM monitoring_internal.web_sessions") is not None
    entry = one(conn, "SELECT * FROM monitoring.audit_log WHERE action = 'end_web_session'")
    assert entry["on_behalf_of"] == "user:alice"
    assert scalar(conn, "SELECT count(*) FROM monitoring.audit_log WHERE action = 'end_web_session'") == 1  # fmt: skip


def test_an_expired_session_is_refused(conn: Conn, serving: Serving) -> None:
    make_user(conn, "alice", "viewer", PASSWORD)
    with serving.client() as client:
        login(client, user="alice", password=PASSWORD)
        assert client.get("/api/v1/overview").status_code == 200
        conn.execute(
            "UPDATE monitoring_internal.web_sessions"
            " SET created_at = now() - interval '13 hours', expires_at = now() - interval '1 second'"
        )
        response = client.get("/api/v1/overview")
        assert response.status_code == 401
        assert "log in again" in response.json()["error"]["message"]
        assert client.get("/api/v1/session").status_code == 401


def test_a_login_deletes_sessions_expired_over_a_day_ago(conn: Conn, serving: Serving) -> None:
    key = make_key(conn, "viewer")
    with serving.client() as client:
        login(client, key=key)
    conn.execute(
        "UPDATE monitoring_internal.web_sessions"
        " SET created_at = now() - interval '3 days', expires_at = now() - interval '2 days'"
    )
    with serving.client() as client:
        login(client, key=key)
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.web_sessions") == 1


# --- HTTPS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file, ca_file = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    return str(cert_file), str(key_file), str(ca_file)


def test_over_https_the_cookie_is_secure(conn: Conn, dsn: str, tls: tuple[str, str, str]) -> None:
    cert_file, key_file, ca_file = tls
    key = make_key(conn, "viewer")
    serving = Serving(dsn, uvicorn_options={"ssl_certfile": cert_file, "ssl_keyfile": key_file})
    try:
        with serving.client(verify=ssl.create_default_context(cafile=ca_file)) as client:
            response = client.post("/api/v1/session", json={"key": key})
            assert response.status_code == 201
            assert "secure" in session_cookie(response)
            assert client.get("/api/v1/session").status_code == 200
    finally:
        serving.stop()


@pytest.mark.parametrize("behind_proxy", [True, False])
def test_behind_a_proxy_x_forwarded_proto_decides(conn: Conn, dsn: str, behind_proxy: bool) -> None:
    """As pgvigil serve configures uvicorn: X-Forwarded-Proto is honoured from
    127.0.0.1 with --behind-proxy, and ignored without it."""
    key = make_key(conn, "viewer")
    options = {"proxy_headers": behind_proxy, "forwarded_allow_ips": "127.0.0.1"}
    serving = Serving(dsn, uvicorn_options=options)
    try:
        with serving.client() as client:
            response = client.post(
                "/api/v1/session", json={"key": key}, headers={"X-Forwarded-Proto": "https"}
            )
        assert response.status_code == 201
        assert ("secure" in session_cookie(response)) is behind_proxy
    finally:
        serving.stop()


# --- web users through the API ----------------------------------------------------------------


def test_admins_manage_web_users_through_the_api(conn: Conn, serving: Serving) -> None:
    admin = make_key(conn, "admin", "root")
    with serving.client(admin) as client:
        created = client.post(
            "/api/v1/users", json={"name": "dave", "role": "operator", "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
        assert created.json() == {
            "user_id": created.json()["user_id"],
            "name": "dave",
            "role": "operator",
        }
        short = client.post(
            "/api/v1/users", json={"name": "erin", "role": "viewer", "password": "short"}
        )
        assert (short.status_code, short.json()["error"]["code"]) == (422, "PV715")
        taken = client.post(
            "/api/v1/users", json={"name": "dave", "role": "viewer", "password": PASSWORD}
        )
        assert (taken.status_code, taken.json()["error"]["code"]) == (422, "PV703")
        bad_role = client.post(
            "/api/v1/users", json={"name": "erin", "role": "root", "password": PASSWORD}
        )
        assert (bad_role.status_code, bad_role.json()["error"]["code"]) == (422, "PV703")
        [listed] = client.get("/api/v1/users").json()
        assert (listed["name"], listed["role"], listed["state"]) == ("dave", "operator", "active")
        assert not any("hash" in column for column in listed)
        assert client.delete("/api/v1/users/dave").json() == {"name": "dave", "disabled": True}
        assert client.delete("/api/v1/users/dave").json() == {"name": "dave", "disabled": False}
        assert client.get("/api/v1/users").json() == []
        assert client.get("/api/v1/users", params={"all": "true"}).json()[0]["state"] == "disabled"
        unknown = client.delete("/api/v1/users/nobody")
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "PV704")
    with serving.client() as client:  # disabled: no login
        refused = client.post("/api/v1/session", json={"user": "dave", "password": PASSWORD})
        assert refused.status_code == 401
    assert_password_nowhere(conn, PASSWORD)


def assert_password_nowhere(conn: Conn, password: str) -> None:
    """Stored as argon2id only: the plaintext is in no table."""
    for stored in rows(conn, "SELECT password_hash FROM monitoring_internal.web_users"):
        assert stored["password_hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    dump = json.dumps(
        rows(conn, "SELECT * FROM monitoring_internal.web_users")
        + rows(conn, "SELECT * FROM monitoring_internal.web_sessions")
        + rows(conn, "SELECT * FROM monitoring.audit_log"),
        default=str,
    )
    assert password not in dump


# --- web users through the CLI ----------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], dsn: str, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--database", dsn])
    out, err = capsys.readouterr()
    return code, out, err


def test_users_create_reads_the_password_from_a_file_or_the_environment(
    conn: Conn,
    dsn: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    code, out, _ = run(capsys, dsn, "users", "create", "--name", "alice", "--role", "operator",
                       "--password-file", str(secret))  # fmt: skip
    assert code == 0 and "alice" in out
    monkeypatch.setenv("PGVIGIL_PASSWORD", "another long passphrase")
    code, _, _ = run(capsys, dsn, "users", "create", "--name", "bob", "--role", "viewer")
    assert code == 0
    hashes = {
        r["name"]: r["password_hash"]
        for r in rows(conn, "SELECT name, password_hash FROM monitoring_internal.web_users")
    }
    assert verify_password(hashes["alice"], PASSWORD)  # without the file's line end
    assert verify_password(hashes["bob"], "another long passphrase")
    assert_password_nowhere(conn, PASSWORD)
    code, out, _ = run(capsys, dsn, "users", "list")
    assert code == 0 and "alice" in out and "bob" in out and "argon2" not in out
    code, out, _ = run(capsys, dsn, "users", "disable", "alice")
    assert (code, out.strip()) == (0, "web user alice: disabled, its sessions ended")
    code, out, _ = run(capsys, dsn, "users", "disable", "alice")
    assert out.strip() == "web user alice: already disabled"
    code, out, _ = run(capsys, dsn, "users", "list")
    assert "alice" not in out
    code, out, _ = run(capsys, dsn, "users", "list", "--all")
    assert "disabled" in out
    code, _, err = run(capsys, dsn, "users", "disable", "nobody")
    assert code == 2 and "PV704" in err and "HINT" in err


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_users_create_asks_twice_on_a_terminal_and_refuses_otherwise(
    conn: Conn, dsn: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGVIGIL_PASSWORD", raising=False)
    argv = ("users", "create", "--name", "alice", "--role", "viewer")
    code, _, err = run(capsys, dsn, *argv)  # no file, no variable, no terminal
    assert code == 2 and "--password-file" in err

    monkeypatch.setattr("sys.stdin", _Terminal())
    answers = iter([PASSWORD, "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(capsys, dsn, *argv)
    assert code == 2 and "differ" in err

    answers = iter(["too short", "too short"])
    code, _, err = run(capsys, dsn, *argv)
    assert code == 2 and "at least 12 characters" in err
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.web_users") == 0

    answers = iter([PASSWORD, PASSWORD])
    code, _, _ = run(capsys, dsn, *argv)
    assert code == 0
    assert scalar(conn, "SELECT count(*) FROM monitoring.v_web_users") == 1


# --- the SQL's refusals -------------------------------------------------------------------------

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + "A" * 43


@pytest.mark.parametrize(
    ("name", "role", "password_hash"),
    [
        ("", "viewer", HASH),
        ("   ", "viewer", HASH),
        ("x" * 201, "viewer", HASH),
        ("alice", "root", HASH),
        ("alice", None, HASH),
        ("alice", "viewer", None),
        ("alice", "viewer", PASSWORD),
        ("alice", "viewer", HASH.replace("argon2id", "argon2i")),
        ("alice", "viewer", "$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"),
        ("alice", "viewer", HASH + "; DROP"),
    ],
    ids=["empty", "blank", "long", "role", "no-role", "no-hash", "plaintext", "argon2i",
         "bcrypt", "trailing"],
)  # fmt: skip
def test_create_web_user_refuses_with_pv703(
    conn: Conn, name: str, role: str | None, password_hash: str | None
) -> None:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute("SELECT monitoring.create_web_user(%s, %s, %s)", (name, role, password_hash))
    assert caught.value.diag.sqlstate == "PV703" and caught.value.diag.message_hint
    assert PASSWORD not in str(caught.value)
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.web_users") == 0
    assert scalar(conn, "SELECT count(*) FROM monitoring.audit_log") == 0


def test_the_table_itself_refuses_a_plaintext_password(conn: Conn) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO monitoring_internal.web_users (name, role, password_hash, created_by)"
            " VALUES ('alice', 'viewer', %s, 'me')",
            (PASSWORD,),
        )


def test_a_name_is_never_reused(conn: Conn) -> None:
    conn.execute("SELECT monitoring.create_web_user('alice', 'viewer', %s)", (HASH,))
    conn.execute("SELECT monitoring.disable_web_user('alice')")
    with pytest.raises(psycopg.Error) as caught:
        conn.execute("SELECT monitoring.create_web_user(' alice ', 'viewer', %s)", (HASH,))
    assert caught.value.diag.sqlstate == "PV703" and "taken" in str(caught.value)


def test_web_user_password_hash_answers_live_users_only(conn: Conn) -> None:
    user_id = make_user(conn, "alice", "viewer", PASSWORD)
    row = one(conn, "SELECT * FROM monitoring.web_user_password_hash('alice')")
    assert row["user_id"] == user_id and row["password_hash"].startswith("$argon2id$")
    assert rows(conn, "SELECT * FROM monitoring.web_user_password_hash('nobody')") == []
    conn.execute("SELECT monitoring.disable_web_user('alice')")
    assert rows(conn, "SELECT * FROM monitoring.web_user_password_hash('alice')") == []


def test_create_web_session_refuses_with_pv705(conn: Conn) -> None:
    user_id = make_user(conn, "alice", "viewer", PASSWORD)
    make_user(conn, "bob", "viewer", PASSWORD)
    make_key(conn, "viewer", "revoked")
    key_id = scalar(conn, "SELECT key_id FROM monitoring.v_api_keys")
    conn.execute("SELECT monitoring.revoke_api_key(%s)", (key_id,))
    bob = scalar(conn, "SELECT user_id FROM monitoring.v_web_users WHERE name = 'bob'")
    conn.execute("SELECT monitoring.disable_web_user('bob')")
    conn.execute(
        "SELECT * FROM monitoring.create_web_session(sha256('taken'), NULL, %s)", (user_id,)
    )
    cases = [
        ("'\\x00'::bytea", "NULL", str(user_id), ""),  # not 32 bytes
        ("sha256('t')", str(key_id), str(user_id), ""),  # both
        ("sha256('t')", "NULL", "NULL", ""),  # neither
        ("sha256('t')", "NULL", str(user_id), "interval '0'"),
        ("sha256('t')", "NULL", str(user_id), "interval '31 days'"),
        ("sha256('t')", "NULL", str(user_id), "NULL"),
        ("sha256('t')", str(key_id), "NULL", ""),  # a revoked key
        ("sha256('t')", "4242", "NULL", ""),  # no such key
        ("sha256('t')", "NULL", str(bob), ""),  # a disabled user
        ("sha256('taken')", "NULL", str(user_id), ""),
    ]
    for token_hash, key, user, lifetime in cases:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(
                f"SELECT * FROM monitoring.create_web_session({token_hash}, {key}, {user}"
                + (f", {lifetime})" if lifetime else ")")
            )
        assert caught.value.diag.sqlstate == "PV705", (token_hash, key, user, lifetime)
        assert caught.value.diag.message_hint
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.web_sessions") == 1


def test_authenticate_web_session_answers_as_authenticate_api_key(conn: Conn) -> None:
    make_key(conn, "operator", "oncall")
    key_id = scalar(conn, "SELECT key_id FROM monitoring.v_api_keys")
    user_id = make_user(conn, "alice", "admin", PASSWORD)
    conn.execute("SELECT * FROM monitoring.create_web_session(sha256('k'), %s, NULL)", (key_id,))
    conn.execute(
        "SELECT * FROM monitoring.create_web_session(sha256('u'), NULL, %s, interval '1 hour')",
        (user_id,),
    )
    by_key = one(conn, "SELECT * FROM monitoring.authenticate_web_session(sha256('k'))")
    by_user = one(conn, "SELECT * FROM monitoring.authenticate_web_session(sha256('u'))")
    assert {k: v for k, v in by_key.items() if k != "expires_at"} == {
        "kind": "key", "id": key_id, "name": "oncall", "role": "operator",
        "database_role": "pgvigil_operator",
    }  # fmt: skip
    assert {k: v for k, v in by_user.items() if k != "expires_at"} == {
        "kind": "user", "id": user_id, "name": "alice", "role": "admin",
        "database_role": "pgvigil_admin",
    }  # fmt: skip
    assert rows(conn, "SELECT * FROM monitoring.authenticate_web_session(sha256('x'))") == []
    assert scalar(conn, "SELECT monitoring.end_web_session(sha256('u'))") is True
    assert scalar(conn, "SELECT monitoring.end_web_session(sha256('u'))") is False
    assert rows(conn, "SELECT * FROM monitoring.authenticate_web_session(sha256('u'))") == []
