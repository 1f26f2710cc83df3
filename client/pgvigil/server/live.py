"""Live updates: GET /api/v1/events, server-sent events.

One LISTEN connection per server (``NOTIFY pgvigil_live``, sent at commit by
the triggers of ``monitoring_internal.notify_live()``) wakes a hub that reads
what changed once, as the reader role, and fans it out to every client:

- ``alert``: each new alert event (triggered, severity_changed,
  acknowledged, resolved, acknowledgement_expired), its SSE id the event's
  id, so a client that reconnects with ``Last-Event-ID`` gets every event it
  missed, replayed from ``v_alert_history`` before the live ones;
- ``health``: the components' health, when a status changed;
- ``counts``: tasks running, ended and failed in the last hour, errors in
  the last hour and open alerts, every ``counts_interval`` seconds while
  they change and anyone listens.

A lost notification loses nothing: the hub reads from the tables, by id."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import psycopg
from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from pgvigil.db.queries import query
from pgvigil.server.api import Viewer
from pgvigil.server.database import Database, Principal
from pgvigil.server.responses import dumps

log = logging.getLogger("pgvigil.server")

_LISTEN = query("live_listen")
_LAST_EVENT = query("live_last_alert_event")
_EVENTS_SINCE = query("live_alert_events_since")
_HEALTH = query("live_health")
_COUNTS = query("live_counts")

CHANNEL = "pgvigil_live"
REPLAY_LIMIT = 10_000
KEEPALIVE_SECONDS = 15.0
# The hub reads as a viewer would.
READER = Principal("live", 0, "live-updates", "viewer", "pgvigil_reader")

router = APIRouter(prefix="/api/v1")


def message(event: str, data: Any, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {dumps(data).decode()}\n\n".encode()


class LiveHub:
    def __init__(
        self,
        conninfo: str,
        db: Database,
        counts_interval: float = 2.0,
        on_change: Callable[[], None] | None = None,
        on_keys: Callable[[], None] | None = None,
    ) -> None:
        self.conninfo = conninfo
        self.on_change = on_change
        self.on_keys = on_keys
        # True while LISTEN holds: what the server may cache depends on it.
        self.listening = False
        self.db = db
        self.counts_interval = counts_interval
        self.subscribers: set[asyncio.Queue[bytes]] = set()
        self.last_event_id = 0
        self.last_counts: Any = None
        self.task: asyncio.Task[None] | None = None
        self.started = asyncio.Event()

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="pgvigil-live")

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    def subscribe(self) -> asyncio.Queue[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=10_000)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[bytes]) -> None:
        self.subscribers.discard(queue)

    def broadcast(self, chunk: bytes) -> None:
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(chunk)
            except asyncio.QueueFull:  # a client that reads nothing is dropped, not waited for
                self.subscribers.discard(queue)

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, application_name="pgvigil-serve-live"
                ) as conn:
                    await conn.execute(_LISTEN)
                    self.listening = True
                    async with self.db.acting_as(READER) as c:
                        row = await (await c.execute(_LAST_EVENT)).fetchone()
                    # After a reconnect, what came in between is sent first.
                    if self.last_event_id:
                        await self._alerts()
                    else:
                        self.last_event_id = int(row["last_event_id"]) if row else 0
                    self.started.set()
                    backoff = 1.0
                    while True:
                        # Wake at the first notification (or when the counts are
                        # due), then take the others already there.
                        kinds: set[str] = set()
                        async for notify in conn.notifies(
                            timeout=self.counts_interval, stop_after=1
                        ):
                            kinds.add(notify.payload)
                        if kinds:
                            async for notify in conn.notifies(timeout=0.001):
                                kinds.add(notify.payload)
                        if "keys" in kinds and self.on_keys:
                            self.on_keys()  # a key made or revoked: check every key again
                        if kinds - {"keys"} and self.on_change:
                            self.on_change()  # the read cache drops what changed
                        if "alert" in kinds:
                            await self._alerts()
                        if "health" in kinds:
                            await self._health()
                        if self.subscribers:
                            await self._counts()
            except asyncio.CancelledError:
                self.listening = False
                raise
            except Exception as exc:
                self.listening = False  # notifications may be missed: nothing cached is trusted
                if self.on_keys:
                    self.on_keys()
                if self.on_change:
                    self.on_change()
                log.warning("live updates: %s; reconnecting in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def _alerts(self) -> None:
        async with self.db.acting_as(READER) as conn:
            events = await (
                await conn.execute(_EVENTS_SINCE, (self.last_event_id, REPLAY_LIMIT))
            ).fetchall()
        for event in events:
            self.last_event_id = max(self.last_event_id, int(event["event_id"]))
            self.broadcast(message("alert", event, event["event_id"]))

    async def _health(self) -> None:
        async with self.db.acting_as(READER) as conn:
            rows = await (await conn.execute(_HEALTH)).fetchall()
        self.broadcast(message("health", rows))

    async def _counts(self) -> None:
        async with self.db.acting_as(READER) as conn:
            row = await (await conn.execute(_COUNTS)).fetchone()
        counts = row["counts"] if row else None
        if counts != self.last_counts:
            self.last_counts = counts
            self.broadcast(message("counts", counts))


@router.get(
    "/events",
    summary="Live updates as server-sent events: alert (with ids), health, counts",
    response_class=StreamingResponse,
)
async def events(
    who: Viewer,
    request: Request,
    last_event_id: int | None = Query(default=None, description="or the Last-Event-ID header"),
) -> StreamingResponse:
    hub: LiveHub = request.app.state.live
    header = request.headers.get("last-event-id")
    since = last_event_id
    if since is None and header and header.isdigit():
        since = int(header)
    db: Database = request.app.state.db
    await asyncio.wait_for(hub.started.wait(), timeout=10)
    queue = hub.subscribe()  # before the replay: nothing falls between the two
    replayed = 0
    backlog: list[bytes] = []
    if since is not None:
        async with db.acting_as(who) as conn:
            missed = await (await conn.execute(_EVENTS_SINCE, (since, REPLAY_LIMIT))).fetchall()
        for event in missed:
            replayed = max(replayed, int(event["event_id"]))
            backlog.append(message("alert", event, event["event_id"]))
    if hub.last_counts is not None:
        # The counts as last sent, so a new client need not wait for a change
        # (a newer one follows within the counts interval if they moved).
        backlog.append(message("counts", hub.last_counts))

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            for chunk in backlog:
                yield chunk
            while True:
                try:
                    chunk = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if replayed and chunk.startswith(b"id: "):
                    event_id = int(chunk[4 : chunk.index(b"\n")])
                    if event_id <= replayed:  # sent in the replay already
                        continue
                yield chunk
        finally:
            hub.unsubscribe(queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
