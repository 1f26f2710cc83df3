"""At least once, proven with SIGKILL: pgvigil worker, a real process, is
killed at random points of its deliveries (after a claim, while the
receiver holds the request, after the receiver answered but before the
attempt is recorded), and restarted. The receiver sees every notification
at least once, and exactly once after deduplicating by webhook-id; every
resolve whose firing was delivered is delivered too. (A killed worker's
claims are released by moving their lease's end to now: the lease is
plain arithmetic on claimed_until, and the tests do not wait a minute.)"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, rows, scalar
from receivers import Receiver
from signals import add_errors, delete_errors

COMPONENTS = [f"svc{i}" for i in range(6)]


@pytest.fixture
def slow_receiver() -> Iterator[Receiver]:
    # Each answer takes a while, so that a kill often lands mid-request.
    r = Receiver(delay_seconds=0.3)
    yield r
    r.close()


def configure(conn: Conn) -> None:
    section = {
        "route": {"receiver": "hooks", "group_by": ["alertname", "component"], "group_wait": "0s",
                  "group_interval": "1s"},
        "receivers": [{"name": "hooks", "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK_URL"}]}],
    }  # fmt: skip
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )


def start_worker(dsn: str, receiver: Receiver) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PGVIGIL_TEST_HOOK_URL": receiver.url}
    return subprocess.Popen(
        [sys.executable, "-m", "pgvigil.cli", "--database", dsn, "worker", "--interval", "0.2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def kill_and_release(conn: Conn, worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    conn.execute(
        "UPDATE monitoring.notifications SET claimed_until = now() - interval '1 second',"
        " next_attempt_at = least(next_attempt_at, now()) WHERE status = 'pending'"
    )


def deliver_with_kills(
    conn: Conn, dsn: str, receiver: Receiver, kills: int, rng: random.Random
) -> None:
    for _ in range(kills):
        worker = start_worker(dsn, receiver)
        time.sleep(rng.uniform(0.5, 2.0))
        kill_and_release(conn, worker)
    # Then one that is left to finish.
    worker = start_worker(dsn, receiver)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pending = scalar(
                conn, "SELECT count(*) FROM monitoring.notifications WHERE status <> 'delivered'"
            )
            groups_due = scalar(conn, "SELECT count(*) FROM monitoring.notification_groups"
                                      " WHERE next_flush_at <= now() AND last_notified_at IS NULL")  # fmt: skip
            if pending == 0 and groups_due == 0:
                break
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)


def received(receiver: Receiver) -> list[tuple[str, dict[str, object]]]:
    out = []
    for request in receiver.requests:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        out.append((headers["webhook-id"], json.loads(request["body"])))
    return out


def test_sigkill_at_any_point_loses_no_notification(
    dsn: str, conn: Conn, slow_receiver: Receiver
) -> None:
    rng = random.Random(20261201)
    configure(conn)
    for component in COMPONENTS:
        add_errors(conn, component, 30)
    deliver_with_kills(conn, dsn, slow_receiver, kills=4, rng=rng)

    outbox = rows(
        conn, "SELECT idempotency_key, status, reason, payload FROM monitoring.notifications"
    )
    assert {n["status"] for n in outbox} == {"delivered"}
    got = received(slow_receiver)
    by_key = {key: body for key, body in got}
    # Every notification arrived, at least once; deduplicated by webhook-id, once each.
    assert {n["idempotency_key"] for n in outbox} <= set(by_key)
    firing = {n["payload"]["groupKey"] for n in outbox if n["payload"]["status"] == "firing"}
    assert len(firing) == len(COMPONENTS)
    # A notification sent again (its worker killed before recording it) is the same notification.
    for key, body in got:
        assert body == by_key[key]

    # Now every alert resolves, and the worker is killed again while it says so.
    for component in COMPONENTS:
        delete_errors(conn, component)
    deliver_with_kills(conn, dsn, slow_receiver, kills=3, rng=rng)
    outbox = rows(conn, "SELECT idempotency_key, status, payload FROM monitoring.notifications")
    assert {n["status"] for n in outbox} == {"delivered"}
    by_key = {key: body for key, body in received(slow_receiver)}
    resolved = {body["groupKey"] for body in by_key.values() if body["status"] == "resolved"}
    # A resolve whose firing was delivered is always delivered.
    assert resolved == firing
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts WHERE resolved_at IS NULL") == 0
