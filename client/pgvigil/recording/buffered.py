"""Buffered ingest: recording calls queue the event and return at once.

A background thread writes the queue in batches, one transaction per batch:

- performance samples by ``COPY`` straight into ``monitoring.performance_monitoring``
  (the table's checks apply the rules of ``record_performance_metric``), then
  ``confirm_metric_copy`` checks the batch's event-time range;
- task starts and completions by ``record_task_events`` (arrays, set-based; a
  completion may arrive before its start);
- errors, health reports and queue snapshots through their recording
  functions, pipelined.

Every batch starts with ``begin_ingest_batch(batch_id, ...)``: a batch retried
after a commit whose outcome was lost is recognised and not written twice.
When a batch is rejected (an invalid event), it is retried in halves inside
the same transaction until the invalid events are isolated: they are dropped
and counted under ``rejected:<SQLSTATE>``; the others are written. When the
database cannot be reached, the batch waits and is retried with backoff; the
queue keeps filling up to ``max_queue`` events, beyond which new events are
dropped and counted under ``queue_full``. Each drop reason is logged once.
"""

from __future__ import annotations

import atexit
import logging
import random
import struct
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from types import TracebackType
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb, set_json_dumps

from pgvigil.db.connection import describe_conninfo, resolve_conninfo
from pgvigil.db.queries import query
from pgvigil.errors import is_refused_input
from pgvigil.recording.protocol import TrackMixin
from pgvigil.recording.task import TaskHandle, log_disabled_once, monitoring_disabled

__all__ = ["BufferStats", "BufferedClient"]

# The name docs/client.md gives (this module's before it moved), not __name__.
logger = logging.getLogger("pgvigil.buffered")

_UTC = timezone.utc

# Event kinds: the first element of every queued tuple.
_METRIC = 0
_TASK_START = 1
_TASK_COMPLETE = 2
_ERROR = 3
_HEALTH = 4
_QUEUE = 5

# The types of the columns of copy_performance_metrics (queries.sql), in its
# column order: metric_name, metric_type, metric_value, unit, component, tags,
# recorded_at. recorded_at travels as int8: timestamptz's binary form is exactly the
# microseconds since 2000-01-01 UTC, so the hot path never builds a datetime.
# So do tags, as bytea holding jsonb's binary form (version byte 1, then the
# JSON text), serialized at the call: the queue then holds only strings and
# numbers, which the cyclic garbage collector does not track (a queue of
# tuples holding dicts made every collection walk the whole queue).
_METRIC_TYPES = ["text", "text", "float8", "text", "text", "bytea", "int8"]
_JSONB_VERSION = b"\x01"
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=_UTC)
_PG_EPOCH_MICROS = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
_ONE_MICROSECOND = timedelta(microseconds=1)
_SECOND = itemgetter(1)
_SEVENTH = itemgetter(6)

_BEGIN_BATCH = query("begin_ingest_batch")
_COPY_METRICS = query("copy_performance_metrics")
_CONFIRM_METRIC_COPY = query("confirm_metric_copy")
_RECORD_PERFORMANCE_METRIC = query("buffered_record_performance_metric")
_RECORD_TASK_EVENTS = query("record_task_events")
_RECORD_ERROR = query("buffered_record_error")
_UPDATE_SYSTEM_HEALTH = query("buffered_update_system_health")
_RECORD_QUEUE_STATS = query("buffered_record_queue_stats")


@dataclass(frozen=True)
class BufferStats:
    """Counters of a ``BufferedClient`` since it was created.

    ``queued`` events were accepted; each is eventually ``written``, dropped
    (``dropped``, by reason) or still waiting (``queue_depth`` includes the
    batch being written). Reasons: ``queue_full`` (the queue was at
    ``max_queue``), ``closed`` (recorded after ``close()``),
    ``unflushed_at_close`` (still queued when ``close()`` gave up),
    ``rejected:<SQLSTATE>`` (the database refused the event, e.g.
    ``rejected:PV006``; see docs/error-codes.md).
    """

    queued: int
    written: int
    dropped: dict[str, int]
    queue_depth: int
    batches: int
    write_failures: int
    last_error: str | None

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


class _DatabaseTrouble(Exception):
    """The batch could not be written for a reason that is not the events' fault."""


