"""A read cache for the busiest reads (overview, active alerts, tasks,
errors, metric history): one answer per database role, endpoint and
parameters, shared by every caller for up to ``ttl`` seconds (pgvigil
serve's ``--cache-seconds``, 1 by default; 0 turns it off).

It never serves what a committed change made stale for long: an alert or
health change anywhere (the live hub's ``NOTIFY pgvigil_live``) and any
write through this server drop every entry at once, so only tasks, errors
and metrics can lag, by at most twice ``ttl``. While one request computes
an answer, the others asking the same wait for it instead of asking the
database too (and all get it at once). An answer older than ``ttl`` but
not ``2 * ttl`` (and not dropped by a change) is still given, at once,
while one refresh runs behind it: a busy read is recomputed once a ttl
without anyone waiting for it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

MAX_ENTRIES = 1000


class ReadCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.generation = 0
        self.entries: dict[Hashable, tuple[float, int, Any]] = {}
        # The answer being computed, per key: every caller awaits the same
        # future, and all wake together when it is set (a lock would hand
        # them through one by one, a round of the event loop each).
        self.pending: dict[Hashable, asyncio.Future[Any]] = {}
        # The background refreshes running (held so that they are not collected).
        self.refreshing: set[asyncio.Task[None]] = set()

    def invalidate(self) -> None:
        self.generation += 1
        self.entries.clear()

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        if self.ttl <= 0:
            return await compute()
        entry = self.entries.get(key)
        if entry and entry[1] == self.generation:
            now = time.monotonic()
            if entry[0] > now:
                return entry[2]
            if entry[0] + self.ttl > now:
                # Only old (no change invalidated it), by less than another
                # ttl: answered at once while one refresh runs behind it, so
                # no caller waits for the once-a-ttl recomputation.
                if key not in self.pending:
                    task = asyncio.create_task(self._refresh(key, compute))
                    self.refreshing.add(task)
                    task.add_done_callback(self.refreshing.discard)
                return entry[2]
        return await self._compute(key, compute)

    async def _refresh(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> None:
        with contextlib.suppress(
            Exception
        ):  # the next caller past the grace asks again, and sees it
            await self._compute(key, compute)

    async def _compute(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        future = self.pending.get(key)
        if future is not None:
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                if not future.cancelled():
                    raise  # this caller itself was cancelled
                # The caller computing it went away (cancelled): this one
                # asks the database itself rather than answer nothing.
                return await compute()
        future = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        generation = self.generation
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()  # the waiters see a cancelled future and compute on their own
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            self.pending.pop(key, None)
        future.set_result(value)
        if generation == self.generation:  # nothing changed meanwhile
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
            self.entries[key] = (time.monotonic() + self.ttl, generation, value)
        return value
