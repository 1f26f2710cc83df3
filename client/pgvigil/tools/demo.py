"""A simulated automation platform that fills pgvigil with a realistic, alert-raising workload.

``run_demo`` writes back-dated history through the client (tasks, errors, health
reports, queue samples, performance metrics over the last ``history_minutes``), then
optionally some live activity in real time. With the default 60 minutes of history, a
run of the checks afterwards raises alerts of types error_rate (``ocr_engine``),
slow_processing (``report_generation``), stuck_tasks (two tasks left running on
``worker-03``), component_health (``worker/worker-03``) and queue_backlog
(``documents``).
"""

from __future__ import annotations

import contextlib
import heapq
import math
import random
import sys
import time
import uuid
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TextIO

from pgvigil.db.config import load_config_file
from pgvigil.db.resources import default_config_path
from pgvigil.recording.protocol import Recorder

__all__ = ["DEMO_RULES", "MAX_HISTORY_MINUTES", "DemoReport", "run_demo"]

# Ingest rejects events older than ingest.max_event_age_hours (read from the
# shipped config, its one home); keep an hour spare for the run itself.
MAX_HISTORY_MINUTES = (
    int(load_config_file(default_config_path())["ingest"]["max_event_age_hours"]) - 1
) * 60

# The demo's own alert rule, beside the shipped ones: the host's memory
# climbs in the last minutes of the history (a leak), which this rule sees
# at the first evaluation (for 0) and the shipped memory_usage_high (for 2m)
# holds pending. `pgvigil demo` merges it into the config by name.
DEMO_RULES = [
    {
        "name": "demo_memory_climbing",
        "description": "Memory use of a host rising fast: a leak (written by pgvigil demo).",
        "source": {"kind": "metric", "metric_name": "memory_percent"},
        "aggregate": "delta",
        "window": "10m",
        "group_by": ["component", "tags.host"],
        "thresholds": {"medium": 10, "high": 20},
        "labels": {"team": "platform", "category": "system"},
        "annotations": {
            "summary": "Memory on {{ $labels.host }} up {{ $value }} points in 10 minutes",
            "description": "memory_percent rose by {{ $value }} points over 10 minutes on"
            " {{ $labels.host }} ({{ $severity }} at {{ $threshold }}): a leak?",
            "runbook_url": "https://example.com/runbooks/memory-leak",
        },
    }
]

_WORKERS = ("worker-01", "worker-02", "worker-03", "worker-04")
_DEAD_WORKER = "worker-03"
_FAILED = ("failed", "timeout")
_HOST_TAGS = {"host": "app-01"}
_COMPONENTS = (
    "api/main_api",
    "database/primary",
    "cache/redis",
    *(f"worker/{w}" for w in _WORKERS),
)


@dataclass
class DemoReport:
    """What one demo run wrote."""

    run_id: str
    tasks: int = 0
    tasks_left_running: int = 0
    errors: int = 0
    health_reports: int = 0
    queue_samples: int = 0
    metrics: int = 0

    @property
    def events(self) -> int:
        """Calls made: a task counts twice (start, end) unless left running."""
        return (
            2 * self.tasks
            - self.tasks_left_running
            + self.errors
            + self.health_reports
            + self.queue_samples
            + self.metrics
        )


@dataclass(frozen=True)
class _ErrorKind:
    error_type: str
    severity: str
    message: str


@dataclass(frozen=True)
class _TaskType:
    name: str
    component: str
    queue: str
    per_minute: float
    median_seconds: float
    sigma: float
    failure_rate: float
    cancel_rate: float
    input_median_bytes: float
    output_ratio: float
    steps: tuple[tuple[str, float], ...]
    failures: tuple[_ErrorKind, ...]
    timeout_share: float = 0.0
    timeout_seconds: float = 0.0
    slow_tail_share: float = 0.0
    live_median_seconds: float = 0.0

    def duration(self, rng: random.Random) -> float:
        seconds = rng.lognormvariate(math.log(self.median_seconds), self.sigma)
        if rng.random() < self.slow_tail_share:
            seconds *= rng.uniform(1.8, 3.0)
        return seconds


