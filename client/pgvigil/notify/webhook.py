"""The webhook protocol: Alertmanager's webhook v4 body, POSTed as JSON, with
the Standard Webhooks headers (``webhook-id``: the notification's idempotency
key, ``webhook-timestamp``, and ``webhook-signature`` when a signing secret is
configured), so a receiver can verify it and dedupe retries by its id."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import httpx

from pgvigil.notify.http import SendResult, post


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks ``webhook-signature`` header: ``v1,`` and the
    base64 HMAC-SHA256 of ``id.timestamp.body`` under the secret (``whsec_``
    and base64, or raw text)."""
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def send(
    client: httpx.Client,
    url: str,
    body: bytes,
    *,
    message_id: str,
    signing_secret: str | None = None,
    timeout: float = 10.0,
) -> SendResult:
    """POST one notification with the Standard Webhooks headers."""
    timestamp = int(time.time())
    headers = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if signing_secret:
        headers["webhook-signature"] = signature(signing_secret, message_id, timestamp, body)
    return post(client, url, body, headers, timeout)
