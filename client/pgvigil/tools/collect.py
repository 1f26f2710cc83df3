"""A system metrics collector: psutil samples recorded through ``record_performance_metric``."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil

from pgvigil.errors import DatabaseUnavailableError
from pgvigil.recording.protocol import Recorder

__all__ = ["collect"]

logger = logging.getLogger(__name__)

# (metric name, metric type, unit) of every rate, from cumulative byte counters.
_RATES = (
    ("disk_read_bytes_per_second", "disk", "bytes/s"),
    ("disk_write_bytes_per_second", "disk", "bytes/s"),
    ("network_received_bytes_per_second", "network", "bytes/s"),
    ("network_sent_bytes_per_second", "network", "bytes/s"),
)


@dataclass(frozen=True)
class _Counters:
    """Cumulative byte counters at one instant; None where psutil has none."""

    at: float
    values: dict[str, int | None]

    @classmethod
    def read(cls) -> _Counters:
        disk = psutil.disk_io_counters()
        net = psutil.net_io_counters()
        return cls(
            at=time.monotonic(),
            values={
                "disk_read_bytes_per_second": disk.read_bytes if disk else None,
                "disk_write_bytes_per_second": disk.write_bytes if disk else None,
                "network_received_bytes_per_second": net.bytes_recv if net else None,
                "network_sent_bytes_per_second": net.bytes_sent if net else None,
            },
        )


def _gauges(first: bool) -> Iterator[tuple[str, str, float, str]]:
    """Instant readings as (name, type, value, unit); a reading that fails is skipped."""
    # cpu_percent(None) compares with the previous call; the first call has nothing to
    # compare with, so it measures over a short blocking window instead.
    yield "cpu_percent", "cpu", psutil.cpu_percent(interval=0.1 if first else None), "%"
    memory = psutil.virtual_memory()
    yield "memory_percent", "memory", memory.percent, "%"
    yield "memory_used_bytes", "memory", float(memory.used), "bytes"
    try:
        yield "disk_percent", "disk", psutil.disk_usage("/").percent, "%"
    except OSError:
        logger.debug("disk usage of / unavailable", exc_info=True)


def _rates(previous: _Counters, current: _Counters) -> Iterator[tuple[str, str, float, str]]:
    elapsed = current.at - previous.at
    if elapsed <= 0:
        return
    for name, metric_type, unit in _RATES:
        before, after = previous.values[name], current.values[name]
        if before is None or after is None or after < before:
            continue  # no such counter, or it was reset
        yield name, metric_type, (after - before) / elapsed, unit


def collect(
    client: Recorder,
    *,
    interval: float = 10.0,
    count: int | None = None,
    component: str = "system",
    stop: threading.Event | None = None,
) -> int:
    """Record system metrics every ``interval`` seconds; return the number of metrics recorded.

    Each tick records ``cpu_percent``, ``memory_percent``, ``memory_used_bytes`` and
    ``disk_percent`` (of ``/``), and the disk and network byte rates since the previous
    tick. The first tick only sets the baseline of the rates, so ``count=N`` gives N ticks
    with rates in the last N - 1 of them. Runs until ``count`` ticks are done or ``stop``
    is set (forever when neither). A tick during which the database is unreachable is
    logged and skipped; any other error is raised. Metrics psutil cannot read (no disks,
    no network interfaces) are skipped.
    """
    if interval < 0:
        raise ValueError("interval must be >= 0")
    if count is not None and count < 0:
        raise ValueError("count must be >= 0")
    stop = stop or threading.Event()
    tags = {"host": socket.gethostname()}
    recorded = 0
    ticks = 0
    previous: _Counters | None = None
    started = time.monotonic()
    while (count is None or ticks < count) and not stop.is_set():
        if ticks > 0 and stop.wait(max(started + ticks * interval - time.monotonic(), 0.0)):
            break
        current = _Counters.read()
        samples = list(_gauges(first=ticks == 0))
        if previous is not None:
            samples += _rates(previous, current)
        previous = current
        ticks += 1
        try:
            for name, kind, value, unit in samples:
                client.record_performance_metric(
                    name, kind, float(value), unit, component, tags=tags
                )
                recorded += 1
        except DatabaseUnavailableError as exc:
            logger.warning("metrics of tick %d not recorded: %s", ticks, exc)
    return recorded