_TASK_TYPES = (
    _TaskType(
        name="document_processing",
        component="processor",
        queue="documents",
        per_minute=6.0,
        median_seconds=8.0,
        sigma=0.5,
        failure_rate=0.03,
        cancel_rate=0.01,
        input_median_bytes=350_000,
        output_ratio=0.15,
        steps=(("download", 0.1), ("parse", 0.45), ("extract", 0.3), ("store", 0.15)),
        failures=(
            _ErrorKind(
                "processing_error", "medium", "Failed to parse PDF: unexpected end of stream"
            ),
            _ErrorKind("validation_error", "low", "Document has no extractable text layer"),
            _ErrorKind("processing_error", "high", "Unsupported PDF encryption (AES-256, rev 6)"),
        ),
        live_median_seconds=1.5,
    ),
    _TaskType(
        name="ocr_extraction",
        component="ocr_engine",
        queue="documents",
        per_minute=2.0,
        median_seconds=25.0,
        sigma=0.45,
        failure_rate=0.08,
        cancel_rate=0.005,
        input_median_bytes=2_500_000,
        output_ratio=0.01,
        steps=(("preprocess", 0.15), ("recognize", 0.75), ("postprocess", 0.1)),
        failures=(
            _ErrorKind("processing_error", "medium", "OCR confidence below 0.60 on 4 of 7 pages"),
            _ErrorKind("processing_error", "high", "tesseract exited with status 1"),
        ),
        timeout_share=0.4,
        timeout_seconds=120.0,
        live_median_seconds=3.0,
    ),
    _TaskType(
        name="email_ingest",
        component="mail_gateway",
        queue="emails",
        per_minute=8.0,
        median_seconds=1.0,
        sigma=0.6,
        failure_rate=0.01,
        cancel_rate=0.0,
        input_median_bytes=45_000,
        output_ratio=0.3,
        steps=(("fetch", 0.4), ("parse", 0.35), ("store", 0.25)),
        failures=(
            _ErrorKind("validation_error", "low", "Malformed MIME boundary in message"),
            _ErrorKind("processing_error", "medium", "Attachment exceeds the 25 MB limit"),
        ),
        live_median_seconds=0.4,
    ),
    _TaskType(
        name="report_generation",
        component="reporting",
        queue="documents",
        per_minute=0.4,
        median_seconds=240.0,
        sigma=0.3,
        failure_rate=0.04,
        cancel_rate=0.03,
        input_median_bytes=2_000,
        output_ratio=750.0,
        steps=(("query", 0.55), ("render", 0.35), ("upload", 0.1)),
        failures=(
            _ErrorKind("processing_error", "high", "canceling statement due to statement timeout"),
            _ErrorKind("resource_error", "critical", "Renderer ran out of memory (limit 2 GiB)"),
        ),
        slow_tail_share=0.12,
    ),
)
_BY_NAME = {t.name: t for t in _TASK_TYPES}
_LIVE_MIX = (("email_ingest", 0.6), ("document_processing", 0.3), ("ocr_extraction", 0.1))

# Errors outside any task: (component, error type, severity, message).
_STRAY_ERRORS = (
    ("api", "validation_error", "low", "Rejected upload: unsupported media type"),
    ("api", "auth_error", "medium", "Expired API token for client 'acme-erp'"),
    ("scheduler", "configuration_error", "medium", "Cron expression for 'nightly-sync' skipped"),
    ("database", "deadlock_detected", "high", "deadlock detected while updating documents"),
)


@dataclass
class _Task:
    task_id: str
    kind: _TaskType
    worker: str
    start: datetime
    end: datetime | None
    status: str
    input_size: int


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    action: Callable[[], object] = field(compare=False)


