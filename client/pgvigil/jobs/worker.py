"""``pgvigil worker``: evaluates the alert rules every few seconds, and
delivers the notifications that decides (pgvigil.notify.delivery).

The rules and their semantics are in the database
(``monitoring.evaluate_alert_rules()``); this loop only decides *when* to call
it: every ``interval`` seconds, and at once when a recording function
announces an event that matters now (``NOTIFY pgvigil_evaluate``: a health
status change, a critical error). Several workers at once are safe: an
evaluation that finds another in progress returns no rows and changes
nothing. pg_cron's minute job stays the fallback when no worker runs.

A lost connection is retried with backoff; the loop never dies of one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from pgvigil.db.queries import query
from pgvigil.notify.delivery import Courier

log = logging.getLogger("pgvigil.worker")

_LISTEN = query("worker_listen")
_EVALUATE = query("worker_evaluate_rules")

# Events that arrive together (a burst of health changes) are one evaluation.
_DEBOUNCE_SECONDS = 0.05


@dataclass
class Evaluation:
    """What one evaluation did: why it ran, when, and per rule what it saw."""

    reason: str
    started_at: float
    duration_seconds: float
    rules: int
    firing: int
    pending: int
    transitions: int
    skipped: bool = False


@dataclass
class WorkerStats:
    evaluations: int = 0
    skipped: int = 0
    failures: int = 0
    woken_by_events: int = 0
    delivered: int = 0
    last: Evaluation | None = None
    history: list[Evaluation] = field(default_factory=list)


def evaluate_once(conn: psycopg.Connection[Any], reason: str, source: str = "worker") -> Evaluation:
    """One evaluation of every enabled rule, in its own transaction."""
    started = time.monotonic()
    rows = conn.execute(_EVALUATE, (source,)).fetchall()
    return Evaluation(
        reason=reason,
        started_at=started,
        duration_seconds=time.monotonic() - started,
        rules=len(rows),
        firing=sum(r[3] for r in rows),
        pending=sum(r[2] for r in rows),
        transitions=sum(r[4] for r in rows),
        skipped=not rows,
    )


@dataclass
class _Deliveries:
    """What a delivering worker does while it waits for its next cycle."""

    courier: Courier
    conn: psycopg.Connection[Any]
    stats: WorkerStats
    last_claim: float = 0.0

    def between(self, now: float) -> None:
        # Record the sends answered meanwhile, and claim what came due
        # (retries after their backoff) about once a second.
        self.stats.delivered += self.courier.record_finished(self.conn).delivered
        if now - self.last_claim >= 1.0:
            self.last_claim = now
            self.stats.delivered += self.courier.dispatch(self.conn, flush=False).delivered


def _no_evaluation(reason: str) -> Evaluation:
    """A cycle of a worker that only delivers."""
    return Evaluation(reason, time.monotonic(), 0.0, 0, 0, 0, 0, skipped=True)


def run_worker(
    conninfo: str,
    *,
    interval: float = 5.0,
    stop: threading.Event | None = None,
    max_evaluations: int | None = None,
    on_evaluation: Callable[[Evaluation], None] | None = None,
    max_backoff: float = 30.0,
    deliver: bool = True,
    evaluate: bool = True,
) -> WorkerStats:
    """Evaluate the rules every ``interval`` seconds, and at once on
    ``NOTIFY pgvigil_evaluate``, until ``stop`` is set (or after
    ``max_evaluations``, for tests and one-off use); after each, deliver the
    notifications due. ``evaluate=False`` only delivers, ``deliver=False``
    only evaluates: run several of each as load asks."""
    if not (evaluate or deliver):
        raise ValueError("a worker evaluates, delivers, or both")
    if not interval > 0:
        raise ValueError("interval must be > 0 seconds")
    stop = stop or threading.Event()
    stats = WorkerStats()
    backoff = 1.0
    name = f"{socket.gethostname()}:{os.getpid()}"
    while not stop.is_set():
        try:
            with (
                psycopg.connect(
                    conninfo, autocommit=True, application_name="pgvigil-worker"
                ) as conn,
                httpx.Client(follow_redirects=False) as client,
            ):
                conn.execute(_LISTEN)
                backoff = 1.0
                reason = "start"
                courier = Courier(client, worker=name) if deliver else None
                deliveries = _Deliveries(courier, conn, stats) if courier else None
                try:
                    while not stop.is_set():
                        result = evaluate_once(conn, reason) if evaluate else _no_evaluation(reason)
                        stats.evaluations += 1
                        stats.skipped += result.skipped
                        stats.last = result
                        if result.transitions:
                            log.info(
                                "evaluated %d rules (%s) in %.0f ms: %d firing, %d pending, %d changed",
                                result.rules, reason, result.duration_seconds * 1000,
                                result.firing, result.pending, result.transitions,
                            )  # fmt: skip
                        if courier is not None:
                            # The notifications now due, each sent after its claim
                            # commits, on the receiver's own threads.
                            stats.delivered += courier.dispatch(conn).delivered
                        if deliveries is not None:
                            deliveries.last_claim = time.monotonic()
                        if on_evaluation:
                            on_evaluation(result)
                        if max_evaluations is not None and stats.evaluations >= max_evaluations:
                            if courier is not None:
                                stats.delivered += courier.drain(conn, timeout=30.0).delivered
                            return stats
                        reason = _wait(conn, result.started_at + interval, stop,
                                       deliveries.between if deliveries else None)  # fmt: skip
                        if reason == "event":
                            stats.woken_by_events += 1
                finally:
                    if courier is not None:
                        courier.close()
        except psycopg.Error as exc:
            stats.failures += 1
            log.warning("evaluation failed (%s); retrying in %.0f s", exc, backoff)
            if stop.wait(backoff):
                break
            backoff = min(backoff * 2, max_backoff)
    return stats


def _wait(
    conn: psycopg.Connection[Any],
    deadline: float,
    stop: threading.Event,
    between: Callable[[float], None] | None = None,
) -> str:
    """Wait for the next cycle: ``interval`` elapsed, an event, or stop;
    ``between`` runs every quarter second meanwhile."""
    while not stop.is_set():
        now = time.monotonic()
        if between is not None:
            between(now)
        remaining = deadline - now
        if remaining <= 0:
            return "interval"
        # Short slices so that a stop request is seen within a quarter second.
        # The generator holds the connection's lock: leave it before draining.
        woken = any(True for _ in conn.notifies(timeout=min(remaining, 0.25), stop_after=1))
        if woken:
            time.sleep(_DEBOUNCE_SECONDS)
            for _more in conn.notifies(timeout=0.001, stop_after=1000):
                pass
            return "event"
    return "stop"
