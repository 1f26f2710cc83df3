"""The text renderer of the dashboard summary (``pgvigil status``, ``pgvigil demo``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pgvigil.dashboard.model import (
    HEALTH_STATUSES,
    SEVERITIES,
    TASK_STATUSES,
    mapping,
    mappings,
    number,
    parse_time,
)

__all__ = ["render_summary"]

_MISSING = "-"
_NONE = "  none"

_RESET = "\033[0m"
_COLORS = {
    "critical": "\033[1;31m",
    "high": "\033[31m",
    "medium": "\033[33m",
    "low": "\033[36m",
    "healthy": "\033[32m",
    "degraded": "\033[33m",
    "unhealthy": "\033[1;31m",
    "completed": "\033[32m",
    "failed": "\033[31m",
    "timeout": "\033[31m",
    "cancelled": "\033[33m",
    "running": "\033[36m",
    "active": "\033[1m",
    "acknowledged": "\033[2m",
}


def _count(value: Any) -> str:
    amount = number(value)
    return _MISSING if amount is None else f"{amount:,.0f}"


def _seconds(value: Any) -> str:
    """A duration for humans: 0.42 s, 8.3 s, 4m 10s, 2h 05m, 3d 04h."""
    seconds = number(value)
    if seconds is None:
        return _MISSING
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    total = round(seconds)
    if total < 3600:
        return f"{total // 60}m {total % 60:02d}s"
    return _hours_or_days(total)


def _age(seconds: float) -> str:
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m"
    return _hours_or_days(total)


def _hours_or_days(total: int) -> str:
    if total < 86400:
        return f"{total // 3600}h {total % 3600 // 60:02d}m"
    return f"{total // 86400}d {total % 86400 // 3600:02d}h"


def _milliseconds(value: Any) -> str:
    amount = number(value)
    if amount is None:
        return _MISSING
    return f"{amount:.1f}" if amount < 10 else f"{amount:,.0f}"


def _text(value: Any) -> str:
    if value is None or value == "":
        return _MISSING
    return " ".join(str(value).split())


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


class _Renderer:
    def __init__(self, summary: Mapping[str, Any], color: bool) -> None:
        self.summary = summary
        self.color = color
        self.now = parse_time(summary.get("generated_at"))

    def paint(self, text: str, key: Any) -> str:
        code = _COLORS.get(str(key)) if self.color else None
        return f"{code}{text}{_RESET}" if code else text

    def when(self, value: Any) -> str:
        """A timestamp as HH:MM:SS (with the date when not today) and its age."""
        moment = parse_time(value)
        if moment is None:
            return _MISSING if value is None else _text(value)
        if self.now is not None and moment.tzinfo is not None and self.now.tzinfo is not None:
            moment = moment.astimezone(self.now.tzinfo)
            same_day = moment.date() == self.now.date()
            stamp = moment.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M")
            age = (self.now - moment).total_seconds()
            return f"{stamp} ({_age(age)} ago)" if age >= 1 else stamp
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        right: Sequence[int] = (),
        max_widths: Mapping[int, int] | None = None,
        paint: Mapping[int, Callable[[int], Any]] | None = None,
    ) -> list[str]:
        """Rows as aligned columns; ``paint[i](row)`` picks the color key of column i."""
        limits = max_widths or {}
        cells = [
            [_truncate(cell, limits.get(i, 10_000)) for i, cell in enumerate(row)] for row in rows
        ]
        widths = [len(h) for h in headers]
        for row in cells:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], len(cell))

        def line(values: Sequence[str], row_index: int | None) -> str:
            parts = []
            for i, value in enumerate(values):
                fill = " " * (widths[i] - len(value))
                if row_index is not None and paint and i in paint:
                    value = self.paint(value, paint[i](row_index))
                parts.append(fill + value if i in right else value + fill)
            return ("  " + "  ".join(parts)).rstrip()

        return [line(headers, None), *(line(row, n) for n, row in enumerate(cells))]

    def severity_counts(self, counts: Any) -> str:
        counts = mapping(counts)
        parts = []
        for severity in SEVERITIES:
            text = f"{severity} {_count(counts.get(severity, 0))}"
            parts.append(self.paint(text, severity) if number(counts.get(severity)) else text)
        return ", ".join(parts)

    def section(self, key: str) -> Any:
        return self.summary.get(key)

    def header(self) -> list[str]:
        generated = parse_time(self.summary.get("generated_at"))
        stamp = (
            generated.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
            if generated is not None
            else _text(self.summary.get("generated_at"))
        )
        title = f"pgvigil dashboard  generated {stamp}"
        return [title, "=" * len(title)]

    def tasks(self) -> list[str]:
        tasks = mapping(self.section("tasks"))
        lines = [f"TASKS (last {_count(tasks.get('window_hours', 24))} h)"]
        if not tasks:
            return [*lines, _NONE]
        by_status = mapping(tasks.get("by_status"))
        order = [s for s in TASK_STATUSES if s in by_status]
        order += sorted(str(s) for s in by_status if s not in TASK_STATUSES)
        if order:
            total = sum(number(by_status[s]) or 0 for s in order)
            rows = [[s, _count(by_status[s])] for s in order] + [["total", _count(total)]]
            lines += self.table(
                ["status", "tasks"], rows, right=[1], paint={0: lambda n: rows[n][0]}
            )
        else:
            lines.append("  no tasks started")
        throughput = number(tasks.get("throughput_per_minute"))
        lines += [
            f"  running now {_count(tasks.get('running'))}",
            f"  last hour   {_count(tasks.get('completed_last_hour'))} completed, "
            f"{_count(tasks.get('failed_last_hour'))} failed or timed out, "
            f"{_MISSING if throughput is None else f'{throughput:.2f}'} ended/min",
            f"  duration    avg {_seconds(tasks.get('avg_duration_seconds'))}, "
            f"p95 {_seconds(tasks.get('p95_duration_seconds'))}",
        ]
        return lines

    def errors(self) -> list[str]:
        errors = mapping(self.section("errors"))
        lines = ["ERRORS"]
        if not errors:
            return [*lines, _NONE]
        lines += [
            f"  last hour {_count(errors.get('last_hour'))}, "
            f"last 24 h {_count(errors.get('last_24h'))}",
            f"  by severity (24 h): {self.severity_counts(errors.get('by_severity'))}",
        ]
        items = mappings(errors.get("top_components"))
        if items:
            rows = [[_text(c.get("component")), _count(c.get("errors"))] for c in items]
            lines += self.table(["component", "errors"], rows, right=[1], max_widths={0: 40})
        return lines

    def health(self) -> list[str]:
        health = mapping(self.section("health"))
        items = mappings(health.get("components"))
        if not items:
            return ["HEALTH", _NONE]
        counts = ", ".join(f"{_count(health.get(s, 0))} {s}" for s in HEALTH_STATUSES)
        lines = [f"HEALTH ({counts})"]
        rows = [
            [
                f"{_text(c.get('component_type'))}/{_text(c.get('component_name'))}",
                _text(c.get("status")),
                self.when(c.get("status_since")),
                _milliseconds(c.get("response_time_ms")),
                _text(c.get("failure_reason")),
            ]
            for c in items
        ]
        lines += self.table(
            ["component", "status", "since", "resp ms", "failure reason"],
            rows,
            right=[3],
            max_widths={0: 40, 4: 50},
            paint={1: lambda n: rows[n][1]},
        )
        return lines

    def queues(self) -> list[str]:
        items = mappings(self.section("queues"))
        if not items:
            return ["QUEUES", _NONE]
        rows = [
            [
                _text(q.get("queue_name")),
                _count(q.get("pending")),
                _count(q.get("processing")),
                _seconds(q.get("oldest_pending_age_seconds")),
                self.when(q.get("recorded_at")),
            ]
            for q in items
        ]
        return [
            "QUEUES (latest sample)",
            *self.table(
                ["queue", "pending", "processing", "oldest", "sampled"],
                rows,
                right=[1, 2, 3],
                max_widths={0: 40},
            ),
        ]

    def alerts(self) -> list[str]:
        alerts = mapping(self.section("alerts"))
        if not alerts:
            return ["ALERTS", _NONE]
        active = number(alerts.get("active")) or 0
        acknowledged = number(alerts.get("acknowledged")) or 0
        items = mappings(alerts.get("items"))
        if not items and not active:
            return ["ALERTS", _NONE]
        lines = [
            f"ALERTS ({_count(active)} open, {_count(acknowledged)} acknowledged)",
            f"  by severity: {self.severity_counts(alerts.get('by_severity'))}",
        ]
        rows = [
            [
                _text(a.get("alert_id")),
                _text(a.get("severity")),
                _text(a.get("status")),
                _text(a.get("title")),
                self.when(a.get("triggered_at")),
                _text(a.get("triggered_by")),
            ]
            for a in items
        ]
        lines += self.table(
            ["id", "severity", "status", "title", "triggered", "by"],
            rows,
            right=[0],
            max_widths={3: 48, 5: 20},
            paint={1: lambda n: rows[n][1], 2: lambda n: rows[n][2]},
        )
        if active > len(items):
            lines.append(f"  ... and {_count(active - len(items))} more")
        return lines


def render_summary(summary: dict[str, Any], *, color: bool = False) -> str:
    """Format the dashboard summary as a terminal report (ANSI colors when ``color``)."""
    renderer = _Renderer(mapping(summary), color)
    blocks = [
        renderer.header(),
        renderer.tasks(),
        renderer.errors(),
        renderer.health(),
        renderer.queues(),
        renderer.alerts(),
    ]
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"