class _Demo:
    def __init__(self, client: Recorder, rng: random.Random, out: TextIO) -> None:
        self.client = client
        self.rng = rng
        self.out = out
        self.run_id = uuid.uuid4().hex[:8]
        self.report = DemoReport(run_id=self.run_id)
        self.task_seq = 0
        self.events: list[_Event] = []
        self.in_flight: list[tuple[str, datetime]] = []
        self.stuck_tasks = 0
        self.documents_pending = 0
        self.cpu = 35.0
        self.memory = 55.0

    def say(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    def add(self, at: datetime | None, kind: str, action: Callable[[], object]) -> None:
        """Queue an event of the history, or in live mode (``at`` None) write it now."""
        if at is None:
            action()
            self.count(kind)
        else:
            self.events.append(_Event(at, len(self.events), kind, action))

    def new_task_id(self) -> str:
        self.task_seq += 1
        return f"demo-{self.run_id}-{self.task_seq:05d}"

    def size(self, median: float) -> int:
        return max(int(self.rng.lognormvariate(math.log(median), 0.8)), 1)

    def step_timings(self, kind: _TaskType, seconds: float) -> dict[str, float] | None:
        if not kind.steps or self.rng.random() < 0.3:
            return None
        return {
            name: round(seconds * share * self.rng.uniform(0.85, 1.1), 3)
            for name, share in kind.steps
        }

    def outcome(self, kind: _TaskType, seconds: float) -> tuple[str, float]:
        """Status and (possibly shortened) duration of one task."""
        draw = self.rng.random()
        if draw < kind.failure_rate:
            if self.rng.random() < kind.timeout_share:
                return "timeout", kind.timeout_seconds + self.rng.uniform(0.0, 0.5)
            return "failed", seconds * self.rng.uniform(0.2, 0.9)
        if draw < kind.failure_rate + kind.cancel_rate:
            return "cancelled", seconds * self.rng.uniform(0.1, 0.6)
        return "completed", seconds

    def metadata(self) -> dict[str, Any]:
        return {"demo_run": self.run_id, "priority": self.rng.choice(("normal",) * 4 + ("high",))}

    # History

    def plan_tasks(self, begin: datetime, now: datetime, worker_down_at: datetime) -> list[_Task]:
        tasks: list[_Task] = []
        span = (now - begin).total_seconds()
        for kind in _TASK_TYPES:
            offset = self.rng.expovariate(kind.per_minute / 60.0)
            while offset < span:
                start = begin + timedelta(seconds=offset)
                offset += self.rng.expovariate(kind.per_minute / 60.0)
                status, seconds = self.outcome(kind, kind.duration(self.rng))
                end = start + timedelta(seconds=seconds)
                if end > now:
                    # Still running now: left out of the history, but busy in queue samples.
                    self.in_flight.append((kind.queue, start))
                    continue
                workers = [w for w in _WORKERS if w != _DEAD_WORKER or end < worker_down_at]
                tasks.append(
                    _Task(
                        self.new_task_id(),
                        kind,
                        self.rng.choice(workers),
                        start,
                        end,
                        status,
                        self.size(kind.input_median_bytes),
                    )
                )
        # Two tasks caught on worker-03 when it died: they never finish.
        self.stuck_tasks = 2
        for minutes, name in ((22, "ocr_extraction"), (21, "document_processing")):
            start = max(now - timedelta(minutes=minutes, seconds=self.rng.uniform(0, 30)), begin)
            kind = _BY_NAME[name]
            tasks.append(
                _Task(
                    self.new_task_id(),
                    kind,
                    _DEAD_WORKER,
                    start,
                    None,
                    "running",
                    self.size(kind.input_median_bytes),
                )
            )
        return tasks

    def schedule_task(self, task: _Task) -> None:
        kind = task.kind
        metadata = self.metadata()
        self.add(
            task.start,
            "task",
            lambda: self.client.start_task(
                kind.name,
                task.input_size,
                worker_id=task.worker,
                task_id=task.task_id,
                metadata=metadata,
                event_time=task.start,
            ),
        )
        if task.end is None:
            return
        end = task.end
        seconds = (end - task.start).total_seconds()
        completed = task.status == "completed"
        output = (
            max(int(task.input_size * kind.output_ratio * self.rng.uniform(0.6, 1.4)), 1)
            if completed
            else None
        )
        steps = self.step_timings(kind, seconds) if completed else None
        self.add(
            end,
            "task_end",
            lambda: self.client.complete_task(
                task.task_id, task.status, output, steps, event_time=end
            ),
        )
        if task.status in _FAILED:
            if task.status == "timeout":
                error = _ErrorKind(
                    "timeout_error",
                    "high",
                    f"{kind.name} did not finish within {kind.timeout_seconds:.0f} s",
                )
            else:
                error = self.rng.choice(kind.failures)
            context = {"worker_id": task.worker, "attempt": 1, "input_size": task.input_size}
            self.add(
                end,
                "error",
                lambda: self.client.record_error(
                    task.task_id,
                    error.error_type,
                    error.severity,
                    error.message,
                    kind.component,
                    context=context,
                    event_time=end,
                ),
            )

    def schedule_stray_errors(self, begin: datetime, now: datetime) -> None:
        span = (now - begin).total_seconds()
        offset = self.rng.expovariate(0.15 / 60.0)
        while offset < span:
            at = begin + timedelta(seconds=offset)
            offset += self.rng.expovariate(0.15 / 60.0)
            self.schedule_error(at, *self.rng.choice(_STRAY_ERRORS))
        # An outage of the OCR backend: ~40 errors in 8 minutes, enough for an error_rate alert.
        burst_start = max(now - timedelta(minutes=14), begin)
        burst_span = (min(now - timedelta(minutes=6), now) - burst_start).total_seconds()
        for _ in range(self.rng.randint(38, 44)):
            at = burst_start + timedelta(seconds=self.rng.uniform(0, max(burst_span, 0.0)))
            if self.rng.random() < 0.15:
                self.schedule_error(
                    at, "ocr_engine", "resource_error", "critical", "OCR backend pool exhausted"
                )
            else:
                self.schedule_error(
                    at,
                    "ocr_engine",
                    "connection_error",
                    "high",
                    "Connection to ocr-backend:8500 refused",
                )

    def schedule_error(
        self, at: datetime, component: str, error_type: str, severity: str, message: str
    ) -> None:
        self.add(
            at,
            "error",
            lambda: self.client.record_error(
                None, error_type, severity, message, component, event_time=at
            ),
        )

    def health_status(
        self, component: str, *, cache_degraded: bool = False, worker_down: bool = False
    ) -> tuple[str, float | None, str | None]:
        """Status, response time (ms) and failure reason of a component."""
        rng = self.rng
        if component == "api/main_api":
            return "healthy", round(rng.uniform(40, 80), 1), None
        if component == "database/primary":
            return "healthy", round(rng.uniform(1.5, 6.0), 2), None
        if component == "cache/redis":
            if cache_degraded:
                return "degraded", round(rng.uniform(150, 400), 1), "p99 latency above 100 ms"
            return "healthy", round(rng.uniform(0.4, 2.0), 2), None
        if component == f"worker/{_DEAD_WORKER}" and worker_down:
            return "unhealthy", None, "heartbeat missed"
        return "healthy", round(rng.uniform(8, 30), 1), None

    def schedule_samples(
        self, tasks: list[_Task], begin: datetime, now: datetime, worker_down_at: datetime
    ) -> None:
        """Health, queue and metric samples once a minute."""
        minutes = max(int((now - begin).total_seconds() // 60), 1)
        by_queue: dict[str, tuple[list[datetime], ...]] = {}
        for queue in ("documents", "emails"):
            mine = [t for t in tasks if t.kind.queue == queue]
            by_queue[queue] = (
                sorted([t.start for t in mine] + [at for q, at in self.in_flight if q == queue]),
                sorted(t.end for t in mine if t.end is not None),
                sorted(t.end for t in mine if t.end is not None and t.status == "completed"),
                sorted(t.end for t in mine if t.end is not None and t.status in _FAILED),
            )
        doc_ends = sorted(
            (t.end, (t.end - t.start).total_seconds())
            for t in tasks
            if t.kind.name == "document_processing" and t.end is not None
        )
        cache_degraded_from = now - timedelta(minutes=45)
        cache_degraded_until = now - timedelta(minutes=33)
        previous = begin
        for k in range(1, minutes + 1):
            tick = begin + (now - begin) * (k / minutes)
            for component in _COMPONENTS:
                at = tick - timedelta(seconds=self.rng.uniform(0, 5))
                status = self.health_status(
                    component,
                    cache_degraded=cache_degraded_from <= at < cache_degraded_until,
                    worker_down=at >= worker_down_at,
                )
                self.schedule_health(component, at, *status)
            for queue, (starts, ends, completed_ends, failed_ends) in by_queue.items():
                running = bisect_right(starts, tick) - bisect_right(ends, tick)
                completed = bisect_right(completed_ends, tick) - bisect_right(
                    completed_ends, previous
                )
                failed = bisect_right(failed_ends, tick) - bisect_right(failed_ends, previous)
                pending = self.queue_pending(queue, k / minutes)
                self.schedule_queue(tick, queue, pending, running, completed, failed)
            durations = [d for end, d in doc_ends if previous < end <= tick]
            if durations:
                self.schedule_metric(
                    tick,
                    "processing_duration",
                    "response_time",
                    sum(durations) / len(durations),
                    "seconds",
                    "processor",
                    {"task_type": "document_processing"},
                )
            self.schedule_system_metrics(tick, leaking=tick >= now - timedelta(minutes=12))
            previous = tick

    def queue_pending(self, queue: str, progress: float) -> int:
        if queue == "documents":
            level = 18 + 242 * progress**1.1 + self.rng.uniform(-6, 6)
            self.documents_pending = max(int(level), 0)
            return self.documents_pending
        return self.rng.choice((0, 0, 1, 2, 3, 5, 8, 12))

    def schedule_health(
        self,
        component: str,
        at: datetime | None,
        status: str,
        response_ms: float | None,
        reason: str | None,
    ) -> None:
        component_type, component_name = component.split("/", 1)
        self.add(
            at,
            "health",
            lambda: self.client.update_system_health(
                component_type,
                component_name,
                status,
                response_ms,
                failure_reason=reason,
                event_time=at,
            ),
        )

    def schedule_queue(
        self,
        at: datetime | None,
        queue: str,
        pending: int,
        processing: int,
        completed: int,
        failed: int,
    ) -> None:
        drain_per_minute = 8.0 if queue == "documents" else 30.0
        oldest = (
            round(pending / drain_per_minute * 60 * self.rng.uniform(0.8, 1.2), 1)
            if pending
            else None
        )
        self.add(
            at,
            "queue",
            lambda: self.client.record_queue_stats(
                queue,
                pending,
                processing,
                completed_count=completed,
                failed_count=failed,
                oldest_pending_age_seconds=oldest,
                event_time=at,
            ),
        )

    def schedule_metric(
        self,
        at: datetime | None,
        name: str,
        metric_type: str,
        value: float,
        unit: str,
        component: str,
        tags: dict[str, Any],
    ) -> None:
        self.add(
            at,
            "metric",
            lambda: self.client.record_performance_metric(
                name, metric_type, round(value, 3), unit, component, tags=tags, event_time=at
            ),
        )

    def schedule_system_metrics(self, at: datetime | None, *, leaking: bool = False) -> None:
        self.cpu = min(max(self.cpu + self.rng.gauss(0, 4) + (45 - self.cpu) * 0.2, 3.0), 99.0)
        growth = self.rng.uniform(2.5, 4.0) if leaking else self.rng.gauss(0.15, 0.4)
        self.memory = min(max(self.memory + growth, 30.0), 97.0)
        self.schedule_metric(at, "cpu_percent", "cpu", self.cpu, "%", "system", _HOST_TAGS)
        self.schedule_metric(at, "memory_percent", "memory", self.memory, "%", "system", _HOST_TAGS)

    def flush(self) -> None:
        """Write the queued history events in time order, counting them into the report."""
        events = sorted(self.events)
        self.events = []
        started = time.monotonic()
        step = max(1000, -(-len(events) // 4000) * 1000)
        for done, event in enumerate(events, 1):
            event.action()
            self.count(event.kind)
            if done % step == 0 and done < len(events):
                self.say(f"  history: {done:,}/{len(events):,} events written")
        elapsed = time.monotonic() - started
        self.say(f"  history: {len(events):,} events written in {elapsed:.1f} s")

    def count(self, kind: str) -> None:
        report = self.report
        if kind == "task":
            report.tasks += 1
            report.tasks_left_running += 1
        elif kind == "task_end":
            report.tasks_left_running -= 1
        elif kind == "error":
            report.errors += 1
        elif kind == "health":
            report.health_reports += 1
        elif kind == "queue":
            report.queue_samples += 1
        elif kind == "metric":
            report.metrics += 1

    def history(self, minutes: int) -> None:
        now = datetime.now(timezone.utc) - timedelta(seconds=1)
        begin = now - timedelta(minutes=minutes)
        worker_down_at = max(now - timedelta(minutes=20), begin + (now - begin) / 2)
        tasks = self.plan_tasks(begin, now, worker_down_at)
        for task in tasks:
            self.schedule_task(task)
        self.schedule_stray_errors(begin, now)
        self.schedule_samples(tasks, begin, now, worker_down_at)
        self.say(f"  history: {len(tasks):,} tasks, {len(self.events):,} events to write")
        self.flush()

    # Live

    def live(self, seconds: float) -> None:
        """Start and finish a few tasks per second in real time, on the database clock."""
        self.say(f"  live: {seconds:g} s of live activity")
        rate = 3.0
        clock = time.monotonic
        deadline = clock() + seconds
        next_arrival = clock() + self.rng.expovariate(rate)
        next_sample = clock()
        in_flight: list[tuple[float, int, _Task, float]] = []
        tasks_before = self.report.tasks
        try:
            while clock() < deadline or in_flight:
                now = clock()
                while now < deadline and next_arrival <= now:
                    heapq.heappush(in_flight, self.live_start(now))
                    next_arrival += self.rng.expovariate(rate)
                while in_flight and in_flight[0][0] <= now:
                    _, _, task, seconds_taken = heapq.heappop(in_flight)
                    self.live_finish(task, seconds_taken)
                if now < deadline and next_sample <= now:
                    self.live_samples(in_flight)
                    next_sample += 5.0
                wake = [next_sample, next_arrival] if now < deadline else []
                wake += [in_flight[0][0]] if in_flight else []
                if wake:
                    time.sleep(min(max(min(wake) - clock(), 0.0), 0.5))
        except BaseException:
            for _, _, task, _ in in_flight:
                with contextlib.suppress(Exception):
                    self.client.complete_task(task.task_id, "cancelled")
                    self.count("task_end")
            raise
        self.say(f"  live: {self.report.tasks - tasks_before:,} tasks")

    def live_start(self, now: float) -> tuple[float, int, _Task, float]:
        draw = self.rng.random()
        name = _LIVE_MIX[-1][0]
        for candidate, share in _LIVE_MIX:
            if draw < share:
                name = candidate
                break
            draw -= share
        kind = _BY_NAME[name]
        seconds = min(self.rng.lognormvariate(math.log(kind.live_median_seconds), kind.sigma), 8.0)
        status, seconds = self.outcome(kind, seconds)
        if status == "timeout":
            status, seconds = "failed", min(seconds, 8.0)
        workers = [w for w in _WORKERS if w != _DEAD_WORKER]
        task = _Task(
            self.new_task_id(),
            kind,
            self.rng.choice(workers),
            datetime.now(timezone.utc),
            None,
            status,
            self.size(kind.input_median_bytes),
        )
        self.client.start_task(
            kind.name,
            task.input_size,
            worker_id=task.worker,
            task_id=task.task_id,
            metadata=self.metadata(),
        )
        self.count("task")
        return now + seconds, self.task_seq, task, seconds

    def live_finish(self, task: _Task, seconds: float) -> None:
        kind = task.kind
        completed = task.status == "completed"
        output = max(int(task.input_size * kind.output_ratio), 1) if completed else None
        steps = self.step_timings(kind, seconds) if completed else None
        self.client.complete_task(task.task_id, task.status, output, steps)
        self.count("task_end")
        if task.status == "failed":
            error = self.rng.choice(kind.failures)
            self.client.record_error(
                task.task_id,
                error.error_type,
                error.severity,
                error.message,
                kind.component,
                context={"worker_id": task.worker, "attempt": 1},
            )
            self.count("error")

    def live_samples(self, in_flight: list[tuple[float, int, _Task, float]]) -> None:
        for component in _COMPONENTS:
            self.schedule_health(component, None, *self.health_status(component, worker_down=True))
        running = {"documents": self.stuck_tasks, "emails": 0}
        for _, _, task, _ in in_flight:
            running[task.kind.queue] += 1
        self.documents_pending += self.rng.choice((0, 1, 1, 2))
        self.schedule_queue(None, "documents", self.documents_pending, running["documents"], 0, 0)
        self.schedule_queue(None, "emails", self.rng.choice((0, 1, 2, 4)), running["emails"], 0, 0)
        self.schedule_system_metrics(None)


def run_live_workload(
    client: Recorder, seconds: float, *, seed: int | None = None, out: TextIO | None = None
) -> DemoReport:
    """Only the live part of the demo: ``seconds`` of tasks, errors, health
    and queue samples in real time (what ``pgvigil demo --serve`` leaves
    running beside the dashboard)."""
    if seconds <= 0 or not math.isfinite(seconds):
        raise ValueError("seconds must be a finite number > 0")
    demo = _Demo(client, random.Random(seed), out or sys.stdout)
    demo.live(seconds)
    return demo.report


def run_demo(
    client: Recorder,
    *,
    seed: int | None = None,
    history_minutes: int = 60,
    live_seconds: float = 0.0,
    out: TextIO | None = None,
) -> DemoReport:
    """Write a simulated workload: ``history_minutes`` of back-dated history, then live activity.

    The history is the same for the same ``seed`` (relative to the current time); task ids
    carry a fresh run id, so the demo can run again on the same database. Health reports
    older than a component's latest one are ignored by the database, so a second run only
    adds health history after the first. The two tasks left running on the dead worker stay
    running for good (that is what raises stuck_tasks). About 45 events are written per
    simulated minute.
    """
    if not 1 <= history_minutes <= MAX_HISTORY_MINUTES:
        raise ValueError(f"history_minutes must be between 1 and {MAX_HISTORY_MINUTES}")
    if live_seconds < 0 or not math.isfinite(live_seconds):
        raise ValueError("live_seconds must be a finite number >= 0")
    # sys.stdout at call time, not at import (tests and callers may swap it).
    demo = _Demo(client, random.Random(seed), out or sys.stdout)
    demo.say(
        f"pgvigil demo run {demo.run_id}: {history_minutes} min of history"
        + (f", then {live_seconds:g} s live" if live_seconds else "")
        + (f" (seed {seed})" if seed is not None else "")
    )
    demo.history(history_minutes)
    if live_seconds > 0:
        demo.live(live_seconds)
    r = demo.report
    demo.say(
        f"done: {r.tasks:,} tasks ({r.tasks_left_running} left running), {r.errors:,} errors, "
        f"{r.health_reports:,} health reports, {r.queue_samples:,} queue samples, "
        f"{r.metrics:,} metrics"
    )
    return r
