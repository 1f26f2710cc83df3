"""Who is calling, and whether their role may: FastAPI dependencies.

A request names its key as ``Authorization: Bearer KEY`` (what Prometheus's
``authorization`` block and amtool's ``--http.config.file`` send). Each
request is first counted against its address's rate limit, then its key is
checked in the database (so a revoked key is refused from the next
request), then counted against the key's own limit. The role check here
answers 403 early and clearly; the database checks again, since every
request runs under the key's database role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from pgvigil.server.cache import ReadCache
from pgvigil.server.database import Database, Principal
from pgvigil.server.errors import FORBIDDEN, RATE_LIMITED, UNAUTHENTICATED, ApiError
from pgvigil.server.keys import hash_key
from pgvigil.server.limits import TokenBuckets, retry_after

# How long a checked key is taken as checked, while the live hub listens
# (a revocation or a new key reaches it by NOTIFY and empties the cache).
# 0: every request checks its key in the database. The NOTIFY arrives a
# moment after the revocation commits, and an expiry set by hand sends
# none, so a cached key could outlive either; kept off until that is
# closed (the target reads are cached, the key check is an index lookup).
KEY_CACHE_SECONDS = 0.0


class Gate:
    """The rate limits and the key check, shared by every endpoint.

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

    async def _authenticate(self, key: str) -> Principal | None:
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

    async def principal(self, request: Request) -> Principal:
        self.count_address(request)
        key = bearer_token(request)
        principal = await self._authenticate(key) if key else None
        if principal is None:
            # A wrong key counts against the address's few guesses; no key does not.
            wait = self.failed_auth.take(client_address(request)) if key else 0.0
            if wait:
                raise _rate_limited(wait, "failed authentications from this address")
            raise ApiError(
                401,
                UNAUTHENTICATED,
                "an API key is required" if not key else "unknown, revoked or expired API key",
                headers={"WWW-Authenticate": 'Bearer realm="pgvigil"'},
            )
        wait = self.per_key.take(f"key:{principal.id}")
        if wait:
            raise _rate_limited(wait, "this API key")
        return principal


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
            raise ApiError(
                403, FORBIDDEN, f"this needs the {role} role; this key is {principal.role}"
            )
        return principal

    dependency.__name__ = f"requires_{role}"
    return dependency


viewer = requires("viewer")
operator = requires("operator")
admin = requires("admin")
