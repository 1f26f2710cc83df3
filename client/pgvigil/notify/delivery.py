"""Delivering the outbox: claim due notifications, send them with no lock
held, record each attempt. The database decides everything else (what to
send, retries and their backoff, when to give up: ``claim_notifications``,
``record_notification_attempt``); this module reads the secrets a receiver
names and speaks the protocol.

At least once: a worker killed between sending and recording leaves its
claim's lease to expire, and the notification is sent again with the same
``webhook-id``, by which the receiver dedupes it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg

from pgvigil.db.queries import query
from pgvigil.notify import chat, email, webhook
from pgvigil.notify.http import SendResult, post

log = logging.getLogger("pgvigil.delivery")

_FLUSH = query("flush_notification_groups")
_CLAIM = query("claim_notifications")
_RECORD = query("record_notification_attempt")

# The integrations a worker delivers (claim_notifications claims only these).
DELIVERED_INTEGRATIONS = [
    "webhook_configs",
    "slack_configs",
    "msteamsv2_configs",
    "email_configs",
    "pagerduty_configs",
]


# Sends in flight at once in a one-off round (deliver_due).
MAX_PARALLEL_SENDS = 16


class SecretUnavailable(Exception):
    """A receiver's KEY_file or KEY_env cannot be read by this process."""


def read_secret(
    config: Mapping[str, Any], key: str, environ: Mapping[str, str] | None = None
) -> str | None:
    """The secret ``key`` of an integration's config, from ``KEY_file`` (the
    file's text, without its final newline) or ``KEY_env`` (that variable of
    this process). None when the config names neither."""
    environ = os.environ if environ is None else environ
    if f"{key}_file" in config:
        path = Path(config[f"{key}_file"])
        try:
            return path.read_text(encoding="utf-8").rstrip("\n")
        except OSError as exc:
            raise SecretUnavailable(f"{key}_file {path}: {exc.strerror}") from exc
    if f"{key}_env" in config:
        name = config[f"{key}_env"]
        if name not in environ:
            raise SecretUnavailable(f"{key}_env: the environment variable {name} is not set")
        return environ[name]
    return None


@dataclass
class DeliveryStats:
    flushed: int = 0
    attempted: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: DeliveryStats) -> None:
        self.flushed += other.flushed
        self.attempted += other.attempted
        self.delivered += other.delivered
        self.retried += other.retried
        self.failed += other.failed


def _send_one(
    client: httpx.Client, row: dict[str, Any], environ: Mapping[str, str] | None
) -> SendResult:
    config = row["config"] or {}
    integration = row["integration"]
    timeout = float(row["timeout_seconds"])
    payload = row["payload"]
    try:
        if integration == "webhook_configs":
            url = read_secret(config, "url", environ)
            if url is None:
                return SendResult("failed", None, "no url_file or url_env in the config")
            return webhook.send(client, url, orjson.dumps(payload), message_id=row["idempotency_key"],
                                signing_secret=read_secret(config, "signing_secret", environ),
                                timeout=timeout)  # fmt: skip
        if integration == "slack_configs":
            url = read_secret(config, "api_url", environ)
            if url is None:
                return SendResult("failed", None, "no api_url_file or api_url_env in the config")
            return post(client, url, orjson.dumps(chat.slack_body(payload, config)), {}, timeout)
        if integration == "msteamsv2_configs":
            url = read_secret(config, "webhook_url", environ)
            if url is None:
                return SendResult(
                    "failed", None, "no webhook_url_file or webhook_url_env in the config"
                )
            return post(client, url, orjson.dumps(chat.teams_body(payload, config)), {}, timeout)
        if integration == "pagerduty_configs":
            key = read_secret(config, "routing_key", environ)
            if key is None:
                return SendResult(
                    "failed",
                    None,
                    "pgvigil sends Events API v2: give routing_key_file or routing_key_env",
                )
            body = orjson.dumps(chat.pagerduty_body(payload, config, key, row.get("reason")))
            return post(client, config.get("url", chat.PAGERDUTY_EVENTS_URL), body, {}, timeout)
        if integration == "email_configs":
            password = read_secret(config, "auth_password", environ)
            msg = email.message(payload, config, row["idempotency_key"])
            return email.send(config, msg, password, timeout)
    except SecretUnavailable as exc:
        # Not the receiver's fault, and fixable where the worker runs: try again later.
        return SendResult("retry", None, str(exc))
    return SendResult("failed", None, f"pgvigil does not deliver {integration}")


