"""The webhook protocol: Alertmanager's webhook v4 body, POSTed as JSON, with
the Standard Webhooks headers (``webhook-id``: the notification's idempotency
key, ``webhook-timestamp``, and ``webhook-signature`` when a signing secret is
configured), so a receiver can verify it and dedupe retries by its id."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx

# Retry-After beyond an hour is taken as an hour (record_notification_attempt caps it too).
_MAX_RETRY_AFTER_SECONDS = 3600.0


@dataclass(frozen=True)
class SendResult:
    """What a receiver answered: the outcome for record_notification_attempt()."""

    outcome: str  # delivered, retry, failed
    status_code: int | None = None
    error: str | None = None
    retry_after_seconds: float | None = None


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks ``webhook-signature`` header: ``v1,`` and the
    base64 HMAC-SHA256 of ``id.timestamp.body`` under the secret (``whsec_``
    and base64, or raw text)."""
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)  # an HTTP date
        seconds = parsed.timestamp() - time.time()
    return max(0.0, min(seconds, _MAX_RETRY_AFTER_SECONDS))


def classify(status_code: int, retry_after: str | None) -> SendResult:
    """2xx delivered; 408, 429 and 5xx again later (after Retry-After when
    given); 410 Gone and any other 4xx never again (the receiver would refuse
    it every time)."""
    if 200 <= status_code < 300:
        return SendResult("delivered", status_code)
    if status_code in (408, 429) or status_code >= 500:
        return SendResult("retry", status_code, f"HTTP {status_code}", _retry_after(retry_after))
    return SendResult("failed", status_code, f"HTTP {status_code}")


def send(
    client: httpx.Client,
    url: str,
    body: bytes,
    *,
    message_id: str,
    signing_secret: str | None = None,
    timeout: float = 10.0,
) -> SendResult:
    """POST one notification; never raises for the receiver's failures."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "pgvigil",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    if signing_secret:
        headers["webhook-signature"] = signature(signing_secret, message_id, timestamp, body)
    try:
        response = client.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return SendResult("retry", None, f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        # The URL is a secret (it often holds a token): never in the error.
        return SendResult("retry", None, f"{type(exc).__name__}: {str(exc).replace(url, '<url>')}")
    return classify(response.status_code, response.headers.get("Retry-After"))
