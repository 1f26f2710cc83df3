"""The ASGI application of ``pgvigil serve``: FastAPI, its OpenAPI page at
``/docs``, one async pool to the database, the rate limits, and every error
as JSON with a PV code (``errors``). Only ``/health`` and the login answer
without a key or a session."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

import pgvigil
from pgvigil.server import alertmanager, api, dashboard, live, metrics
from pgvigil.server.auth import Gate
from pgvigil.server.cache import ReadCache
from pgvigil.server.database import Database
from pgvigil.server.errors import (
    INTERNAL,
    INVALID_REQUEST,
    NOT_FOUND,
    TOO_LARGE,
    UNAVAILABLE,
    ApiError,
    from_database,
)
from pgvigil.server.limits import BodySizeLimit, SecurityHeaders, TokenBuckets
from pgvigil.server.passwords import dummy_hash
from pgvigil.server.responses import JSON

log = logging.getLogger("pgvigil.server")


@dataclass(frozen=True)
class ServerSettings:
    """What ``pgvigil serve`` is started with (its options, documented there)."""

    conninfo: str
    rate_per_key: float = 50.0  # requests a second, on average
    burst_per_key: float = 200.0
    rate_per_address: float = 100.0
    burst_per_address: float = 400.0
    failed_auth_per_minute: float = 30.0
    max_body_bytes: int = 1024 * 1024
    pool_min_size: int = 2
    pool_max_size: int = 20
    metrics_without_key: bool = False
    # How long a request waits for a connection before it is answered 503.
    pool_timeout: float = 10.0
    # Seconds between the live counts (tasks, errors, alerts) pushed to clients.
    live_counts_interval: float = 2.0
    # How long the busiest reads are shared between callers (server/cache.py); 0: never.
    cache_seconds: float = 1.0
    # How long a web session lasts from its login (a key's ends with the key).
    session_lifetime_seconds: float = 12 * 3600.0


def create_app(settings: ServerSettings) -> FastAPI:
    db = Database(
        settings.conninfo, settings.pool_min_size, settings.pool_max_size, settings.pool_timeout
    )
    cache = ReadCache(settings.cache_seconds)
    gate = Gate(
        db,
        per_key=TokenBuckets(settings.rate_per_key, settings.burst_per_key),
        per_address=TokenBuckets(settings.rate_per_address, settings.burst_per_address),
        failed_auth=TokenBuckets(
            settings.failed_auth_per_minute / 60, max(1.0, settings.failed_auth_per_minute / 3)
        ),
    )
    hub = live.LiveHub(
        settings.conninfo,
        db,
        settings.live_counts_interval,
        on_change=cache.invalidate,
        on_keys=gate.forget_keys,
    )
    gate.listening = lambda: hub.listening

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Made now, so that the first login of an unknown user costs no more than a known one's.
        await asyncio.to_thread(dummy_hash)
        await db.open()
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            await db.close()

    app = FastAPI(
        title="pgvigil",
        version=pgvigil.__version__,
        description="Monitoring and alerting whose logic lives in PostgreSQL. "
        "Send an API key as 'Authorization: Bearer KEY', or log in at POST /api/v1/session "
        "(with a key, or a web user's name and password) and send its cookie, with the "
        "X-CSRF-Token header on every write; only /health and the login answer without either "
        "(and /metrics, when pgvigil serve runs with --metrics-without-key).",
        default_response_class=JSON,
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.live = hub
    app.state.cache = cache
    app.state.settings = settings
    app.state.gate = gate
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    app.add_middleware(SecurityHeaders, after_write=cache.invalidate)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSON:
        return JSON(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(psycopg.Error)
    async def database_error(request: Request, exc: psycopg.Error) -> JSON:
        error = from_database(exc)
        return JSON(error.body(), status_code=error.status, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSON:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        error = ApiError(422, INVALID_REQUEST, "invalid request", detail=problems)
        return JSON(error.body(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSON:
        code = {404: NOT_FOUND, 413: TOO_LARGE}.get(exc.status_code, INVALID_REQUEST)
        error = ApiError(exc.status_code, code, str(exc.detail))
        return JSON(error.body(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSON:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSON(ApiError(500, INTERNAL, "internal error").body(), status_code=500)

    @app.get("/health", summary="Whether the server and its database answer (no key needed)")
    async def health(request: Request) -> Any:
        app.state.gate.count_address(request)
        try:
            await db.ping()
        except Exception as exc:
            log.warning("health: database unavailable: %s", exc)
            error = ApiError(503, UNAVAILABLE, "the database is unavailable")
            return JSON({"status": "unavailable", **error.body()}, status_code=503)
        return {"status": "ok", "version": pgvigil.__version__}

    app.include_router(api.router)
    app.include_router(metrics.router)
    app.include_router(alertmanager.router)
    app.include_router(live.router)
    app.include_router(api.seed_router)
    app.include_router(dashboard.router)
    app.mount("/static", dashboard.static_files(), name="static")
    return app