class _AlreadyWritten(Exception):
    """The database has this batch id: a retry of a batch that was committed."""


def _pg_micros(at: datetime) -> int:
    """Microseconds since 2000-01-01 UTC; a naive datetime is taken as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=_UTC)
    return (at - _PG_EPOCH) // _ONE_MICROSECOND


def _from_pg_micros(micros: int) -> datetime:
    return _PG_EPOCH + timedelta(microseconds=micros)


def _dumps_json(value: Any) -> bytes:
    # Non-string keys become strings, as json.dumps does.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def _jsonb(value: Mapping[str, Any] | None) -> Jsonb | None:
    return None if value is None else Jsonb(value)


class BufferedClient(TrackMixin):
    """Records events without waiting for the database.

    Recording calls put the event, stamped with its time, on a bounded
    in-memory queue and return at once; they never raise because of the
    database. A background thread writes batches of up to ``batch_size``
    events, or whatever is queued every ``flush_interval`` seconds. Read the
    counters with ``stats()``, wait for the queue with ``flush()``, and stop
    with ``close()`` (also run at interpreter exit).

    Event times default to the client's clock at the call (UTC), because the
    event may reach the database seconds later. ``start_task`` returns the
    task id at once (a new UUID unless given).

    With ``PGVIGIL_DISABLED`` set (1, true, yes, on) when the client is built,
    it starts no thread, never connects and queues nothing.
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        max_queue: int = 100_000,
        batch_size: int = 10_000,
        flush_interval: float = 0.2,
        connect_timeout: float = 5.0,
        max_backoff: float = 30.0,
        application_name: str = "pgvigil-buffered",
        close_timeout: float = 10.0,
    ) -> None:
        if max_queue < 1 or batch_size < 1:
            raise ValueError("max_queue and batch_size must be at least 1")
        if flush_interval <= 0 or connect_timeout <= 0 or max_backoff <= 0:
            raise ValueError("flush_interval, connect_timeout and max_backoff must be > 0")
        self._conninfo = resolve_conninfo(dsn)
        self._description = repr(describe_conninfo(self._conninfo))
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._connect_timeout = connect_timeout
        self._max_backoff = max_backoff
        self._application_name = application_name
        self._close_timeout = close_timeout

        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._progress = threading.Condition(threading.Lock())
        self._pending: list[tuple[Any, ...]] = []
        self._in_flight = 0
        self._accepting = True
        self._stopping = False
        self._finalized = False  # close() has counted what was left in the queue
        self._taken = 0  # events removed from the head of _pending (queued = taken + pending)
        self._done = 0  # events written or dropped after being queued
        self._written = 0
        self._dropped: dict[str, int] = {}
        self._batches = 0
        self._write_failures = 0
        self._last_error: str | None = None
        self._conn: psycopg.Connection[Any] | None = None
        # What the current batch's last attempt to reach COMMIT rejected: if that
        # COMMIT's reply was lost and it did commit, these events were dropped.
        self._committing: dict[str, int] | None = None

        # PGVIGIL_DISABLED: accept nothing (the fast path's _accepting check
        # sends every call to _put, which returns without counting), start no
        # thread, register nothing.
        self._disabled = monitoring_disabled()
        self._thread: threading.Thread | None = None
        if self._disabled:
            log_disabled_once()
            self._accepting = False
            self._description = "disabled"
            return
        self._thread = threading.Thread(
            target=self._run, name=f"pgvigil-buffered-{id(self):x}", daemon=True
        )
        self._thread.start()
        self._atexit = _AtExitClose(self)
        atexit.register(self._atexit)

    def __repr__(self) -> str:
        return f"BufferedClient({self._description})"

    @property
    def disabled(self) -> bool:
        """True when ``PGVIGIL_DISABLED`` was set at construction: every call is a no-op."""
        return self._disabled

    def __enter__(self) -> BufferedClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- recording calls: queue and return -------------------------------

    def _put(self, event: tuple[Any, ...]) -> None:
        # The hot path takes no lock: list.append is atomic under the GIL and
        # the writer only removes from the head (under the lock). Concurrent
        # callers may overshoot max_queue by one event each, no more.
        pending = self._pending
        if self._accepting and len(pending) + self._in_flight < self._max_queue:
            pending.append(event)
            if len(pending) == self._batch_size:
                self._wake.set()
            return
        if self._disabled:
            return
        with self._lock:
            self._drop_locked("queue_full" if self._accepting else "closed", 1)

    def record_performance_metric(
        self,
        name: str,
        metric_type: str,
        value: float,
        unit: str,
        component: str,
        *,
        tags: Mapping[str, Any] | None = None,
        event_time: datetime | None = None,
    ) -> None:
        """Queue one performance measurement."""
        # The busiest call: _put's fast path inlined.
        tags_jsonb: bytes | None = None
        if tags is not None:
            try:
                tags_jsonb = _JSONB_VERSION + _dumps_json(tags)
            except TypeError:  # not serializable as JSON: counted, never raised
                if self._disabled:
                    return
                with self._lock:
                    self._drop_locked("rejected:invalid_json", 1)
                return
        event = (
            _METRIC,
            (
                name,
                metric_type,
                value,
                unit,
                component,
                tags_jsonb,
                time.time_ns() // 1000 - _PG_EPOCH_MICROS
                if event_time is None
                else _pg_micros(event_time),
            ),
        )
        pending = self._pending
        if self._accepting and len(pending) + self._in_flight < self._max_queue:
            pending.append(event)
            if len(pending) == self._batch_size:
                self._wake.set()
        else:
            self._put(event)

    def start_task(
        self,
        task_type: str,
        input_size: int | None = None,
        *,
        worker_id: str | None = None,
        task_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        event_time: datetime | None = None,
    ) -> str:
        """Queue the start of a task and return its id (a new UUID unless given)."""
        if task_id is None:
            task_id = str(uuid.uuid4())
        self._put(
            (
                _TASK_START,
                task_id,
                task_type,
                worker_id,
                input_size,
                metadata,
                event_time or datetime.now(_UTC),
            )
        )
        return task_id

    def complete_task(
        self,
        task_id: str,
        status: str = "completed",
        output_size: int | None = None,
        step_timings: Mapping[str, float] | None = None,
        *,
        event_time: datetime | None = None,
    ) -> None:
        """Queue the end of a task (completed, failed, cancelled, timeout)."""
        self._put(
            (
                _TASK_COMPLETE,
                task_id,
                status,
                output_size,
                step_timings,
                event_time or datetime.now(_UTC),
            )
        )

    def record_error(
        self,
        task_id: str | None,
        error_type: str,
        severity: str,
        message: str,
        component: str,
        *,
        stack_trace: str | None = None,
        context: Mapping[str, Any] | None = None,
        event_time: datetime | None = None,
    ) -> None:
        """Queue an error (severity low, medium, high or critical)."""
        self._put(
            (
                _ERROR,
                task_id,
                error_type,
                severity,
                message,
                component,
                stack_trace,
                context,
                event_time or datetime.now(_UTC),
            )
        )

    def update_system_health(
        self,
        component_type: str,
        component_name: str,
        status: str,
        response_time: float | None = None,
        *,
        failure_reason: str | None = None,
        details: Mapping[str, Any] | None = None,
        event_time: datetime | None = None,
    ) -> None:
        """Queue a component's health report (``response_time`` in milliseconds)."""
        self._put(
            (
                _HEALTH,
                component_type,
                component_name,
                status,
                response_time,
                failure_reason,
                details,
                event_time or datetime.now(_UTC),
            )
        )

    def record_queue_stats(
        self,
        queue_name: str,
        pending_count: int,
        processing_count: int = 0,
        *,
        completed_count: int = 0,
        failed_count: int = 0,
        oldest_pending_age_seconds: float | None = None,
        event_time: datetime | None = None,
    ) -> None:
        """Queue a snapshot of a queue's counts."""
        self._put(
            (
                _QUEUE,
                queue_name,
                pending_count,
                processing_count,
                completed_count,
                failed_count,
                oldest_pending_age_seconds,
                event_time or datetime.now(_UTC),
            )
        )

    @contextmanager
    def task(
        self,
        task_type: str,
        input_size: int | None = None,
        *,
        worker_id: str | None = None,
        task_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        component: str | None = None,
    ) -> Iterator[TaskHandle]:
        """Track the block as one task, like ``MonitoringClient.task()``, without waiting.

        An exception completes the task as ``failed`` and queues its error
        (severity high) before it propagates; a ``BaseException`` that is not an
        ``Exception`` completes it as ``cancelled``.
        """
        started_id = self.start_task(
            task_type, input_size, worker_id=worker_id, task_id=task_id, metadata=metadata
        )
        handle = TaskHandle(task_id=started_id, task_type=task_type)
        try:
            yield handle
        except Exception as exc:
            self.complete_task(
                handle.task_id, "failed", handle.output_size, handle.step_timings or None
            )
            self.record_error(
                handle.task_id,
                type(exc).__name__,
                "high",
                str(exc) or type(exc).__name__,
                component or task_type,
                stack_trace="".join(traceback.format_exception(exc)),
            )
            raise
        except BaseException:
            self.complete_task(
                handle.task_id, "cancelled", handle.output_size, handle.step_timings or None
            )
            raise
        self.complete_task(
            handle.task_id, "completed", handle.output_size, handle.step_timings or None
        )

    # -- control ------------------------------------------------------------

    def stats(self) -> BufferStats:
        """A consistent snapshot of the counters."""
        with self._lock:
            return BufferStats(
                queued=self._taken + len(self._pending),
                written=self._written,
                dropped=dict(self._dropped),
                queue_depth=len(self._pending) + self._in_flight,
                batches=self._batches,
                write_failures=self._write_failures,
                last_error=self._last_error,
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event queued before the call is written or dropped.

        Returns False if that did not happen within ``timeout`` seconds (None:
        wait as long as it takes).
        """
        with self._lock:
            target = self._taken + len(self._pending)
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._progress:
            while True:
                with self._lock:
                    if self._done >= target:
                        return True
                if self._thread is None or not self._thread.is_alive():
                    return False
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._progress.wait(0.1 if remaining is None else min(remaining, 0.1))

    def close(self, timeout: float | None = None) -> None:
        """Stop accepting events, write what is queued, and stop the writer.

        Waits at most ``timeout`` seconds (default: the ``close_timeout`` given
        to the constructor); events still queued then are dropped, counted
        under ``unflushed_at_close`` and logged. Idempotent.
        """
        if self._thread is None:  # disabled: nothing to stop
            return
        with self._lock:
            if not self._accepting and self._stopping:
                return
            self._accepting = False
        timeout = self._close_timeout if timeout is None else timeout
        self.flush(timeout)
        with self._lock:
            self._stopping = True
        self._wake.set()
        self._thread.join(max(1.0, timeout))
        with self._lock:
            left = len(self._pending)
            del self._pending[:left]
            self._taken += left
            if left:
                self._drop_locked("unflushed_at_close", left)
                self._done += left
            self._finalized = True  # a batch the writer still holds is counted by the writer
        atexit.unregister(self._atexit)

    # -- writer thread -------------------------------------------------------

    def _drop_locked(self, reason: str, count: int) -> None:
        first = reason not in self._dropped
        self._dropped[reason] = self._dropped.get(reason, 0) + count
        if first:
            logger.warning(
                "pgvigil: dropping events (%s); further drops for this reason are only counted "
                "in BufferedClient.stats()",
                reason,
            )

    def _take_batch(self) -> list[tuple[Any, ...]]:
        with self._lock:
            batch = self._pending[: self._batch_size]
            del self._pending[: len(batch)]
            self._taken += len(batch)
            self._in_flight = len(batch)
            return batch

    def _finish_batch(self, written: int, rejected: dict[str, int], count: int) -> None:
        with self._lock:
            self._written += written
            for reason, n in rejected.items():
                self._drop_locked(reason, n)
            self._done += count
            self._in_flight = 0
        with self._progress:
            self._progress.notify_all()

    def _run(self) -> None:
        while True:
            with self._lock:
                stopping = self._stopping
                ready = len(self._pending)
            if stopping:
                break  # close() has flushed what it could in its time
            if ready == 0:
                self._wake.wait(self._flush_interval)
                self._wake.clear()
                with self._lock:
                    ready = len(self._pending)
                if ready == 0:
                    continue
            batch = self._take_batch()
            try:
                if not self._write_with_retries(batch):
                    break
            except Exception:  # never let the writer die; the events are counted
                logger.exception("pgvigil: unexpected error writing a batch")
                self._finish_batch(0, {"rejected:client_error": len(batch)}, len(batch))
        self._disconnect()

    def _write_with_retries(self, batch: list[tuple[Any, ...]]) -> bool:
        """Write the batch, retrying while the database is unavailable.

        Returns False when it gave up because the client is closing (the batch
        is put back at the head of the queue for close() to count).
        """
        batch_id = uuid.uuid4()
        created_at = datetime.now(_UTC)
        failures = 0
        self._committing = None
        while True:
            try:
                written, rejected = self._write_batch(batch_id, created_at, batch)
            except _AlreadyWritten:
                # An earlier attempt committed; its reply was lost. Count it as
                # that attempt wrote it, rejected events included.
                rejected = self._committing or {}
                with self._lock:
                    self._batches += 1
                self._finish_batch(len(batch) - sum(rejected.values()), rejected, len(batch))
                return True
            except _DatabaseTrouble as exc:
                failures += 1
                with self._lock:
                    self._write_failures += 1
                    self._last_error = str(exc)
                    stopping = self._stopping
                if failures == 1:
                    logger.warning("pgvigil: cannot write events, will retry: %s", exc)
                if stopping:
                    with self._lock:
                        if self._finalized:  # close() has already counted the queue
                            self._drop_locked("unflushed_at_close", len(batch))
                            self._done += len(batch)
                        else:
                            self._pending[:0] = batch  # counted by close() as unflushed
                            self._taken -= len(batch)
                        self._in_flight = 0
                    return False
                delay = min(self._max_backoff, 0.1 * 2 ** min(failures, 10))
                self._wake.wait(delay * (0.5 + random.random() / 2))
                self._wake.clear()
                continue
            if failures:
                logger.warning("pgvigil: writing events again after %d failed attempts", failures)
            with self._lock:
                self._batches += 1
            self._finish_batch(written, rejected, len(batch))
            return True

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            conn = psycopg.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=max(1, round(self._connect_timeout)),
                application_name=self._application_name,
            )
            # Tags and contexts are serialized on this connection only by
            # orjson: ~0.1 µs for a small dict where json.dumps takes ~3 µs,
            # the largest per-row cost of the COPY path.
            set_json_dumps(_dumps_json, context=conn)
            self._conn = conn
        return self._conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def _write_batch(
        self, batch_id: uuid.UUID, created_at: datetime, batch: Sequence[tuple[Any, ...]]
    ) -> tuple[int, dict[str, int]]:
        """Write the batch in one transaction; returns (written, rejected by reason)."""
        rejected: dict[str, int] = {}
        try:
            conn = self._connection()
            with conn.transaction():
                row = conn.execute(_BEGIN_BATCH, (batch_id, created_at, len(batch))).fetchone()
                if not (row and row[0]):
                    raise _AlreadyWritten
                self._write_isolating(conn, batch, rejected)
                self._committing = rejected  # the COMMIT's outcome may be lost
        except _AlreadyWritten:
            raise
        except psycopg.Error as exc:
            # Not the events' fault (they were isolated above): connection lost,
            # server shutting down, missing privilege or function. Retry later.
            self._disconnect()
            raise _DatabaseTrouble(str(exc).strip() or type(exc).__name__) from exc
        return len(batch) - sum(rejected.values()), rejected

    def _write_isolating(
        self,
        conn: psycopg.Connection[Any],
        events: Sequence[tuple[Any, ...]],
        rejected: dict[str, int],
    ) -> None:
        """Write events in a savepoint; on rejection, retry each half until the culprits are alone."""
        try:
            with conn.transaction():
                self._write_events(conn, events)
            return
        except psycopg.Error as exc:
            if conn.broken:
                raise
            if exc.diag.sqlstate is None and isinstance(exc, psycopg.DataError):
                reason = "rejected:invalid_type"  # psycopg could not adapt a value
            elif is_refused_input(exc):
                reason = f"rejected:{exc.diag.sqlstate}"
            else:
                raise
        except (TypeError, ValueError, OverflowError, struct.error):
            # A Python value that cannot be sent as its column's type.
            reason = "rejected:invalid_type"
        if len(events) == 1:
            rejected[reason] = rejected.get(reason, 0) + 1
            return
        middle = len(events) // 2
        self._write_isolating(conn, events[:middle], rejected)
        self._write_isolating(conn, events[middle:], rejected)

    def _write_events(
        self, conn: psycopg.Connection[Any], events: Sequence[tuple[Any, ...]]
    ) -> None:
        metrics: list[tuple[Any, ...]] = []
        tasks: list[tuple[Any, ...]] = []
        errors: list[tuple[Any, ...]] = []
        health: list[tuple[Any, ...]] = []
        queues: list[tuple[Any, ...]] = []
        for event in events:
            kind = event[0]
            if kind == _METRIC:
                metrics.append(event)
            elif kind in (_TASK_START, _TASK_COMPLETE):
                tasks.append(event)
            elif kind == _ERROR:
                errors.append(event)
            elif kind == _HEALTH:
                health.append(event)
            else:
                queues.append(event)
        if len(metrics) == 1:
            # One sample (or one isolated by a rejected COPY): the recording
            # function says exactly what is wrong with it.
            name, metric_type, value, unit, component, tags, at = metrics[0][1]
            conn.execute(
                _RECORD_PERFORMANCE_METRIC,
                (
                    name,
                    metric_type,
                    value,
                    unit,
                    component,
                    None if tags is None else tags[1:].decode(),
                    _from_pg_micros(at),
                ),
            )
        elif metrics:
            self._copy_metrics(conn, metrics)
        if tasks:
            self._write_tasks(conn, tasks)
        cur = conn.cursor()
        if errors:
            cur.executemany(
                _RECORD_ERROR,
                [(e[1], e[2], e[3], e[4], e[5], e[6], _jsonb(e[7]), e[8]) for e in errors],
            )
        if health:
            cur.executemany(
                _UPDATE_SYSTEM_HEALTH,
                [(e[1], e[2], e[3], e[4], e[5], _jsonb(e[6]), e[7]) for e in health],
            )
        if queues:
            cur.executemany(_RECORD_QUEUE_STATS, [e[1:] for e in queues])

    @staticmethod
    def _copy_metrics(conn: psycopg.Connection[Any], metrics: list[tuple[Any, ...]]) -> None:
        rows = list(map(_SECOND, metrics))
        first = min(map(_SEVENTH, rows))  # C loops: the per-row Python work is write_row alone
        last = max(map(_SEVENTH, rows))
        cur = conn.cursor()
        with cur.copy(_COPY_METRICS) as copy:
            copy.set_types(_METRIC_TYPES)
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        cur.execute(_CONFIRM_METRIC_COPY, (_from_pg_micros(first), _from_pg_micros(last)))

    @staticmethod
    def _write_tasks(conn: psycopg.Connection[Any], tasks: list[tuple[Any, ...]]) -> None:
        kinds: list[str] = []
        task_ids: list[str] = []
        task_types: list[str | None] = []
        worker_ids: list[str | None] = []
        input_sizes: list[int | None] = []
        metadata: list[Jsonb | None] = []
        statuses: list[str | None] = []
        output_sizes: list[int | None] = []
        step_timings: list[Jsonb | None] = []
        times: list[datetime] = []
        for event in tasks:
            if event[0] == _TASK_START:
                _, task_id, task_type, worker_id, input_size, meta, at = event
                kinds.append("start")
                task_types.append(task_type)
                worker_ids.append(worker_id)
                input_sizes.append(input_size)
                metadata.append(_jsonb(meta))
                statuses.append(None)
                output_sizes.append(None)
                step_timings.append(None)
            else:
                _, task_id, status, output_size, steps, at = event
                kinds.append("complete")
                task_types.append(None)
                worker_ids.append(None)
                input_sizes.append(None)
                metadata.append(None)
                statuses.append(status)
                output_sizes.append(output_size)
                step_timings.append(_jsonb(steps))
            task_ids.append(task_id)
            times.append(at)
        conn.execute(
            _RECORD_TASK_EVENTS,
            (
                kinds,
                task_ids,
                task_types,
                worker_ids,
                input_sizes,
                metadata,
                statuses,
                output_sizes,
                step_timings,
                times,
            ),
        )


class _AtExitClose:
    """Closes the client at interpreter exit without keeping it alive until then."""

    def __init__(self, client: BufferedClient) -> None:
        self._client: Callable[[], BufferedClient | None] = weakref.ref(client)

    def __call__(self) -> None:
        client = self._client()
        if client is not None:
            client.close()
