"""Rate limits and the request size limit, in the server process.

A token bucket per API key or web user and one per client address:
``rate`` requests a second on average, bursts of ``burst``. An address also
has a bucket of its own for failed authentications, much smaller, so
guessing keys and passwords is slow.
The buckets are this process's: two servers behind one proxy each allow the
rate (documented)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pgvigil.server.errors import TOO_LARGE, ApiError


class TokenBuckets:
    """Token buckets by name; least recently used names are forgotten past
    ``max_names`` (a forgotten bucket is full again, which only errs towards
    allowing)."""

    def __init__(self, rate: float, burst: float, max_names: int = 100_000) -> None:
        if not (rate > 0 and burst >= 1):
            raise ValueError("a rate limit needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self.max_names = max_names
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, name: str, now: float | None = None) -> float:
        """Takes a token: 0 when there was one, else the seconds until there is."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, at = self._buckets.pop(name, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[name] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[name] = (tokens, now)
                wait = (1 - tokens) / self.rate
            while len(self._buckets) > self.max_names:
                self._buckets.popitem(last=False)
            return wait

    def give_back(self, name: str) -> None:
        """Returns a token taken ahead (a password login takes one from the
        failed-authentication bucket before it checks, and gives it back
        when the password was right)."""
        with self._lock:
            if name in self._buckets:
                tokens, at = self._buckets[name]
                self._buckets[name] = (min(self.burst, tokens + 1), at)


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class BodySizeLimit:
    """ASGI middleware: a body over ``max_bytes`` is answered 413, whether
    its Content-Length says so or it streams past the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await _answer_too_large(send, self.max_bytes)
                    return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _answer_too_large(send, self.max_bytes)


class _BodyTooLarge(StarletteHTTPException):
    """An HTTPException, so that FastAPI's body parsing lets it through (it
    turns other exceptions into a 400); answered 413 as PV714."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


async def _answer_too_large(send: Send, max_bytes: int) -> None:
    body = orjson.dumps(
        ApiError(413, TOO_LARGE, f"the request body is over {max_bytes} bytes").body()
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """ASGI middleware (plain ASGI: Starlette's BaseHTTPMiddleware costs a
    task per request): the security headers on every answer, no-store
    unless the answer says otherwise, and ``after_write`` called once a
    request other than GET, HEAD or OPTIONS has been answered."""

    def __init__(self, app: ASGIApp, after_write: Callable[[], None]) -> None:
        self.app = app
        self.after_write = after_write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in _SECURITY_HEADERS if h[0] not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
                self.after_write()
