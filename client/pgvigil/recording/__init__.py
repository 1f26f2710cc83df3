"""Recording events: ``MonitoringClient`` (one round trip per call) and
``BufferedClient`` (queued, written in batches), behind one ``Recorder`` protocol."""

from pgvigil.recording.buffered import BufferedClient, BufferStats
from pgvigil.recording.client import MonitoringClient
from pgvigil.recording.protocol import Recorder, TrackMixin
from pgvigil.recording.task import DISABLED_ENV, TaskHandle, monitoring_disabled

__all__ = [
    "DISABLED_ENV",
    "BufferStats",
    "BufferedClient",
    "MonitoringClient",
    "Recorder",
    "TaskHandle",
    "TrackMixin",
    "monitoring_disabled",
]
