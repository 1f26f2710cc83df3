"""What both clients share besides the protocol: the ``TaskHandle`` their
``task()`` yields, and the ``PGVIGIL_DISABLED`` switch that makes them no-ops."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["DISABLED_ENV", "TaskHandle", "monitoring_disabled"]

# docs/client.md names this logger for the line below (the client module's
# name before it moved to pgvigil.recording).
logger = logging.getLogger("pgvigil.client")

DISABLED_ENV = "PGVIGIL_DISABLED"
_TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
_disabled_logged = False
_disabled_log_lock = threading.Lock()


def monitoring_disabled() -> bool:
    """True when ``$PGVIGIL_DISABLED`` is 1, true, yes or on (any case): the clients do nothing."""
    return os.environ.get(DISABLED_ENV, "").strip().lower() in _TRUE_VALUES


def log_disabled_once() -> None:
    """Say once per process, at INFO, that the clients are no-ops (for the clients)."""
    global _disabled_logged
    with _disabled_log_lock:
        if _disabled_logged:
            return
        _disabled_logged = True
    logger.info(
        "pgvigil: monitoring is disabled (%s is set): clients record nothing and never connect",
        DISABLED_ENV,
    )


@dataclass
class TaskHandle:
    """The task being tracked by ``MonitoringClient.task()`` or ``BufferedClient.task()``.

    Set ``output_size`` and time steps with ``step()``; both are sent when the
    task completes.
    """

    task_id: str
    task_type: str
    output_size: int | None = None
    step_timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block in seconds into ``step_timings[name]`` (added up if repeated)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.step_timings[name] = self.step_timings.get(name, 0.0) + elapsed
