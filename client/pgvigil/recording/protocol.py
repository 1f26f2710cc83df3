"""What both clients record with: the ``Recorder`` protocol.

``MonitoringClient`` (each call a round trip, raises on errors) and
``BufferedClient`` (calls queue and return at once, never raise because of
the database) implement it, so code that only records (``pgvigil collect``,
``pgvigil demo``, an application's instrumentation) takes either. Return
values differ between the two (a duration, an error id, or ``None`` when
queued), so the protocol promises only ``start_task``'s task id.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from pgvigil.recording.task import TaskHandle

P = ParamSpec("P")
R = TypeVar("R")


@runtime_checkable
class Recorder(Protocol):
    """The recording calls shared by ``MonitoringClient`` and ``BufferedClient``."""

    def start_task(
        self,
        task_type: str,
        input_size: int | None = None,
        *,
        worker_id: str | None = None,
        task_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        event_time: datetime | None = None,
    ) -> str: ...

    def complete_task(
        self,
        task_id: str,
        status: str = "completed",
        output_size: int | None = None,
        step_timings: Mapping[str, float] | None = None,
        *,
        event_time: datetime | None = None,
    ) -> object: ...

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
    ) -> object: ...

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
    ) -> None: ...

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
    ) -> object: ...

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
    ) -> None: ...

    def task(
        self,
        task_type: str,
        input_size: int | None = None,
        *,
        worker_id: str | None = None,
        task_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        component: str | None = None,
    ) -> AbstractContextManager[TaskHandle]: ...

    def track(
        self, task_type: str, *, component: str | None = None
    ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


class TrackMixin:
    """``track()``, written once for both clients on top of their ``task()``."""

    def track(
        self: Recorder, task_type: str, *, component: str | None = None
    ) -> Callable[[Callable[P, R]], Callable[P, R]]:
        """Decorator tracking every call of the function as a task (see ``task()``)."""

        def decorator(func: Callable[P, R]) -> Callable[P, R]:
            @functools.wraps(func)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
                with self.task(task_type, component=component):
                    return func(*args, **kwargs)

            return wrapper

        return decorator


__all__ = ["Recorder", "TrackMixin"]
