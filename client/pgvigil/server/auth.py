"""Who is calling, and whether their role may: FastAPI dependencies.

A request names its key as ``Authorization: Bearer KEY`` (what Prometheus's
``authorization`` block and amtool's ``--http.config.file`` send), or,
without one, comes with the web dashboard's session cookie
(``server/sessions.py``). Each request is first counted against its
address's rate limit, then its key or session is checked in the database
(so a revoked key, an ended session or a disabled user is refused from the
next request), then counted against the key's or user's own limit. A write
authenticated by the cookie must also carry the session's CSRF token
(``X-CSRF-Token``), else 403 PV718; a Bearer key needs none, since no
browser sends one by itself. The role check here answers 403 early and
clearly; the database checks again, since every request runs under the
principal's database role."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import Request

from pgvigil.server.cache import ReadCache
from pgvigil.server.database import Database, Principal
from pgvigil.server.errors import CSRF, FORBIDDEN, RATE_LIMITED, UNAUTHENTICATED, ApiError
from pgvigil.server.keys import hash_key
from pgvigil.server.limits import TokenBuckets, retry_after
from pgvigil.server.passwords import dummy_hash, verify_password
from pgvigil.server.sessions import (
    CSRF_HEADER,
    SAFE_METHODS,
    csrf_matches,
    hash_token,
    session_token,
)

# How long a checked key is taken as checked, while the live hub listens
# (a revocation or a new key reaches it by NOTIFY and empties the cache).
# 0: every request checks its key in the database. The NOTIFY arrives a
# moment after the revocation commits, and an expiry set by hand sends
# none, so a cached key could outlive either; kept off until that is
# closed (the target reads are cached, the key check is an index lookup).
# Sessions are checked in the database on every request, for the same
# reason (authenticate_web_session(), an index lookup).
KEY_CACHE_SECONDS = 0.0


class Gate:
    """The rate limits and the key and session checks, shared by every endpoint.

    A key found live is remembered for KEY_CACHE_SECONDS, but only while the
    live hub LISTENs: create_api_key() and revoke_api_key() NOTIFY, and the
    hub then forgets every key at once, so a revocation holds within the
    moment its NOTIFY takes. When the hub is not listening, every request
    checks its key in the database."""

    def __init__(
        self,
        db: Database,
        per_key: TokenBuckets,
        per_address: TokenBuckets,
        failed_auth: TokenBuckets,
    ) -> None:
        self.db = db
        self.per_key = per_key
        self.per_address = per_address
        self.failed_auth = failed_auth
        self.listening: Callable[[], bool] = lambda: False
        # One check at a time per key: the many requests of a key whose
        # entry just expired share it rather than queue for connections.
        self._keys = ReadCache(KEY_CACHE_SECONDS)

    def forget_keys(self) -> None:
        self._keys.invalidate()

    async def authenticate_key(self, key: str) -> Principal | None:
        key_hash = hash_key(key)
        if not self.listening():
            return await self.db.authenticate_key(key_hash)
        principal: Principal | None = await self._keys.get(
            key_hash, lambda: self.db.authenticate_key(key_hash)
        )
        if principal is None:
            self._keys.entries.pop(key_hash, None)  # an unknown key is asked again next time
        return principal

    def count_address(self, request: Request) -> None:
        wait = self.per_address.take(client_address(request))
        if wait:
            raise _rate_limited(wait, "this address")

    def count_principal(self, principal: Principal) -> None:
        wait = self.per_key.take(principal.bucket)
        if wait:
            raise _rate_limited(wait, "this API key" if principal.kind == "key" else "this user")

    def failed(self, request: Request, message: str) -> ApiError:
        """The answer to wrong credentials, counted against the address's few guesses."""
        wait = self.failed_auth.take(client_address(request))
        if wait:
            return _rate_limited(wait, "failed authentications from this address")
        return unauthenticated(message)

    async def authenticate_password(self, request: Request, user: str, password: str) -> int:
        """The id of the live web user whose password this is, else 401.

        Every attempt takes a token from the address's failed-authentication
        bucket before the password is checked, given back when it was right:
        once the bucket is empty even the right password waits, or guessing
        would go on at the address's full rate. The check runs argon2 in a
        thread, and an unknown user is checked against a dummy hash, so the
        answer takes as long whether the user exists or not."""
        address = client_address(request)
        wait = self.failed_auth.take(address)
        if wait:
            raise _rate_limited(wait, "failed authentications from this address")
        stored = await self.db.password_hash(user)

        def check() -> bool:
            right = verify_password(stored.password_hash if stored else dummy_hash(), password)
            return right and stored is not None

        if not await asyncio.to_thread(check):
            raise unauthenticated("wrong user name or password")
        self.failed_auth.give_back(address)
        assert stored is not None
        return stored.user_id

    async def principal(self, request: Request) -> Principal:
        """The caller: by its Bearer key, else by its session cookie."""
        self.count_address(request)
        key = bearer_token(request)
        if key:
            principal = await self.authenticate_key(key)
            if principal is None:
                raise self.failed(request, "unknown, revoked or expired API key")
        else:
            token = session_token(request)
            if token is None:
                raise unauthenticated("an API key or a session is required")
            # A stale cookie is not a guess (256 random bits cannot be
            # guessed): it does not count against the address's failures,
            # so a dashboard left open does not lock its user out.
            session = await self.db.authenticate_session(hash_token(token))
            if session is None:
                raise unauthenticated("the session has ended or expired: log in again")
            if request.method not in SAFE_METHODS and not csrf_matches(
                token, request.headers.get(CSRF_HEADER)
            ):
                raise ApiError(
                    403, CSRF, f"a write with the session cookie needs its {CSRF_HEADER} header"
                )
            principal = session.principal
        self.count_principal(principal)
        return principal


def unauthenticated(message: str) -> ApiError:
    return ApiError(
        401, UNAUTHENTICATED, message, headers={"WWW-Authenticate": 'Bearer realm="pgvigil"'}
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _rate_limited(wait: float, whose: str) -> ApiError:
    return ApiError(
        429,
        RATE_LIMITED,
        f"too many requests for {whose}",
        headers={"Retry-After": retry_after(wait)},
    )


def requires(role: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency: the caller, who must have at least ``role``."""

    async def dependency(request: Request) -> Principal:
        gate: Gate = request.app.state.gate
        principal = await gate.principal(request)
        if not principal.may(role):
            whose = "key" if principal.kind == "key" else "user"
            raise ApiError(
                403, FORBIDDEN, f"this needs the {role} role; this {whose} is {principal.role}"
            )
        return principal

    dependency.__name__ = f"requires_{role}"
    return dependency


viewer = requires("viewer")
operator = requires("operator")
admin = requires("admin")
