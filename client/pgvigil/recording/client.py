"""The pgvigil client: one method per stored function of the ``monitoring`` schema.

All monitoring logic (validation, alerting, retention) lives in PostgreSQL; this
module only passes arguments and maps errors to Python exceptions.
"""

from __future__ import annotations

import logging
import math
import threading
import traceback
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row, tuple_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from pgvigil.db.connection import describe_conninfo, resolve_conninfo
from pgvigil.db.queries import query
from pgvigil.errors import (
    DatabaseUnavailableError,
    InvalidArgumentError,
    PgvigilError,
    from_psycopg,
)
from pgvigil.recording.protocol import TrackMixin
from pgvigil.recording.task import TaskHandle, log_disabled_once, monitoring_disabled

if TYPE_CHECKING:
    from typing_extensions import LiteralString

__all__ = ["MonitoringClient"]

# The name docs/client.md gives (this module's before it moved), not __name__.
logger = logging.getLogger("pgvigil.client")

_START_TASK = query("start_task")
_COMPLETE_TASK = query("complete_task")
_RECORD_ERROR = query("record_error")
_RECORD_PERFORMANCE_METRIC = query("record_performance_metric")
_UPDATE_SYSTEM_HEALTH = query("update_system_health")
_RECORD_QUEUE_STATS = query("record_queue_stats")
_GET_DASHBOARD_SUMMARY = query("get_dashboard_summary")
_ACKNOWLEDGE_ALERT = query("acknowledge_alert")
_RESOLVE_ALERT = query("resolve_alert")
_RUN_CHECKS = query("run_checks")


def _jsonb(value: Mapping[str, Any] | None) -> Jsonb | None:
    return None if value is None else Jsonb(value)


