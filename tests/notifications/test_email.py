"""Email delivery to a real SMTP server on loopback (aiosmtpd): STARTTLS
with authentication, implicit TLS on port 465, a server without STARTTLS
refused while require_tls holds, 4xx replies retried and 5xx given up, the
global smtp_* settings inherited, the mail multipart text and HTML with the
notification's idempotency key as its Message-ID, the password read from
the environment and never written into the database."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, rows, scalar
from pgvigil.notify.delivery import deliver_due
from signals import add_errors

PASSWORD = "s3cret-smtp-passw0rd"


@dataclass
class Mailbox:
    """What the SMTP server received, and what it answers next."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    reply: str = "250 OK"
    rcpt_reply: str | None = None

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.reply.startswith("250"):
            self.messages.append({
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "tls": session.ssl is not None,
                "message": email.message_from_bytes(envelope.content, policy=email.policy.default),
            })  # fmt: skip
        return self.reply

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == PASSWORD.encode())


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def _server_context(ca: trustme.CA, *hosts: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(context)
    return context


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def starttls_server(ca: trustme.CA) -> Iterator[tuple[Mailbox, int]]:
    """STARTTLS required before AUTH, AUTH required before mail."""
    box = Mailbox()
    port = _free_port("127.0.0.1")
    controller = Controller(
        box, hostname="127.0.0.1", port=port, tls_context=_server_context(ca, "127.0.0.1"),
        require_starttls=True, authenticator=box.authenticate, auth_required=True,
        auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def plain_server() -> Iterator[tuple[Mailbox, int]]:
    """No TLS at all, as a relay on a trusted network is."""
    box = Mailbox()
    port = _free_port("127.0.0.1")
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def configure(
    conn: Conn, email_config: dict[str, Any], global_: dict[str, Any] | None = None
) -> None:
    section: dict[str, Any] = {
        "route": {"receiver": "mail", "group_by": ["alertname"], "group_wait": "0s"},
        "receivers": [{"name": "mail", "email_configs": [email_config]}],
    }
    if global_:
        section["global"] = global_
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )


def fire_and_deliver(conn: Conn, **environ: str) -> Any:
    add_errors(conn, "api", 30)
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    with httpx.Client() as client:
        return deliver_due(conn, client, worker="pytest", environ=environ)


def test_a_mail_over_starttls_with_auth(
    conn: Conn, starttls_server: tuple[Mailbox, int], ca_file: Path
) -> None:
    box, port = starttls_server
    configure(
        conn,
        {"to": "oncall@example.com, lead@example.com", "tls_config": {"ca_file": str(ca_file)},
         "headers": {"X-Team": "payments"}},
        # The SMTP settings come from global, as Alertmanager's do.
        {"smtp_smarthost": f"127.0.0.1:{port}", "smtp_from": "pgvigil@example.com",
         "smtp_auth_username": "pgvigil", "smtp_auth_password_env": "SMTP_PASSWORD",
         "smtp_hello": "monitor.example.com"},
    )  # fmt: skip
    stats = fire_and_deliver(conn, SMTP_PASSWORD=PASSWORD)
    assert stats.delivered == 1, scalar(conn, "SELECT last_error FROM monitoring.notifications")
    assert box.logins == [(b"pgvigil", PASSWORD.encode())]
    [mail] = box.messages
    assert mail["tls"] is True
    assert mail["from"] == "pgvigil@example.com"
    assert mail["to"] == ["oncall@example.com", "lead@example.com"]
    message = mail["message"]
    assert message["Subject"] == "[FIRING:1] error_rate"
    assert message["X-Team"] == "payments"
    key = scalar(conn, "SELECT idempotency_key FROM monitoring.notifications")
    assert message["Message-ID"] == f"<{key}@pgvigil>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "low: High error rate in api" in text
    assert "<li>low: High error rate in api</li>" in html
    attempt = one(conn, "SELECT * FROM monitoring.notification_attempts")
    assert (attempt["outcome"], attempt["status_code"]) == ("delivered", 250)
    dump = json.dumps(rows(conn, "SELECT * FROM monitoring.notifications"), default=str)
    dump += json.dumps(scalar(conn, "SELECT document FROM monitoring.config"))
    assert PASSWORD not in dump


def test_implicit_tls_on_port_465(conn: Conn, ca: trustme.CA, ca_file: Path) -> None:
    # Port 465 speaks TLS from the first byte, as in Alertmanager; a loopback
    # address of its own keeps the well-known port free of clashes.
    box = Mailbox()
    controller = Controller(
        box, hostname="127.0.0.2", port=465, ssl_context=_server_context(ca, "127.0.0.2")
    )
    controller.start()
    try:
        configure(conn, {"to": "oncall@example.com", "from": "pgvigil@example.com",
                         "smarthost": "127.0.0.2:465", "tls_config": {"ca_file": str(ca_file)}})  # fmt: skip
        stats = fire_and_deliver(conn)
    finally:
        controller.stop()
    assert stats.delivered == 1, scalar(conn, "SELECT last_error FROM monitoring.notifications")
    assert box.messages[0]["message"]["Subject"] == "[FIRING:1] error_rate"


def test_require_tls_refuses_a_server_without_starttls(
    conn: Conn, plain_server: tuple[Mailbox, int]
) -> None:
    box, port = plain_server
    configure(conn, {"to": "oncall@example.com", "from": "pgvigil@example.com",
                     "smarthost": f"127.0.0.1:{port}"})  # fmt: skip
    assert fire_and_deliver(conn).failed == 1
    assert box.messages == []
    assert "does not offer STARTTLS" in scalar(
        conn, "SELECT last_error FROM monitoring.notifications"
    )
    # With require_tls: false, as for a local relay, the mail goes.
    conn.execute("DELETE FROM monitoring.notifications")
    conn.execute("DELETE FROM monitoring.notification_groups")
    conn.execute("DELETE FROM monitoring.alerts")
    configure(conn, {"to": "oncall@example.com", "from": "pgvigil@example.com",
                     "smarthost": f"127.0.0.1:{port}", "require_tls": False})  # fmt: skip
    assert fire_and_deliver(conn).delivered == 1
    assert box.messages[0]["tls"] is False


def test_an_unverified_certificate_is_not_trusted(
    conn: Conn, starttls_server: tuple[Mailbox, int]
) -> None:
    box, port = starttls_server
    configure(conn, {"to": "oncall@example.com", "from": "pgvigil@example.com",
                     "smarthost": f"127.0.0.1:{port}"})  # fmt: skip
    assert fire_and_deliver(conn).retried == 1
    assert box.messages == [] and box.logins == []
    assert "TLS" in scalar(conn, "SELECT last_error FROM monitoring.notifications")


@pytest.mark.parametrize(
    ("where", "reply", "outcome"),
    [
        ("data", "451 4.3.0 try again later", "pending"),
        ("data", "554 5.7.1 rejected", "failed"),
        ("rcpt", "550 5.1.1 no such user", "failed"),
    ],
)
def test_smtp_replies_decide_retry_or_give_up(
    conn: Conn, plain_server: tuple[Mailbox, int], where: str, reply: str, outcome: str
) -> None:
    box, port = plain_server
    if where == "data":
        box.reply = reply
    else:
        box.rcpt_reply = reply
    configure(conn, {"to": "oncall@example.com", "from": "pgvigil@example.com",
                     "smarthost": f"127.0.0.1:{port}", "require_tls": False})  # fmt: skip
    fire_and_deliver(conn)
    notification = one(conn, "SELECT * FROM monitoring.notifications")
    assert notification["status"] == outcome
    assert notification["last_error"].startswith(f"SMTP {reply[:3]}")
    assert scalar(conn, "SELECT status_code FROM monitoring.notification_attempts") == int(
        reply[:3]
    )


def test_a_server_that_is_down_is_retried(conn: Conn) -> None:
    port = _free_port("127.0.0.1")
    configure(conn, {"to": "oncall@example.com", "from": "pgvigil@example.com",
                     "smarthost": f"127.0.0.1:{port}"})  # fmt: skip
    assert fire_and_deliver(conn).retried == 1
    assert "ConnectionRefused" in scalar(conn, "SELECT last_error FROM monitoring.notifications")


@pytest.mark.parametrize(
    ("email_config", "code", "says"),
    [
        ({"to": "a@example.com", "from": "p@example.com"}, "PV608", "needs smarthost"),
        ({"to": "a@example.com", "from": "p@example.com", "smarthost": "mail"}, "PV608", "host:port"),
        ({"to": "a@example.com", "smarthost": "mail:25"}, "PV608", "needs from"),
        ({"to": "a@example.com", "from": "p@example.com", "smarthost": "mail:25",
          "headers": {"Subject": "{{ .Status }}"}}, "PV606", "templates are not supported"),
        ({"to": "a@example.com", "from": "p@example.com", "smarthost": "mail:25",
          "auth_password": "hunter2"}, "PV607", "auth_password_file"),
        ({"to": "a@example.com", "from": "p@example.com", "smarthost": "mail:25",
          "tls_config": {"cert_file": "/x"}}, "PV606", "tls_config.cert_file"),
    ],
)  # fmt: skip
def test_bad_email_configs_are_refused(
    conn: Conn, email_config: dict[str, Any], code: str, says: str
) -> None:
    document = scalar(conn, "SELECT document FROM monitoring.config")
    document["notifications"] = {
        "route": {"receiver": "mail"},
        "receivers": [{"name": "mail", "email_configs": [email_config]}],
    }
    with pytest.raises(psycopg.Error) as error:
        conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(document),))
    assert error.value.diag.sqlstate == code
    assert says in f"{error.value.diag.message_primary} {error.value.diag.message_detail}"
    assert error.value.diag.message_hint
