"""The demo's notifications: a webhook receiver on loopback, a route to it,
one silence, and a delivery round, so that ``pgvigil demo`` ends by showing
that the alerts it raised were grouped and delivered, and that a silenced
one was held back.

The receiver is a real HTTP server in the demo's process; the route names
it by an environment variable (``url_env``), as a real config names a
secret, and the demo delivers with the same code as ``pgvigil worker``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pgvigil.db.queries import query
from pgvigil.notify.delivery import deliver_due

__all__ = [
    "DemoReceiver",
    "NotificationReport",
    "deliver_demo_notifications",
    "prepare_demo_notifications",
]

RECEIVER = "demo-webhook"
URL_ENV = "PGVIGIL_DEMO_WEBHOOK_URL"
SILENCED_RULE = "demo_memory_climbing"

_PATCH_CONFIG = query("patch_config")
_CREATE_SILENCE = query("create_silence")
_EXPIRE_DEMO_SILENCES = query("demo_expire_silences")
_PENDING = query("demo_pending_notifications")
_HELD_BACK = query("demo_held_back")

# The route: alerts grouped by name, the first notification at once (the
# demo does not wait the shipped 10 s group_wait), resolves sent, and a
# reminder every 5 minutes (not the shipped 4 h), so that what the dashboard
# does shows in the receiver's log within minutes: a silenced or fully
# acknowledged group's reminders stop.
DEMO_NOTIFICATIONS = {
    "route": {
        "receiver": RECEIVER,
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": "1m",
        "repeat_interval": "5m",
    },
    "receivers": [{"name": RECEIVER, "webhook_configs": [{"url_env": URL_ENV}]}],
}


class DemoReceiver:
    """A webhook receiver on 127.0.0.1 that keeps every body it is sent."""

    def __init__(
        self, port: int = 0, on_body: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        self.bodies: list[dict[str, Any]] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                bodies.append(body)
                if on_body is not None:
                    on_body(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/pgvigil-demo"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def prepare_demo_notifications(conn: psycopg.Connection[Any]) -> str:
    """Route every alert to the demo receiver and silence the demo's own rule
    for an hour (an earlier demo's silence expired first); the silence's id."""
    conn.execute(_PATCH_CONFIG, (Jsonb({"notifications": DEMO_NOTIFICATIONS}), ["notifications"]))
    conn.execute(_EXPIRE_DEMO_SILENCES)
    row = conn.execute(
        _CREATE_SILENCE,
        {"matchers": [f"alertname={SILENCED_RULE}"], "comment": "pgvigil demo: a planned memory test",
         "until": None, "duration": "1h", "start": None, "author": "pgvigil demo"},
    ).fetchone()  # fmt: skip
    assert row is not None
    return str(row[0])


@dataclass
class NotificationReport:
    delivered: int = 0
    groups: list[str] = field(default_factory=list)
    held_back: list[dict[str, Any]] = field(default_factory=list)


def deliver_demo_notifications(
    conn: psycopg.Connection[Any], receiver: DemoReceiver, *, timeout: float = 15.0
) -> NotificationReport:
    """Deliver what the checks decided, as pgvigil worker would, until
    nothing is left for the demo receiver; then what it got and what was
    held back."""
    report = NotificationReport()
    deadline = time.monotonic() + timeout
    with httpx.Client() as client:
        while True:
            stats = deliver_due(
                conn, client, worker="pgvigil-demo", environ={URL_ENV: receiver.url}
            )
            report.delivered += stats.delivered
            pending = conn.execute(_PENDING, (RECEIVER,)).fetchone()
            if not (pending and pending[0]) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    report.groups = [
        f"{body.get('status', '?')}: {len(body.get('alerts', []))} alert(s) of "
        f"{', '.join(f'{k}={v}' for k, v in sorted(body.get('groupLabels', {}).items()))}"
        for body in receiver.bodies
    ]
    with conn.cursor(row_factory=dict_row) as cur:
        report.held_back = cur.execute(_HELD_BACK, (RECEIVER,)).fetchall()
    return report


def print_notification_report(report: NotificationReport, receiver: DemoReceiver) -> None:
    print(f"notifications: {report.delivered} delivered to the demo webhook receiver ({receiver.url}),"
          " one per group of alerts with the same alertname:")  # fmt: skip
    for line in report.groups:
        print(f"  {line}")
    for held in report.held_back:
        print(f"held back: {held['alertname']}, {held['detail']}")