class MonitoringClient(TrackMixin):
    """Typed client of the pgvigil stored functions.

    Pass a ``ConnectionPool`` to share one (the client never closes it), or let
    the client build its own, opened on first use and closed by ``close()``.
    The constructor never connects. Errors from the database are raised as
    ``PgvigilError`` subclasses chosen by SQLSTATE. ``event_time`` arguments
    are timezone-aware datetimes; None means ``now()`` in the database.

    Calls fail fast: ``timeout`` seconds (``connect_timeout`` is its older
    name) bound both the wait for a pooled connection and each connection
    attempt; past it, ``DatabaseUnavailableError`` is raised. With
    ``PGVIGIL_DISABLED`` set (1, true, yes, on) when the client is built,
    every call is a no-op that never connects (see ``disabled``).
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        pool: ConnectionPool[psycopg.Connection[Any]] | None = None,
        min_size: int = 1,
        max_size: int = 4,
        timeout: float = 5.0,
        connect_timeout: float | None = None,
        application_name: str = "pgvigil",
    ) -> None:
        if connect_timeout is not None:  # the older name of ``timeout``
            timeout = connect_timeout
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        self._timeout = float(timeout)
        self._lock = threading.Lock()
        self._closed = False
        self._disabled = monitoring_disabled()
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None
        if self._disabled:
            log_disabled_once()
            self._pool = None
            self._owns_pool = False
            self._opened = False
            self._description = "disabled"
        elif pool is not None:
            self._pool = pool
            self._owns_pool = False
            self._opened = True
            self._description = f"pool={pool.name!r}"
        else:
            conninfo = resolve_conninfo(dsn)
            self._pool = ConnectionPool(
                conninfo,
                open=False,
                min_size=min_size,
                max_size=max_size,
                check=ConnectionPool.check_connection,
                timeout=self._timeout,
                kwargs={
                    "autocommit": True,
                    "application_name": application_name,
                    # libpq counts whole seconds; psycopg enforces at least 2.
                    "connect_timeout": max(1, math.ceil(self._timeout)),
                },
            )
            self._owns_pool = True
            self._opened = False
            self._description = repr(describe_conninfo(conninfo))

    @property
    def disabled(self) -> bool:
        """True when ``PGVIGIL_DISABLED`` was set at construction: every call is a no-op."""
        return self._disabled

    def __repr__(self) -> str:
        return f"MonitoringClient({self._description})"

    def __enter__(self) -> MonitoringClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pool the client built; a pool passed in is left open. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._owns_pool and self._opened and self._pool is not None:
                self._pool.close()

    def _get_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        if not self._opened or self._closed:
            with self._lock:
                if self._closed:
                    raise PgvigilError("the MonitoringClient is closed")
                if not self._opened:
                    assert self._pool is not None
                    self._pool.open()
                    self._opened = True
        assert self._pool is not None
        return self._pool

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection, waited for at most ``timeout`` seconds; errors mapped."""
        try:
            with self._get_pool().connection(timeout=self._timeout) as conn:
                yield conn
        except PoolTimeout as exc:
            raise DatabaseUnavailableError(
                f"pgvigil: no database connection within {self._timeout:g} s "
                f"({self._description}): the database is down, unreachable or not answering"
                f" ({exc})"
            ) from exc
        except psycopg.Error as exc:
            raise from_psycopg(exc) from exc
        except (UnicodeEncodeError, TypeError) as exc:
            # Raised by the driver while adapting an argument (a str with lone
            # surrogates, a jsonb argument json cannot serialize): nothing was sent.
            raise InvalidArgumentError(
                f"an argument cannot be sent to PostgreSQL: {exc}",
                hint="Pass UTF-8 text and JSON-serializable mappings.",
            ) from exc

    def _scalar(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> Any:
        with self._connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            row = cur.execute(query, params).fetchone()
        return None if row is None else row[0]

    def _rows(
        self, query: LiteralString, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        with self._connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            return cur.execute(query, params).fetchall()

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
        """Record the start of a task and return its id (a new UUID unless given)."""
        if task_id is None:
            task_id = str(uuid.uuid4())
        if self._disabled:
            return task_id
        result = self._scalar(
            _START_TASK,
            {
                "task_id": task_id,
                "task_type": task_type,
                "input_size": input_size,
                "worker_id": worker_id,
                "metadata": _jsonb(metadata),
                "event_time": event_time,
            },
        )
        return str(result)

    def complete_task(
        self,
        task_id: str,
        status: str = "completed",
        output_size: int | None = None,
        step_timings: Mapping[str, float] | None = None,
        *,
        event_time: datetime | None = None,
    ) -> float:
        """Record the end of a task (completed, failed, cancelled, timeout).

        Returns the task duration in seconds.
        """
        if self._disabled:
            return 0.0
        result = self._scalar(
            _COMPLETE_TASK,
            {
                "task_id": task_id,
                "status": status,
                "output_size": output_size,
                "step_timings": _jsonb(step_timings),
                "event_time": event_time,
            },
        )
        return float(result)

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
    ) -> int:
        """Record an error (severity low, medium, high or critical) and return its id."""
        if self._disabled:
            return 0
        result = self._scalar(
            _RECORD_ERROR,
            {
                "task_id": task_id,
                "error_type": error_type,
                "severity": severity,
                "message": message,
                "component": component,
                "stack_trace": stack_trace,
                "context": _jsonb(context),
                "event_time": event_time,
            },
        )
        return int(result)

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
        """Record one performance measurement."""
        if self._disabled:
            return
        self._scalar(
            _RECORD_PERFORMANCE_METRIC,
            {
                "name": name,
                "metric_type": metric_type,
                "value": value,
                "unit": unit,
                "component": component,
                "tags": _jsonb(tags),
                "event_time": event_time,
            },
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
    ) -> bool:
        """Record a component's health (healthy, degraded, unhealthy).

        ``response_time`` is in milliseconds, as in the original design.
        Returns True when the status changed.
        """
        if self._disabled:
            return False
        result = self._scalar(
            _UPDATE_SYSTEM_HEALTH,
            {
                "component_type": component_type,
                "component_name": component_name,
                "status": status,
                "response_time": response_time,
                "failure_reason": failure_reason,
                "details": _jsonb(details),
                "event_time": event_time,
            },
        )
        return bool(result)

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
        """Record a snapshot of a queue's counts."""
        if self._disabled:
            return
        self._scalar(
            _RECORD_QUEUE_STATS,
            {
                "queue_name": queue_name,
                "pending_count": pending_count,
                "processing_count": processing_count,
                "completed_count": completed_count,
                "failed_count": failed_count,
                "oldest_pending_age_seconds": oldest_pending_age_seconds,
                "event_time": event_time,
            },
        )

    def get_dashboard_summary(self) -> dict[str, Any]:
        """Return the dashboard summary document built by the database."""
        if self._disabled:
            return {}
        result = self._scalar(_GET_DASHBOARD_SUMMARY)
        return dict(result) if result is not None else {}

    def acknowledge_alert(
        self, alert_id: int, *, by: str | None = None, note: str | None = None
    ) -> bool:
        """Acknowledge an alert; returns True when its state changed."""
        if self._disabled:
            return False
        result = self._scalar(_ACKNOWLEDGE_ALERT, {"alert_id": alert_id, "by": by, "note": note})
        return bool(result)

    def resolve_alert(
        self, alert_id: int, *, by: str | None = None, note: str | None = None
    ) -> bool:
        """Resolve an alert; returns True when its state changed."""
        if self._disabled:
            return False
        result = self._scalar(_RESOLVE_ALERT, {"alert_id": alert_id, "by": by, "note": note})
        return bool(result)

    def run_checks(self, source: str = "client") -> list[dict[str, Any]]:
        """Run all alert checks now; one row per check (check_name, alerts, duration_ms)."""
        if self._disabled:
            return []
        return self._rows(_RUN_CHECKS, {"source": source})

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
        """Track the block as one task.

        A normal exit completes it as ``completed`` with the handle's output size
        and step timings. An exception completes it as ``failed``, records the
        error (severity high) and is re-raised; a ``BaseException`` that is not an
        ``Exception`` (KeyboardInterrupt, SystemExit, cancellation) completes it as
        ``cancelled`` without an error record. A failure to record the outcome of
        a failed task is logged, never raised over the original exception.
        """
        started_id = self.start_task(
            task_type,
            input_size,
            worker_id=worker_id,
            task_id=task_id,
            metadata=metadata,
        )
        handle = TaskHandle(task_id=started_id, task_type=task_type)
        try:
            yield handle
        except Exception as exc:
            self._record_failure(handle, exc, component or task_type)
            raise
        except BaseException:
            self._finish_quietly(handle, "cancelled")
            raise
        self.complete_task(
            handle.task_id, "completed", handle.output_size, handle.step_timings or None
        )

    def _finish_quietly(self, handle: TaskHandle, status: str) -> bool:
        """Complete the task, logging instead of raising; False if the database is down."""
        try:
            self.complete_task(
                handle.task_id, status, handle.output_size, handle.step_timings or None
            )
        except DatabaseUnavailableError:
            logger.warning("could not mark task %s as %s", handle.task_id, status, exc_info=True)
            return False
        except Exception:
            logger.warning("could not mark task %s as %s", handle.task_id, status, exc_info=True)
        return True

    def _record_failure(self, handle: TaskHandle, exc: Exception, component: str) -> None:
        if not self._finish_quietly(handle, "failed"):
            return
        try:
            self.record_error(
                handle.task_id,
                type(exc).__name__,
                "high",
                str(exc) or type(exc).__name__,
                component,
                stack_trace="".join(traceback.format_exception(exc)),
            )
        except Exception:
            logger.warning("could not record the error of task %s", handle.task_id, exc_info=True)
