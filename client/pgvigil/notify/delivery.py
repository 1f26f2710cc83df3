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
from concurrent.futures import ThreadPoolExecutor, as_completed
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


# Sends in flight at once: a receiver that hangs until its timeout holds one
# of them, not the others' deliveries.
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
            body = orjson.dumps(chat.pagerduty_body(payload, config, key))
            return post(client, config.get("url", chat.PAGERDUTY_EVENTS_URL), body, {}, timeout)
        if integration == "email_configs":
            password = read_secret(config, "auth_password", environ)
            msg = email.message(payload, config, row["idempotency_key"])
            return email.send(config, msg, password, timeout)
    except SecretUnavailable as exc:
        # Not the receiver's fault, and fixable where the worker runs: try again later.
        return SendResult("retry", None, str(exc))
    return SendResult("failed", None, f"pgvigil does not deliver {integration}")


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
    """Flush the groups that are due (their notifications into the outbox),
    then claim, send and record up to ``limit`` notifications (only those of
    ``only`` when given). ``conn`` is in autocommit: the claim commits before
    anything is sent."""
    stats = DeliveryStats()
    if flush:
        row = conn.execute(_FLUSH).fetchone()
        stats.flushed = int(row[0]) if row else 0
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    claimed = cur.execute(_CLAIM, (worker, limit, 60.0, DELIVERED_INTEGRATIONS, only)).fetchall()
    if not claimed:
        return stats

    def send(item: dict[str, Any]) -> tuple[SendResult, float]:
        started = time.monotonic()
        result = _send_one(client, item, environ)
        return result, (time.monotonic() - started) * 1000

    # In parallel, each recorded as soon as it is answered (the connection
    # is used by this thread only): a receiver that is down does not hold
    # back the record of those that answered.
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_SENDS, len(claimed))) as pool:
        futures = {pool.submit(send, item): item for item in claimed}
        for future in as_completed(futures):
            item = futures[future]
            result, latency_ms = future.result()
            conn.execute(
                _RECORD,
                (item["notification_id"], item["attempt"], result.outcome, result.status_code, latency_ms,
                 result.error, result.retry_after_seconds, worker),
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
