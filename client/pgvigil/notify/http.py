"""HTTP for every channel that is an HTTP POST (webhook, Slack, Teams,
PagerDuty): one send, and what the answer means for the outbox."""

from __future__ import annotations

import email.utils
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


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (
                email.utils.parsedate_to_datetime(value).timestamp() - time.time()
            )  # an HTTP date
        except (TypeError, ValueError):
            return None
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


def post(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], timeout: float
) -> SendResult:
    """POST a JSON body; never raises for the receiver's failures."""
    try:
        response = client.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", "User-Agent": "pgvigil", **headers},
            timeout=timeout,
        )
    except httpx.TimeoutException:
        return SendResult("retry", None, f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        # The URL is a secret (it often holds a token): never in the error.
        return SendResult("retry", None, f"{type(exc).__name__}: {str(exc).replace(url, '<url>')}")
    return classify(response.status_code, response.headers.get("Retry-After"))
