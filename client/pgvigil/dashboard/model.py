"""The dashboard summary: the jsonb document ``monitoring.get_dashboard_summary()``
builds (``MonitoringClient.get_dashboard_summary()`` returns it), and how to read it.

Its sections are ``generated_at``, ``tasks``, ``errors``, ``health``, ``queues``
and ``alerts`` (see docs/sql-reference.md). The database builds it, so the client only
reads it, tolerantly: a missing or mistyped value reads as None or empty,
never as an exception, and the renderer shows it as missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = [
    "HEALTH_STATUSES",
    "SEVERITIES",
    "TASK_STATUSES",
    "mapping",
    "mappings",
    "number",
    "parse_time",
]

SEVERITIES = ("critical", "high", "medium", "low")
TASK_STATUSES = ("completed", "failed", "timeout", "cancelled", "running")
HEALTH_STATUSES = ("healthy", "degraded", "unhealthy")

_ISO_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_time(value: Any) -> datetime | None:
    """Parse a PostgreSQL/JSON timestamp (any fraction length, ``+00`` offsets)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    match = _ISO_RE.match(value.strip())
    if match is None:
        return None
    frac = (match["frac"] or "")[:6].ljust(6, "0")
    tz = match["tz"] or ""
    if tz == "Z":
        tz = "+00:00"
    elif tz and ":" not in tz:
        tz = tz[:3] + ":" + (tz[3:] or "00")
    try:
        return datetime.fromisoformat(f"{match['date']}T{match['time']}.{frac}{tz}")
    except ValueError:
        return None


def number(value: Any) -> float | None:
    """A JSON number (or numeric string) as a float; None for anything else, booleans included."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def mapping(value: Any) -> Mapping[str, Any]:
    """A section or object of the document; empty when it is missing or not an object."""
    return value if isinstance(value, Mapping) else {}


def mappings(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a list of the document (other items skipped); empty when not a list."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