class Courier:
    """Sends claimed notifications without holding up the caller: each
    receiver has its own few threads (``per_receiver``), so one that hangs
    until its timeouts fills only its own, and a receiver whose threads are
    all busy is not claimed for (``claim_notifications``' p_skip_receivers)
    until they free up. The caller's thread alone uses the connection: it
    claims (``dispatch``) and records what has been answered
    (``record_finished``), which ``pgvigil worker`` does between its
    evaluations, several times a second."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        worker: str,
        environ: Mapping[str, str] | None = None,
        per_receiver: int = 4,
    ) -> None:
        self.client = client
        self.worker = worker
        self.environ = environ
        self.per_receiver = per_receiver
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._in_flight: dict[Future[tuple[SendResult, float]], dict[str, Any]] = {}

    def _send(self, item: dict[str, Any]) -> tuple[SendResult, float]:
        started = time.monotonic()
        result = _send_one(self.client, item, self.environ)
        return result, (time.monotonic() - started) * 1000

    def busy_receivers(self) -> list[str]:
        counts: dict[str, int] = {}
        for item in self._in_flight.values():
            counts[item["receiver"]] = counts.get(item["receiver"], 0) + 1
        return [r for r, n in counts.items() if n >= self.per_receiver]

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def dispatch(
        self,
        conn: psycopg.Connection[Any],
        *,
        limit: int = 20,
        only: list[int] | None = None,
        flush: bool = True,
    ) -> DeliveryStats:
        """Record what was answered, flush the groups that are due (their
        notifications into the outbox), then claim up to ``limit`` (only
        those of ``only`` when given) and start sending them. The claim
        commits (``conn`` is in autocommit) before anything is sent."""
        stats = self.record_finished(conn)
        if flush:
            row = conn.execute(_FLUSH).fetchone()
            stats.flushed = int(row[0]) if row else 0
        cur = conn.cursor(row_factory=psycopg.rows.dict_row)
        claimed = cur.execute(
            _CLAIM, (self.worker, limit, 60.0, DELIVERED_INTEGRATIONS, only, self.busy_receivers())
        ).fetchall()
        for item in claimed:
            pool = self._pools.get(item["receiver"])
            if pool is None:
                pool = self._pools[item["receiver"]] = ThreadPoolExecutor(
                    max_workers=self.per_receiver,
                    thread_name_prefix=f"pgvigil-send-{item['receiver']}"[:40],
                )
            self._in_flight[pool.submit(self._send, item)] = item
        return stats

    def record_finished(self, conn: psycopg.Connection[Any], wait: float = 0.0) -> DeliveryStats:
        """Record every send that has been answered (waiting up to ``wait``
        seconds for the first when none has)."""
        stats = DeliveryStats()
        if wait and self._in_flight:
            futures.wait(list(self._in_flight), timeout=wait, return_when=futures.FIRST_COMPLETED)
        for future in [f for f in self._in_flight if f.done()]:
            item = self._in_flight.pop(future)
            result, latency_ms = future.result()
            conn.execute(
                _RECORD,
                (item["notification_id"], item["attempt"], result.outcome, result.status_code, latency_ms,
                 result.error, result.retry_after_seconds, self.worker),
            )  # fmt: skip
            stats.attempted += 1
            if result.outcome == "delivered":
                stats.delivered += 1
            elif result.outcome == "retry":
                stats.retried += 1
            else:
                stats.failed += 1
            if result.outcome != "delivered":
                log.warning("notification %s to %s: %s (%s)", item["notification_id"], item["receiver"],
                            result.outcome, result.error)  # fmt: skip
        return stats

    def drain(self, conn: psycopg.Connection[Any], timeout: float) -> DeliveryStats:
        """Record the sends in flight as they are answered, for at most
        ``timeout`` seconds (each send has its own timeout)."""
        total = DeliveryStats()
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            total.add(
                self.record_finished(conn, wait=min(0.25, max(deadline - time.monotonic(), 0.0)))
            )
        return total

    def close(self) -> None:
        """Stop the threads; a send still in flight is left to its lease,
        which expires and lets another worker send it again (at least once)."""
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        self._pools.clear()
        self._in_flight.clear()


def deliver_due(
    conn: psycopg.Connection[Any],
    client: httpx.Client,
    *,
    worker: str,
    limit: int = 20,
    environ: Mapping[str, str] | None = None,
    only: list[int] | None = None,
    flush: bool = True,
) -> DeliveryStats:
    """One round, synchronously: flush, claim up to ``limit`` (only those of
    ``only`` when given), send them side by side, and record each as it is
    answered. For one-off delivery (``pgvigil notify test``, the demo, the
    tests); ``pgvigil worker`` keeps a ``Courier`` instead."""
    courier = Courier(client, worker=worker, environ=environ, per_receiver=MAX_PARALLEL_SENDS)
    try:
        stats = courier.dispatch(conn, limit=limit, only=only, flush=flush)
        # Every send has a timeout; the longest a config may set is an hour.
        stats.add(courier.drain(conn, timeout=3700.0))
        return stats
    finally:
        courier.close()
