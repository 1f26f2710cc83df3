"""pgvigil benchmark: ingest, task lifecycles, latency, queries on a big history, expiry, memory.

Run it with ``scripts/bench [--quick] [--out FILE]``. It starts its own
throwaway PostgreSQL cluster (``LocalCluster`` in a temp dir, with the same
durable settings as ``pgvigil up``: fsync and synchronous commit on), migrates
two databases, measures everything side by side in one run, prints a table,
optionally writes every number as JSON, and deletes the cluster at the end,
also on error or interrupt. It reports: a missed target does not make it fail.

Each section (memory, cluster, ingest, lifecycles, latency, history, queries,
expiry) runs on its own: an exception in one is recorded (in the JSON, under
"failures", with its traceback) and printed as a FAILED line of the table, and
the other sections still run and report; a section that needs one that failed
(every database section needs the cluster; queries and expiry need the
history) is reported as not run. The exit status is then 1, after everything
was printed and written. ``--fail-section NAME`` makes a section fail on
purpose, to test exactly that.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

import alerting
import api_load
import notification_delivery
from history_data import (
    COMPONENTS,
    METRICS,
    TASK_TYPES,
    HistorySizes,
    load_history,
    load_performance_days,
)
from pgvigil import BufferedClient, MonitoringClient
from pgvigil.db.cluster import LocalCluster
from pgvigil.db.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent
QUERY_TARGET_MS = 100.0
BIG_DAY_FACTOR = 10  # the busy day of the expiry test: this many times a day of the history
INGEST_BATCH = 10_000  # rows per transaction: the BufferedClient default batch_size

Conn = psycopg.Connection[Any]
MetricRow = tuple[str, str, float, str, str, "dict[str, Any] | None", datetime]


@dataclass(frozen=True)
class Sizes:
    ingest_rows: int
    ingest_runs: int
    lifecycles_buffered: int
    lifecycles_sync: int
    latency_calls: int
    latency_warmup: int
    query_runs: int
    expiry_runs: int
    history: HistorySizes


QUICK = Sizes(
    ingest_rows=50_000, ingest_runs=2, lifecycles_buffered=2_000, lifecycles_sync=2_000,
    latency_calls=1_000, latency_warmup=100, query_runs=5, expiry_runs=2,
    history=HistorySizes(performance_samples=200_000, tasks=20_000, errors=4_000,
                         queue_samples=2_000, health_changes=1_000, running_tasks=100,
                         resolved_alerts=200),
)  # fmt: skip
FULL = Sizes(
    ingest_rows=500_000, ingest_runs=3, lifecycles_buffered=50_000, lifecycles_sync=5_000,
    latency_calls=2_000, latency_warmup=200, query_runs=5, expiry_runs=3,
    history=HistorySizes(performance_samples=10_000_000, tasks=1_000_000, errors=200_000,
                         queue_samples=100_000, health_changes=50_000, running_tasks=1_000,
                         resolved_alerts=5_000),
)  # fmt: skip


@dataclass
class Measurement:
    """One reported number. ``target`` applies to ``value`` or, if ``target_on == 'ratio'``, to ``ratio``."""

    name: str
    section: str
    label: str
    value: float | None
    unit: str
    target: float | None = None
    target_op: str | None = None  # ">=" or "<"
    target_on: str = "value"
    baseline: float | None = None
    baseline_label: str | None = None
    ratio: float | None = None
    ok: bool | None = None
    runs: list[float] = field(default_factory=list)
    note: str = ""
    skipped: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def judge(self) -> None:
        subject = self.ratio if self.target_on == "ratio" else self.value
        if self.target is None or subject is None or self.target_op is None:
            self.ok = None
        elif self.target_op == ">=":
            self.ok = subject >= self.target
        else:
            self.ok = subject < self.target


@dataclass(frozen=True)
class Section:
    """A part of the benchmark that runs, fails and reports on its own."""

    key: str  # for --fail-section and the JSON
    title: str  # its phase, as printed
    needs: tuple[str, ...] = ()  # keys of the sections it cannot run without


SECTIONS = (
    Section("memory", "memory (subprocess)"),
    Section("cluster", "cluster start and migrate"),
    Section("ingest", "ingest", ("cluster",)),
    Section("lifecycles", "task lifecycles", ("cluster",)),
    Section("latency", "start_task latency", ("cluster",)),
    Section("retention", "retention beside readers", ("cluster",)),
    Section("history", "history load", ("cluster",)),
    Section("queries", "queries on the history", ("history",)),
    Section("expiry", "expiry", ("history",)),
    Section("rules", "alert rules at 1,000 rules", ("history",)),
    Section("server", "pgvigil serve under load", ("history",)),
    Section("detection", "detection time (MTTD)", ("cluster",)),
    Section("notifications", "notification delivery", ("cluster",)),
)


class InjectedFailure(RuntimeError):
    """Raised inside a section named by --fail-section (a test of the bench itself)."""


@dataclass
class SectionResult:
    key: str
    title: str
    status: str  # "ok", "FAILED" or "not run"
    seconds: float | None = None
    error: str | None = None  # "ExceptionType: message", or why it was not run
    traceback: str | None = None
    position: int = 0  # measurements added before it ended: where its line goes in the table

    def as_json(self) -> dict[str, Any]:
        document = asdict(self)
        del document["position"]
        return document


class Bench:
    def __init__(self, sizes: Sizes, quick: bool, fail_sections: Sequence[str] = ()) -> None:
        self.sizes = sizes
        self.quick = quick
        self.fail_sections = set(fail_sections)
        self.measurements: list[Measurement] = []
        self.notes: list[str] = []
        self.plans: dict[str, list[str]] = {}
        self.phases: dict[str, float] = {}
        self.sections: list[SectionResult] = []
        self.extra: dict[str, Any] = {}

    def add(self, m: Measurement) -> Measurement:
        m.judge()
        self.measurements.append(m)
        return m

    def skip(self, name: str, section: str, label: str, unit: str, reason: str) -> None:
        self.add(Measurement(name, section, label, None, unit, skipped=reason))

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        progress(f"{name} ...")
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = round(time.perf_counter() - started, 2)
            progress(f"{name}: {self.phases[name]:.1f} s")

    def section(self, spec: Section, run: Callable[[], None]) -> SectionResult:
        """``run()`` as the phase ``spec.title``, isolated from the other sections.

        An exception is recorded with its traceback (and printed to stderr at
        once) instead of ending the benchmark; the measurements the section
        added before it are kept. A section whose ``needs`` did not all end
        well is not run. Only ``Exception``: an interrupt still stops the run.
        """
        done = {r.key for r in self.sections if r.status == "ok"}
        missing = [s.title for s in SECTIONS if s.key in spec.needs and s.key not in done]
        if missing:
            result = SectionResult(spec.key, spec.title, "not run",
                                   error=f"needs {', '.join(missing)}, which did not complete",
                                   position=len(self.measurements))  # fmt: skip
            progress(f"{spec.title}: not run, {result.error}")
        else:
            try:
                with self.phase(spec.title):
                    if spec.key in self.fail_sections:
                        raise InjectedFailure(f"--fail-section {spec.key}: failed on purpose")
                    run()
            except Exception as error:
                result = SectionResult(spec.key, spec.title, "FAILED",
                                       seconds=self.phases.get(spec.title),
                                       error=f"{type(error).__name__}: {error}",
                                       traceback=traceback.format_exc(),
                                       position=len(self.measurements))  # fmt: skip
                progress(f"{spec.title} FAILED, the other sections go on:\n{result.traceback}")
            else:
                result = SectionResult(spec.key, spec.title, "ok",
                                       seconds=self.phases.get(spec.title),
                                       position=len(self.measurements))  # fmt: skip
        self.sections.append(result)
        return result

    def failures(self) -> list[SectionResult]:
        return [r for r in self.sections if r.status == "FAILED"]


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def default_max_queue() -> int:
    try:
        return int(inspect.signature(BufferedClient).parameters["max_queue"].default)
    except (KeyError, TypeError, ValueError):
        return 100_000


def stats_dict(stats: Any) -> dict[str, Any]:
    if is_dataclass(stats) and not isinstance(stats, type):
        return asdict(stats)
    return dict(vars(stats)) if hasattr(stats, "__dict__") else {"repr": repr(stats)}


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    index = max(0, min(len(sorted_values) - 1, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def scalar(conn: Conn, query: Any, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


# --------------------------------------------------------------------------- machine


def machine_facts(conn: Conn, data_dir: Path) -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                           capture_output=True, text=True, check=False).stdout.strip() != ""  # fmt: skip
    settings = {
        name: scalar(conn, sql.SQL("SELECT current_setting({})").format(sql.Literal(name)))
        for name in (
            "server_version",
            "fsync",
            "synchronous_commit",
            "full_page_writes",
            "wal_sync_method",
            "shared_buffers",
            "work_mem",
            "max_wal_size",
            "checkpoint_timeout",
            "jit",
        )  # fmt: skip
    }
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__})",
        "postgresql": scalar(conn, "SELECT version()"),
        "pg_cron": scalar(conn, "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'"),
        "postgresql_settings": settings,
        "data_dir_filesystem": filesystem_of(data_dir),
        "git_commit": commit + ("-dirty" if dirty else ""),
    }


def filesystem_of(path: Path) -> str:
    best, kind = "", "unknown"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
                best, kind = parts[1], f"{parts[2]} on {parts[0]} (mounted at {parts[1]})"
    except OSError:
        pass
    return kind


# --------------------------------------------------------------------------- 1. ingest


def generate_metric_rows(count: int) -> list[MetricRow]:
    """~20 metrics x 10 components, random values, times spread over the last 5 minutes."""
    rng = random.Random(42)
    now = datetime.now(timezone.utc)
    tag_pool: list[dict[str, Any] | None] = [
        {"host": f"host-{h:02d}", "region": "eu-west-1", "pid": 4000 + h} for h in range(16)
    ]
    tag_pool.append(None)
    rows: list[MetricRow] = []
    for i in range(count):
        name, metric_type, unit, base, spread = METRICS[i % len(METRICS)]
        rows.append((
            name, metric_type, round(base + spread * rng.random(), 3), unit,
            COMPONENTS[(i // len(METRICS)) % len(COMPONENTS)], tag_pool[i % len(tag_pool)],
            now - timedelta(seconds=300.0 * (count - i) / count),
        ))  # fmt: skip
    return rows


COPY_TYPES = ["text", "text", "float8", "text", "text", "jsonb", "timestamptz"]
COPY_COLUMNS = "metric_name, metric_type, metric_value, unit, component, tags, recorded_at"


def copy_ceiling(conn: Conn, rows: list[MetricRow], binary: bool) -> float:
    """COPY into bench_ceiling in batches of INGEST_BATCH rows per transaction; seconds."""
    statement = (
        f"COPY bench_ceiling ({COPY_COLUMNS}) FROM STDIN (FORMAT BINARY)"
        if binary
        else f"COPY bench_ceiling ({COPY_COLUMNS}) FROM STDIN"
    )
    started = time.perf_counter()
    with conn.cursor() as cur:
        for offset in range(0, len(rows), INGEST_BATCH):
            with conn.transaction(), cur.copy(statement.encode()) as copy:
                copy.set_types(COPY_TYPES)
                write = copy.write_row
                for row in rows[offset : offset + INGEST_BATCH]:
                    write(row)
    return time.perf_counter() - started


def buffered_ingest(
    conninfo: str, admin: Conn, rows: list[MetricRow]
) -> tuple[float, dict[str, Any]]:
    max_queue = max(default_max_queue(), len(rows) + 1)
    client = BufferedClient(conninfo, max_queue=max_queue)
    try:
        # Warm-up: the first flush opens the client's connection.
        client.record_performance_metric("bench_warmup", "gauge", 1.0, "count", "bench")
        client.flush()
        admin.execute("TRUNCATE monitoring.performance_monitoring")
        admin.execute("CHECKPOINT")
        record = client.record_performance_metric
        started = time.perf_counter()
        for name, metric_type, value, unit, component, tags, at in rows:
            record(name, metric_type, value, unit, component, tags=tags, event_time=at)
        calls_seconds = time.perf_counter() - started
        flushed = client.flush()
        elapsed = time.perf_counter() - started
        stats = stats_dict(client.stats())
    finally:
        client.close()
    written = int(scalar(admin, "SELECT count(*) FROM monitoring.performance_monitoring"))
    return elapsed, {"flushed": flushed, "rows_in_table": written, "max_queue": max_queue,
                     "seconds": elapsed, "calls_seconds": calls_seconds, "stats": stats}  # fmt: skip


def bench_ingest(bench: Bench, conninfo: str) -> None:
    n = bench.sizes.ingest_rows
    rows = generate_metric_rows(n)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute("DROP TABLE IF EXISTS bench_ceiling")
        admin.execute("CREATE TABLE bench_ceiling (LIKE monitoring.performance_monitoring)")
        admin.execute("CREATE INDEX ON bench_ceiling USING brin (recorded_at)")
        admin.execute("CREATE INDEX ON bench_ceiling (metric_name, component, recorded_at)")
        runs: dict[str, list[float]] = {"binary": [], "text": [], "buffered": []}
        buffered_details: list[dict[str, Any]] = []
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for run in range(bench.sizes.ingest_runs):
                for binary in (True, False):
                    admin.execute("TRUNCATE bench_ceiling")
                    admin.execute("CHECKPOINT")
                    seconds = copy_ceiling(conn, rows, binary)
                    loaded = int(scalar(admin, "SELECT count(*) FROM bench_ceiling"))
                    if loaded != n:
                        raise RuntimeError(f"COPY loaded {loaded} rows, expected {n}")
                    runs["binary" if binary else "text"].append(n / seconds)
                seconds, details = buffered_ingest(conninfo, admin, rows)
                runs["buffered"].append(details["rows_in_table"] / seconds)
                buffered_details.append(details)
                progress(f"ingest run {run + 1}/{bench.sizes.ingest_runs}: "
                         + ", ".join(f"{k} {v[-1]:,.0f} rows/s" for k, v in runs.items() if v))  # fmt: skip
        admin.execute("DROP TABLE bench_ceiling")
        admin.execute("TRUNCATE monitoring.performance_monitoring")

    medians = {k: statistics.median(v) for k, v in runs.items() if v}
    ceiling_format = "binary" if medians["binary"] >= medians["text"] else "text"
    ceiling = medians[ceiling_format]
    for fmt in ("binary", "text"):
        bench.add(Measurement(
            f"ingest.copy_{fmt}", "ingest", f"COPY {fmt}, {INGEST_BATCH:,} rows/txn"
            + (" (ceiling)" if fmt == ceiling_format else ""),
            medians[fmt], "rows/s", runs=runs[fmt],
            note=f"psycopg cursor.copy + set_types into bench_ceiling (same indexes), {n:,} rows, median of {len(runs[fmt])}",
        ))  # fmt: skip
    last = buffered_details[-1]
    bench.add(Measurement(
        "ingest.buffered", "ingest", "BufferedClient.record_performance_metric + flush",
        medians["buffered"], "rows/s", target=0.75, target_op=">=", target_on="ratio",
        baseline=ceiling, baseline_label=f"ceiling (COPY {ceiling_format})",
        ratio=medians["buffered"] / ceiling, runs=runs["buffered"],
        note=(f"{n:,} calls then flush(), timed from the first call to the end of flush; "
              f"rows counted in the table; max_queue={last['max_queue']:,} so that none is dropped"),
        details={"runs": buffered_details},
    ))  # fmt: skip


# --------------------------------------------------------------------------- 2. lifecycles


def bench_lifecycles(bench: Bench, conninfo: str) -> None:
    types = [t[0] for t in TASK_TYPES]
    with psycopg.connect(conninfo, autocommit=True) as admin:
        sync_n = bench.sizes.lifecycles_sync
        client = MonitoringClient(conninfo, min_size=1, max_size=1)
        try:
            for i in range(50):  # warm-up: pool open, plans cached
                client.complete_task(
                    client.start_task(types[i % 5], 1024, worker_id="bench-warmup")
                )
            admin.execute("CHECKPOINT")
            started = time.perf_counter()
            for i in range(sync_n):
                task_id = client.start_task(types[i % 5], 1024, worker_id="bench-sync")
                client.complete_task(task_id, "completed", 2048)
            sync_seconds = time.perf_counter() - started
        finally:
            client.close()
        sync_rate = sync_n / sync_seconds

        n = bench.sizes.lifecycles_buffered
        max_queue = max(default_max_queue(), 2 * n + 10)
        bclient = BufferedClient(conninfo, max_queue=max_queue)
        try:
            bclient.complete_task(bclient.start_task(types[0], 1024, worker_id="bench-warmup"))
            bclient.flush()
            admin.execute("CHECKPOINT")
            start_task, complete_task = bclient.start_task, bclient.complete_task
            started = time.perf_counter()
            for i in range(n):
                task_id = start_task(types[i % 5], 1024, worker_id="bench-buffered")
                complete_task(task_id, "completed", 2048)
            calls_seconds = time.perf_counter() - started
            flushed = bclient.flush()
            seconds = time.perf_counter() - started
            stats = stats_dict(bclient.stats())
        finally:
            bclient.close()
        completed = int(scalar(
            admin, "SELECT count(*) FROM monitoring.processing_metrics"
            " WHERE worker_id = 'bench-buffered' AND status = 'completed'"))  # fmt: skip
        bench.add(Measurement(
            "lifecycles.buffered", "lifecycles", "BufferedClient start_task + complete_task",
            completed / seconds, "lifecycles/s", target=5_000, target_op=">=",
            baseline=sync_rate, baseline_label="sync MonitoringClient",
            ratio=(completed / seconds) / sync_rate,
            note=f"{n:,} lifecycles then flush(); completed rows counted in the table; max_queue={max_queue:,}",
            details={"flushed": flushed, "completed_in_table": completed, "seconds": seconds,
                     "calls_seconds": calls_seconds, "stats": stats},
        ))  # fmt: skip
        bench.add(Measurement(
            "lifecycles.sync", "lifecycles", "MonitoringClient start_task + complete_task",
            sync_rate, "lifecycles/s",
            note=f"{sync_n:,} lifecycles, one connection, each call its own committed transaction",
        ))  # fmt: skip


# --------------------------------------------------------------------------- 3. latency


def bench_latency(bench: Bench, conninfo: str) -> None:
    calls, warmup = bench.sizes.latency_calls, bench.sizes.latency_warmup
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute("CREATE TABLE bench_commit_probe (n integer)")
        admin.execute("CHECKPOINT")
        # The floor: a one-row INSERT committed (and so flushed to the WAL) by itself.
        floor_ns: list[int] = []
        for i in range(warmup + calls):
            t = time.perf_counter_ns()
            admin.execute("INSERT INTO bench_commit_probe VALUES (%s)", (i,))
            if i >= warmup:
                floor_ns.append(time.perf_counter_ns() - t)
        admin.execute("DROP TABLE bench_commit_probe")
    client = MonitoringClient(conninfo, min_size=1, max_size=1)
    samples: list[int] = []
    try:
        for i in range(warmup + calls):
            t = time.perf_counter_ns()
            client.start_task("latency_probe", 1024, worker_id="bench-latency")
            if i >= warmup:
                samples.append(time.perf_counter_ns() - t)
    finally:
        client.close()
    ms = sorted(s / 1e6 for s in samples)
    floor = sorted(s / 1e6 for s in floor_ns)
    common = f"{calls:,} calls after {warmup} warm-up, perf_counter_ns around each call"
    bench.add(Measurement(
        "latency.start_task_p50", "latency", "MonitoringClient.start_task p50",
        percentile(ms, 0.50), "ms", baseline=percentile(floor, 0.50),
        baseline_label="one-row INSERT commit p50", ratio=percentile(ms, 0.50) / percentile(floor, 0.50),
        note=common, details={"mean_ms": statistics.fmean(ms), "max_ms": ms[-1]},
    ))  # fmt: skip
    bench.add(Measurement(
        "latency.start_task_p99", "latency", "MonitoringClient.start_task p99",
        percentile(ms, 0.99), "ms", target=2.0, target_op="<", baseline=percentile(floor, 0.99),
        baseline_label="one-row INSERT commit p99", ratio=percentile(ms, 0.99) / percentile(floor, 0.99),
        note=common + "; the baseline is the commit (WAL flush) floor of the same server",
        details={"p999_ms": percentile(ms, 0.999), "floor_p50_ms": percentile(floor, 0.5),
                 "floor_p99_ms": percentile(floor, 0.99)},
    ))  # fmt: skip


# --------------------------------------------------------------------------- retention beside readers

# Expired days placed far back (past every retention), per history table, and
# the rows each gets: enough that a drop is not free.
_EXPIRED_DAYS_BACK = (400, 401, 402)
_EXPIRED_TABLE_ROWS = {"performance_monitoring": 20_000, "error_tracking": 5_000,
                       "queue_monitoring": 5_000}  # fmt: skip


def _place_expired_partitions(conn: Conn) -> int:
    """Old daily partitions with rows, in tables the writers below write to."""
    placed = 0
    for table, rows in _EXPIRED_TABLE_ROWS.items():
        for back in _EXPIRED_DAYS_BACK:
            day = scalar(conn, "SELECT (now() AT TIME ZONE 'UTC')::date - %s", (back,))
            conn.execute("SELECT monitoring_internal.create_partition(%s, %s)", (table, day))
            at = "(%(day)s::date + interval '12 hours') AT TIME ZONE 'UTC'"
            insert = {
                "performance_monitoring": "INSERT INTO monitoring.performance_monitoring"
                " (metric_name, metric_type, metric_value, unit, component, recorded_at)"
                f" SELECT 'old', 'gauge', g, 'ms', 'bench', {at} FROM generate_series(1, %(n)s) g",
                "error_tracking": "INSERT INTO monitoring.error_tracking"
                " (error_type, severity, message, component, occurred_at)"
                f" SELECT 'old', 'low', 'm', 'bench', {at} FROM generate_series(1, %(n)s) g",
                "queue_monitoring": "INSERT INTO monitoring.queue_monitoring"
                f" (queue_name, pending_count, recorded_at) SELECT 'old', g, {at}"
                " FROM generate_series(1, %(n)s) g",
            }[table]
            conn.execute(insert, {"day": day, "n": rows})
            placed += 1
    conn.execute("ANALYZE")
    return placed


class _Writers:
    """Two writers (a sample and an error every few ms), each call timed."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.latencies_ms: list[tuple[float, float]] = []  # (start, ms)
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in (0, 1)]

    def _run(self, kind: int) -> None:
        statement = ("SELECT monitoring.record_performance_metric('bench', 'gauge', 1, 'ms', 'bench')",
                     "SELECT monitoring.record_error(NULL, 'bench', 'low', 'm', 'bench')")[kind]  # fmt: skip
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute("SET statement_timeout = '30s'")
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    conn.execute(statement)
                except psycopg.Error as exc:
                    self.errors.append(str(exc))
                self.latencies_ms.append((started, (time.perf_counter() - started) * 1000))
                time.sleep(0.002)

    def __enter__(self) -> _Writers:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)

    def max_between(self, start: float, end: float) -> float:
        return max((ms for at, ms in self.latencies_ms if start <= at <= end), default=0.0)


def bench_retention_beside_readers(bench: Bench, conninfo: str) -> None:
    """The longest wait of a recording call while the retention job runs
    beside a reader that keeps a transaction open on the history tables (a
    Grafana panel, a pgvigil_reader login), against the same writers'
    longest wait with no retention running."""
    hold_seconds = 2.0 if bench.quick else 4.0
    with psycopg.connect(conninfo, autocommit=True) as admin:
        placed = _place_expired_partitions(admin)
    with _Writers(conninfo) as writers:
        time.sleep(0.5)  # warm
        quiet_start = time.perf_counter()
        time.sleep(hold_seconds)
        quiet_end = time.perf_counter()
        with psycopg.connect(conninfo) as reader:  # a transaction left open
            reader.execute("SET ROLE pgvigil_reader")
            reader.execute("SELECT count(*) FROM monitoring.v_performance_trends").fetchone()
            reader.execute("SELECT count(*) FROM monitoring.v_error_summary").fetchone()
            reader.execute("SELECT count(*) FROM monitoring.v_queue_performance").fetchone()
            job_start = time.perf_counter()
            with psycopg.connect(conninfo, autocommit=True) as job:
                beside = job.execute("CALL monitoring.run_retention()").fetchone()
            job_end = time.perf_counter()
            time.sleep(max(0.0, hold_seconds - (job_end - job_start)))
        # The reader is gone: the next run drops what was busy.
        after_start = time.perf_counter()
        with psycopg.connect(conninfo, autocommit=True) as job:
            after = job.execute("CALL monitoring.run_retention()").fetchone()
        after_end = time.perf_counter()
        time.sleep(0.2)
    if writers.errors:
        raise RuntimeError(f"writers failed during retention: {writers.errors[:3]}")
    assert beside is not None and after is not None
    if beside[0] + after[0] != placed or after[1] != 0:
        raise RuntimeError(f"retention was to drop {placed} partitions; it dropped {beside[0]} "
                           f"beside the reader ({beside[1]} busy), then {after[0]} ({after[1]} busy)")  # fmt: skip
    quiet = writers.max_between(quiet_start, quiet_end)
    during = writers.max_between(job_start, job_end)
    afterwards = writers.max_between(after_start, after_end)
    common = (f"2 writers (record_performance_metric, record_error every 2 ms); {placed} expired "
              f"partitions of {sum(_EXPIRED_TABLE_ROWS.values()):,} rows per day")  # fmt: skip
    bench.add(Measurement(
        "retention.writer_wait_beside_reader", "retention",
        "longest recording call during CALL run_retention() beside an open reader",
        during, "ms", target=100.0, target_op="<", baseline=quiet,
        baseline_label="longest call with no retention", ratio=during / quiet if quiet else None,
        note=common + f"; the job took {(job_end - job_start) * 1000:.0f} ms, dropped {beside[0]}, "
        f"{beside[1]} busy (held by the reader)",
        details={"dropped": beside[0], "busy": beside[1], "job_ms": (job_end - job_start) * 1000},
    ))  # fmt: skip
    bench.add(Measurement(
        "retention.writer_wait_after_reader", "retention",
        "longest recording call during the next run (reader gone, drops the rest)",
        afterwards, "ms", target=100.0, target_op="<", baseline=quiet,
        baseline_label="longest call with no retention", ratio=afterwards / quiet if quiet else None,
        note=common + f"; the job took {(after_end - after_start) * 1000:.0f} ms, dropped {after[0]}",
        details={"dropped": after[0], "job_ms": (after_end - after_start) * 1000},
    ))  # fmt: skip


# --------------------------------------------------------------------------- 4. queries


def capture_plans(conninfo: str, statement: str) -> list[str]:
    """Plans of the statement and every nested statement over 1 ms, by auto_explain."""
    plans: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: plans.append(d.message_primary or ""))
        for setting in ("LOAD 'auto_explain'",
                        "SET auto_explain.log_min_duration = '1ms'",
                        "SET auto_explain.log_analyze = on",
                        "SET auto_explain.log_buffers = on",
                        "SET auto_explain.log_nested_statements = on",
                        "SET auto_explain.log_timing = on",
                        "SET client_min_messages = log"):  # fmt: skip
            conn.execute(setting.encode())
        fetch_all(conn, statement)
    return [p for p in plans if "plan:" in p or "Query Text" in p]


def time_query(conn: Conn, statement: str, runs: int) -> tuple[list[float], int]:
    """One warm-up, then ``runs`` timed executions fetching every row; ms and row count."""
    fetch_all(conn, statement)
    times: list[float] = []
    count = 0
    for _ in range(runs):
        started = time.perf_counter()
        count = len(fetch_all(conn, statement))
        times.append((time.perf_counter() - started) * 1000)
    return times, count


def fetch_all(conn: Conn, statement: str) -> list[Any]:
    """Execute and fetch every row (none for a CALL without results)."""
    cur = conn.execute(statement.encode())
    return cur.fetchall() if cur.description is not None else []


# What a Grafana panel asks of a view with a "time" column and a series column:
# one series family over a time range. Trend views cover 24 hours, history views a year.
PANEL_SERIES = {"metric_name": METRICS[7][0], "task_type": TASK_TYPES[0][0]}
PANEL_WINDOWS = {"_trends": "6 hours", "_history": "7 days"}


def panel_queries(conn: Conn) -> dict[str, list[tuple[str, str, str, str]]]:
    """Per view with "time" and metric_name or task_type: (name, label, statement, what)."""
    found = conn.execute(
        "SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position)"
        " FROM information_schema.columns"
        " WHERE table_schema = 'monitoring' AND table_name LIKE 'v\\_%'"
        " GROUP BY table_name ORDER BY table_name"
    ).fetchall()
    panels: dict[str, list[tuple[str, str, str, str]]] = {}
    for view, columns in found:
        series = next((c for c in PANEL_SERIES if c in columns), None)
        if "time" not in columns or series is None:
            continue
        window = next(
            (w for suffix, w in PANEL_WINDOWS.items() if view.endswith(suffix)), "6 hours"
        )
        value = PANEL_SERIES[series]
        statement = (
            sql.SQL("SELECT * FROM monitoring.{} WHERE {} = {} AND \"time\" > now() - interval {}")
            .format(sql.Identifier(view), sql.Identifier(series), sql.Literal(value),
                    sql.Literal(window))
            .as_string(conn)
        )  # fmt: skip
        panels[view] = [(
            f"query.{view}.panel", f"{view} WHERE {series} = '{value}', last {window}", statement,
            f"a Grafana panel's query: one {series}, last {window}",
        )]  # fmt: skip
    return panels


def bench_history(bench: Bench, conninfo: str) -> None:
    """Loads the history that the queries and the expiry sections work on."""
    sizes = bench.sizes.history
    info = load_history(conninfo, sizes, progress)
    bench.extra["history"] = info
    bench.add(Measurement(
        "history.load", "queries", "history load (set-based SQL, then VACUUM ANALYZE)",
        info["load_seconds"], "s",
        note=f"{sizes.performance_samples:,} samples, {sizes.tasks:,} tasks, {sizes.errors:,} errors, "
             f"{sizes.queue_samples:,} queue samples, {sizes.health_changes:,} health changes over "
             f"{sizes.days} days; database {info['database_size']}",
        details=info,
    ))  # fmt: skip


def bench_queries(bench: Bench, conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # Open alerts as in steady state: the first run raises them.
        first = conn.execute("SELECT * FROM monitoring.run_monitoring_checks('bench')").fetchall()
        bench.extra["first_check_run"] = [list(r) for r in first]
        has_rollups = scalar(conn, "SELECT count(*) FROM pg_proc WHERE proname = 'refresh_rollups'"
                             " AND pronamespace = 'monitoring'::regnamespace AND prokind = 'p'")  # fmt: skip
        if has_rollups:
            # Catch up the way pg_cron would over many minutes: the first runs
            # work through the loaded history a bounded chunk at a time, until
            # nothing is left queued (rollup_pending empty).
            has_pending = scalar(
                conn, "SELECT to_regclass('monitoring_internal.rollup_pending') IS NOT NULL"
            )
            calls = 0
            started = time.perf_counter()
            while True:
                conn.execute("CALL monitoring.refresh_rollups()")
                calls += 1
                pending = (
                    scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_pending")
                    if has_pending
                    else 0
                )
                if pending == 0 or calls >= 1000:
                    break
            initial = time.perf_counter() - started
            if pending:
                bench.notes.append(f"rollups still pending after {calls} refresh_rollups() calls")
            conn.execute("VACUUM (ANALYZE)")
            times, _ = time_query(conn, "CALL monitoring.refresh_rollups()", bench.sizes.query_runs)
            bench.add(Measurement(
                "rollups.refresh_initial", "queries", "CALL refresh_rollups() until the history is rolled up",
                initial, "s", note=f"{calls} calls back to back, until rollup_pending is empty; then VACUUM (ANALYZE)",
                details={"calls": calls, "pending_left": pending}))  # fmt: skip
            bench.add(Measurement(
                "rollups.refresh", "queries", "CALL refresh_rollups() when caught up",
                statistics.median(times), "ms", runs=times,
                note=f"median of {len(times)} after 1 warm-up; little or nothing new to aggregate"))  # fmt: skip
        else:
            bench.notes.append(
                "monitoring.refresh_rollups() does not exist: no rollup refresh timed"
            )
            for name, label in (("rollups.refresh_initial", "CALL refresh_rollups() (initial)"),
                                ("rollups.refresh", "CALL refresh_rollups() (incremental)")):  # fmt: skip
                bench.skip(
                    name, "queries", label, "ms", "monitoring.refresh_rollups() does not exist"
                )
        checks = [r[0] for r in conn.execute(
            "SELECT proname FROM pg_proc WHERE pronamespace = 'monitoring'::regnamespace"
            " AND proname LIKE 'check\\_%' ORDER BY 1").fetchall()]  # fmt: skip
        views = [r[0] for r in conn.execute(
            "SELECT viewname FROM pg_views WHERE schemaname = 'monitoring'"
            " AND viewname LIKE 'v\\_%' ORDER BY 1").fetchall()]  # fmt: skip
        panels = panel_queries(conn)
        statements: list[tuple[str, str, str, str]] = (
            [(f"query.{c}", f"{c}()", f"SELECT monitoring.{c}()", "") for c in checks]
            + [("query.run_monitoring_checks", "run_monitoring_checks('manual')",
                "SELECT * FROM monitoring.run_monitoring_checks('manual')", "")]
            + [entry for v in views for entry in
               [(f"query.{v}", f"SELECT * FROM {v}", f"SELECT * FROM monitoring.{v}", "the whole view")]
               + panels.get(v, [])]
            + [("query.get_dashboard_summary", "get_dashboard_summary()",
                "SELECT monitoring.get_dashboard_summary()", "")]
        )  # fmt: skip
        conn.execute("CHECKPOINT")
        for name, label, statement, what in statements:
            times, rows = time_query(conn, statement, bench.sizes.query_runs)
            median = statistics.median(times)
            note = f"median of {len(times)} after 1 warm-up, all rows fetched"
            if what:  # a view: say how many rows it returned
                note = f"{what}: {rows:,} rows; {note}"
                if rows == 0:
                    bench.notes.append(f"{label} returned no row")
            m = bench.add(Measurement(
                name, "queries", label, median, "ms", target=QUERY_TARGET_MS, target_op="<",
                runs=times, note=note, details={"rows": rows, "statement": statement}))  # fmt: skip
            if median >= QUERY_TARGET_MS:
                m.details["plans"] = capture_plans(conninfo, statement)
                bench.plans[name] = m.details["plans"]
                # Diagnosis only: the same query with JIT off (plans show JIT's share).
                with psycopg.connect(conninfo, autocommit=True) as nojit:
                    nojit.execute("SET jit = off")
                    no_jit_times, _ = time_query(nojit, statement, 3)
                m.details["median_ms_with_jit_off"] = statistics.median(no_jit_times)
                m.note += f"; {statistics.median(no_jit_times):.1f} ms with jit = off (diagnosis)"
            progress(f"{label}: {median:.1f} ms ({rows} rows)")


# --------------------------------------------------------------------------- 5. expiry

# Tables that cleanup_old_monitoring_data() expires at a fixed age, not by a
# retention of the config (so set_performance_retention cannot keep them):
# table -> (time column, age). Their oldest rows go whenever the job runs, as
# time passes (a 5-minute bucket every 5 minutes), so the timed runs may remove
# a few of them; the check is that none newer than that age goes.
FIXED_RETENTION: dict[str, tuple[str, timedelta]] = {
    "performance_rollup_5min": ("bucket", timedelta(days=2)),
}
# The daily tables of performance_monitoring by name, attached or not: a
# partition counts as dropped only once its table is gone.
PERFORMANCE_PARTITIONS_SQL = """
SELECT c.relname::text FROM pg_catalog.pg_class AS c
WHERE c.relnamespace = 'monitoring'::regnamespace AND c.relkind = 'r'
  AND c.relname ~ '^performance_monitoring_p[0-9]{8}$'
"""


def set_performance_retention(conn: Conn, days: float) -> None:
    """Only performance_monitoring expires; everything else is kept for ten years."""
    document = scalar(conn, "SELECT document FROM monitoring.config")
    retention = document["retention"]
    for key in list(retention):
        if isinstance(retention[key], dict):
            retention[key] = {k: 3650 for k in retention[key]}  # equal: no per-severity deletes
        elif key != "cron_job_run_details_days":
            retention[key] = 3650
    for (setting,) in conn.execute(
        "SELECT retention_setting FROM monitoring_internal.history_tables"
    ):
        retention.setdefault(setting, 3650)
    retention["performance_monitoring_days"] = days
    conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(document),))


def partition_rows(conn: Conn, day: Any) -> int:
    name = f"performance_monitoring_p{day:%Y%m%d}"
    return int(
        scalar(conn, sql.SQL("SELECT count(*) FROM monitoring.{}").format(sql.Identifier(name)))
    )


def timed_delete(conn: Conn, day: Any) -> tuple[float, float, int]:
    """DELETE one day of samples, then VACUUM its partition: ms, ms, rows deleted."""
    conn.execute("CHECKPOINT")
    started = time.perf_counter()
    cur = conn.execute(
        "DELETE FROM monitoring.performance_monitoring"
        " WHERE recorded_at >= %(d)s::date::timestamp AT TIME ZONE 'UTC'"
        " AND recorded_at < (%(d)s::date + 1)::timestamp AT TIME ZONE 'UTC'",
        {"d": day},
    )
    delete_ms = (time.perf_counter() - started) * 1000
    deleted = cur.rowcount
    started = time.perf_counter()
    conn.execute(sql.SQL("VACUUM monitoring.{}").format(
        sql.Identifier(f"performance_monitoring_p{day:%Y%m%d}")))  # fmt: skip
    return delete_ms, (time.perf_counter() - started) * 1000, deleted


def expiring_retention(now: datetime, day: date) -> float:
    """The performance retention (days) putting the cutoff at noon UTC of the day after ``day``.

    cleanup_old_monitoring_data() drops a daily partition once its end is at
    or before now() - retention. With the cutoff at noon of the next day, the
    partition of ``day`` (and any older) expires and the next one is kept,
    each 12 hours from its boundary: the same partitions at any hour, also
    when midnight UTC passes between this and the run. Fractional days are
    valid retention settings.
    """
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc) + timedelta(days=1)
    return round((now - noon) / timedelta(days=1), 6)


def retention_expiring(conn: Conn, day: date) -> float:
    """expiring_retention() at the server's now(): the cleanup follows within seconds."""
    now: datetime = scalar(conn, "SELECT now()")
    return expiring_retention(now, day)


@dataclass
class CleanupSnapshot:
    """What a retention run may change: taken before it and after it."""

    partitions: set[str]  # of performance_monitoring
    # FIXED_RETENTION tables: the cutoff (now() - age, by the server) and the
    # rows per minute of their time column at or after it.
    recent: dict[str, tuple[datetime, dict[datetime, int]]]


def cleanup_snapshot(conn: Conn) -> CleanupSnapshot:
    recent: dict[str, tuple[datetime, dict[datetime, int]]] = {}
    with conn.transaction():  # one now() for every table
        partitions = {r[0] for r in conn.execute(PERFORMANCE_PARTITIONS_SQL).fetchall()}
        for table, (column, age) in FIXED_RETENTION.items():
            cutoff: datetime = scalar(conn, "SELECT now() - %s::interval", (age,))
            rows = conn.execute(
                sql.SQL(
                    "SELECT date_bin('1 minute', {c}, TIMESTAMPTZ '2000-01-01 00:00:00+00'), count(*)"
                    " FROM monitoring.{t} WHERE {c} >= %s GROUP BY 1"
                ).format(c=sql.Identifier(column), t=sql.Identifier(table)),
                (cutoff,),
            ).fetchall()
            recent[table] = (cutoff, {minute: int(n) for minute, n in rows})
    return CleanupSnapshot(partitions, recent)


def cleanup_problems(
    expected: str, result: Sequence[Sequence[Any]], before: CleanupSnapshot, after: CleanupSnapshot
) -> list[str]:
    """What is wrong with a retention run that was to expire the partition ``expected`` only.

    It must have dropped exactly that partition of performance_monitoring
    (and said so), nothing of the tables whose retention is 10 years
    (set_performance_retention), and of the FIXED_RETENTION tables nothing
    newer than their age: the rows of every minute at or after the cutoff
    of the snapshot taken after the run (later than the run's own) are all
    still there.
    """
    problems: list[str] = []
    if expected not in before.partitions:
        problems.append(f"{expected} did not exist before the run")
    dropped = before.partitions - after.partitions
    if dropped != {expected}:
        problems.append(f"partitions dropped: {sorted(dropped)}, not {expected} alone")
    perf = [r for r in result if r[0] == "performance_monitoring"]
    if len(perf) != 1 or perf[0][1] != 1:
        problems.append(f"it reported {perf} for performance_monitoring, not 1 partition dropped")
    for table, dropped_count, removed in result:
        if table == "performance_monitoring":
            continue
        if table in FIXED_RETENTION:
            cutoff, rows_after = after.recent[table]
            rows_before = before.recent[table][1]
            lost = {m: n - rows_after.get(m, 0) for m, n in rows_before.items()
                    if m >= cutoff and rows_after.get(m, 0) < n}  # fmt: skip
            if dropped_count or lost:
                problems.append(f"{table} lost rows newer than {FIXED_RETENTION[table][1]} "
                                f"(cutoff {cutoff.isoformat()}): {len(lost)} minutes, "
                                f"{sum(lost.values())} rows; it reported {dropped_count}, {removed}")  # fmt: skip
        elif dropped_count or removed:
            problems.append(f"{table} lost {dropped_count} partitions, {removed} rows, "
                            "though its retention was 10 years")  # fmt: skip
    return problems


def timed_cleanup(conn: Conn, expected_day: date) -> tuple[float, list[Any]]:
    """The whole retention job, set so that exactly ``expected_day`` of performance samples goes.

    The retention puts the cutoff at noon of the next day (retention_expiring),
    so that which partitions expire does not depend on the hour; the run is
    then checked (cleanup_problems): that one partition dropped, nothing else
    lost that was newer than its retention. So every timed run does the same
    work whatever the day's size, and a cleanup that drops the wrong
    partition fails the section.
    """
    set_performance_retention(conn, retention_expiring(conn, expected_day))
    before = cleanup_snapshot(conn)
    conn.execute("CHECKPOINT")
    started = time.perf_counter()
    result = conn.execute("SELECT * FROM monitoring.cleanup_old_monitoring_data()").fetchall()
    elapsed = (time.perf_counter() - started) * 1000
    name = f"performance_monitoring_p{expected_day:%Y%m%d}"
    problems = cleanup_problems(name, result, before, cleanup_snapshot(conn))
    if problems:
        raise RuntimeError(
            f"cleanup was to drop {name} only: {'; '.join(problems)}; it returned {result}"
        )
    return elapsed, result


def timed_drop(conn: Conn, day: Any) -> float:
    conn.execute("CHECKPOINT")
    started = time.perf_counter()
    conn.execute(sql.SQL("DROP TABLE monitoring.{}").format(
        sql.Identifier(f"performance_monitoring_p{day:%Y%m%d}")))  # fmt: skip
    return (time.perf_counter() - started) * 1000


def add_expiry_size(
    bench: Bench,
    key: str,
    rows: int,
    runs: dict[str, list[float]],
    what: str,
    target: bool,
    details: dict[str, Any],
) -> dict[str, Any]:
    """The measurements of one day size; returns its line of the side-by-side table."""
    suffix = "" if key == "" else f"_{key}"
    n = len(runs["delete"])
    how = f"median of {n}" if n > 1 else "1 run"
    d = statistics.median(runs["delete"])
    dv = statistics.median(runs["delete_vacuum"])
    r = statistics.median(runs["retention"])
    drop = statistics.median(runs["drop"])
    bench.add(Measurement(
        f"expiry.delete{suffix}", "expiry", f"DELETE one day of {rows:,} samples", d, "ms",
        runs=runs["delete"],
        note=f"{what}; the statement and its commit only, {how}; the VACUUM it leaves is in the next row",
        details=details))  # fmt: skip
    bench.add(Measurement(
        f"expiry.delete_vacuum{suffix}", "expiry", f"DELETE + its VACUUM, {rows:,} samples",
        dv, "ms", runs=runs["delete_vacuum"],
        note=f"the DELETE then VACUUM of that day's partition (the space is only reclaimed then; "
             f"partition drops never need it), {how}",
        details={"vacuum_ms": runs["vacuum"]}))  # fmt: skip
    bench.add(Measurement(
        f"expiry.retention{suffix}", "expiry",
        f"cleanup_old_monitoring_data() expiring a day of {rows:,}", r, "ms",
        target=100 if target else None, target_op=">=" if target else None, target_on="ratio",
        baseline=d, baseline_label=f"DELETE of {rows:,}", ratio=d / r, runs=runs["retention"],
        note=f"the whole job, {how}: every history table checked, the partition's row estimate from "
             f"pg_class, DROP, default-partition and resolved-alert deletes, commit; exactly this one "
             "partition expires, nothing of any other table but the oldest 5-minute rollups past "
             "their fixed 2 days (whatever the clock moved over since the last run)"
             + ("" if target else "; the target applies to the busy day below")))  # fmt: skip
    bench.add(Measurement(
        f"expiry.drop_only{suffix}", "expiry", f"DROP TABLE of a day's partition alone, {rows:,}",
        drop, "ms", baseline=d, baseline_label="DELETE", ratio=d / drop, runs=runs["drop"],
        note=f"the floor the retention job could approach: the DROP and its commit, nothing else, {how}"))  # fmt: skip
    name = "a day of the history" if key == "" else f"a busy day ({BIG_DAY_FACTOR} x)"
    return {"size": name, "description": what, "rows_per_day": rows, "delete_ms": d, "delete_vacuum_ms": dv,
            "retention_ms": r, "drop_only_ms": drop, "delete_over_retention": d / r,
            "delete_vacuum_over_retention": dv / r, "runs": runs}  # fmt: skip


def bench_expiry(bench: Bench, conninfo: str) -> None:
    runs = bench.sizes.expiry_runs
    history = bench.sizes.history
    days = history.days
    normal: dict[str, list[float]] = {
        k: [] for k in ("delete", "vacuum", "delete_vacuum", "retention", "drop")
    }
    details: list[dict[str, Any]] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # Every day below is a fixed date from this one; each retention run
        # puts its cutoff in the middle of a day (retention_expiring), so
        # midnight UTC may pass during the section.
        today: date = scalar(conn, "SELECT (now() AT TIME ZONE 'UTC')::date")
        # A day of the history. First drop its partial oldest day (and the
        # empty ones before it), untimed: this also deletes the 5-minute
        # rollups past their 2 days, so the timed runs find few.
        set_performance_retention(conn, retention_expiring(conn, today - timedelta(days=days)))
        conn.execute("SELECT * FROM monitoring.cleanup_old_monitoring_data()").fetchall()
        for k in range(runs):
            expire_day = today - timedelta(days=days - 1 - k)  # the oldest day left
            delete_day = today - timedelta(days=days - 10 - k)  # a whole day in the middle
            expire_rows = partition_rows(conn, expire_day)
            delete_ms, vacuum_ms, deleted = timed_delete(conn, delete_day)
            retention_ms, result = timed_cleanup(conn, expire_day)
            normal["delete"].append(delete_ms)
            normal["vacuum"].append(vacuum_ms)
            normal["delete_vacuum"].append(delete_ms + vacuum_ms)
            normal["retention"].append(retention_ms)
            details.append({"expired_day": str(expire_day), "expired_rows": expire_rows,
                            "deleted_day": str(delete_day), "deleted_rows": deleted,
                            "cleanup_result": [list(r) for r in result]})  # fmt: skip
            progress(f"expiry run {k + 1}/{runs}: DELETE {deleted:,} rows {delete_ms:.0f} ms "
                     f"(+ VACUUM {vacuum_ms:.0f} ms), retention {expire_rows:,} rows {retention_ms:.1f} ms")  # fmt: skip
        for j in range(runs):  # the next oldest days
            day = today - timedelta(days=days - 1 - runs - j)
            details.append({"dropped_alone_day": str(day), "rows": partition_rows(conn, day)})
            normal["drop"].append(timed_drop(conn, day))

        # A busy install's day: BIG_DAY_FACTOR times the history's, on three
        # extra days older than the history: one deleted, one expired by the
        # job (retention set so that only it goes), one dropped alone.
        big_rows = BIG_DAY_FACTOR * history.performance_samples // days
        # (35-37 days ago for the 30-day history, older than any of its partitions)
        expire_big, delete_big, drop_big = (today - timedelta(days=days + d) for d in (7, 6, 5))
        with bench.phase("expiry: load of the busy days"):
            loaded = load_performance_days(
                conninfo, [expire_big, delete_big, drop_big], big_rows, progress
            )
        big: dict[str, list[float]] = {k: [] for k in normal}
        delete_ms, vacuum_ms, deleted = timed_delete(conn, delete_big)
        retention_ms, result = timed_cleanup(conn, expire_big)
        big["delete"].append(delete_ms)
        big["vacuum"].append(vacuum_ms)
        big["delete_vacuum"].append(delete_ms + vacuum_ms)
        big["retention"].append(retention_ms)
        big["drop"].append(timed_drop(conn, drop_big))
        if deleted != big_rows:
            raise RuntimeError(f"DELETE removed {deleted} rows, expected {big_rows}")
        progress(f"expiry, busy day: DELETE {deleted:,} rows {delete_ms:.0f} ms (+ VACUUM {vacuum_ms:.0f} ms), "
                 f"retention {retention_ms:.1f} ms, DROP alone {big['drop'][-1]:.1f} ms")  # fmt: skip
        loaded["cleanup_result"] = [list(r) for r in result]

        # The job's fixed cost: the same call with nothing left to expire.
        idle_ms: list[float] = []
        for _ in range(runs):
            conn.execute("CHECKPOINT")
            started = time.perf_counter()
            conn.execute("SELECT * FROM monitoring.cleanup_old_monitoring_data()").fetchall()
            idle_ms.append((time.perf_counter() - started) * 1000)

    normal_rows = statistics.median_low(d["deleted_rows"] for d in details if "deleted_rows" in d)
    lines = [
        add_expiry_size(bench, "", normal_rows, normal,
                        f"a day of the {days}-day history ({history.performance_samples:,} samples)", False,
                        {"runs": details}),
        add_expiry_size(bench, "big", big_rows, big,
                        f"a busy install's day: {BIG_DAY_FACTOR} x the history's, on extra days {days + 5}-{days + 7} days ago", True,
                        {"load": loaded}),
    ]  # fmt: skip
    bench.add(Measurement(
        "expiry.retention_idle", "expiry", "cleanup_old_monitoring_data() with nothing to expire",
        statistics.median(idle_ms), "ms", runs=idle_ms,
        note="the job's fixed cost, part of both retention times above: every history table's "
             "partitions listed, default partitions, rollup and resolved-alert deletes, commit"))  # fmt: skip
    bench.extra["expiry_by_day_size"] = lines + [{"retention_idle_ms": statistics.median(idle_ms)}]


# --------------------------------------------------------------------------- 6. memory


def bench_memory(bench: Bench) -> None:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("memory_child.py")), "1.5"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"memory child failed: {result.stderr.strip()}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    dropped = data["stats"].get("dropped", {})
    dropped_total = sum(dropped.values()) if isinstance(dropped, dict) else int(dropped)
    common = (f"subprocess; {data['calls']:,} record_performance_metric calls with tags into a client "
              f"with the default max_queue={data['max_queue']:,}, database unreachable")  # fmt: skip
    bench.add(Measurement(
        "memory.peak_rss", "memory", "peak RSS, BufferedClient queue full",
        data["peak_rss_kib"] / 1024, "MiB", target=100, target_op="<", note=common + "; ru_maxrss",
        details=data))  # fmt: skip
    bench.add(Measurement(
        "memory.rss_growth", "memory", "RSS growth while filling",
        data["rss_growth_kib"] / 1024, "MiB", note="ru_maxrss after filling minus before creating the client"))  # fmt: skip
    bench.add(Measurement(
        "memory.dropped", "memory", "calls dropped past max_queue", float(dropped_total), "calls",
        baseline=float(data["calls"] - data["max_queue"]), baseline_label="calls past max_queue",
        note=f"drop counters: {dropped}; record call p99 {data['call_p99_us']:.1f} us while the database was away"))  # fmt: skip


# --------------------------------------------------------------------------- report


def bench_rules(bench: Bench, conninfo: str) -> None:
    """One evaluation cycle of 1,000 rules over 1,000 series, on the history."""
    cost = alerting.evaluation_cost(conninfo, cycles=2 if bench.quick else bench.sizes.query_runs)
    steady = statistics.median(cost.steady_seconds)
    bench.add(Measurement(
        "rules.cycle", "rules", f"evaluate_alert_rules(): {cost.rules:,} rules, one cycle",
        steady, "s", target=1.0, target_op="<", runs=cost.steady_seconds,
        note=f"{cost.series:,} series (100 components x 10 metrics, a sample every 15 s), each rule "
             f"grouped by component: {cost.rule_groups:,} rule x group evaluations per cycle, "
             f"{cost.rule_groups / steady:,.0f} per second; {cost.firing} alerts firing; "
             f"median of {len(cost.steady_seconds)} cycles after the first",
        details={"first_cycle_seconds": cost.first_seconds, "rule_groups": cost.rule_groups,
                 "rule_groups_per_second": cost.rule_groups / steady},
    ))  # fmt: skip
    bench.add(Measurement(
        "rules.first_cycle", "rules", "the first cycle (alerts fire and go pending: writes)",
        cost.first_seconds, "s",
    ))  # fmt: skip


def bench_server(bench: Bench, conninfo: str) -> None:
    """pgvigil serve on the history: 100 connections per endpoint (wrk),
    then the live-update latency."""
    clients, seconds = 100, (5 if bench.quick else 20)
    found = api_load.server_load(conninfo, clients, seconds, live_trials=5 if bench.quick else 20)
    for load in found.paced:
        slug = load.name.replace(" ", "_").replace(",", "")
        latencies = sorted(load.latencies)
        bench.add(Measurement(
            f"server.{slug}.p95", "server",
            f"GET {load.name}: p95, {found.clients} clients asking once a second",
            percentile(latencies, 0.95) * 1000 if latencies else None, "ms", target=100.0,
            target_op="<", runs=[x * 1000 for x in latencies[:: max(1, len(latencies) // 200)]],
            note=f"{len(latencies):,} requests in {seconds} s, {load.errors} errors, p50 "
                 f"{percentile(latencies, 0.5) * 1000 if latencies else 0:.1f} ms; each client its own "
                 "connection and a random phase; a viewer key; reads shared for 1 s (--cache-seconds)",
        ))  # fmt: skip
    for endpoint in found.endpoints:
        slug = endpoint.name.replace(" ", "_").replace(",", "")
        p = endpoint.percentiles_ms
        note = (
            f"wrk, {found.clients} connections for {endpoint.wall_seconds:.0f} s (each sends its next "
            f"request as soon as the last is answered): {endpoint.requests:,} requests, "
            f"{endpoint.errors} errors, p50 {p.get('p50', 0):.1f} ms, p99 {p.get('p99', 0):.1f} ms, "
            f"max {p.get('max', 0):.0f} ms; a viewer key; reads shared for 1 s (--cache-seconds)"
        )
        bench.add(Measurement(
            f"server.{slug}.saturated_p95", "server",
            f"GET {endpoint.name}: p95 at saturation, {found.clients} wrk connections",
            p.get("p95"), "ms", note=note,
            details={"path": endpoint.path, "params": endpoint.params, **p,
                     "requests": endpoint.requests, "errors": endpoint.errors},
        ))  # fmt: skip
        bench.add(Measurement(
            f"server.{slug}.rps", "server", f"GET {endpoint.name}: requests per second at saturation",
            endpoint.requests_per_second, "requests/s",
        ))  # fmt: skip
    loads = found.page_loads
    for stat, value in (("median", statistics.median(loads) if loads else None),
                        ("max", max(loads) if loads else None)):  # fmt: skip
        bench.add(Measurement(
            f"server.page_load.{stat}", "server",
            f"the overview page's first load in headless Chromium, {stat}",
            value, "s", target=2.0, target_op="<", runs=loads,
            note=f"{len(loads)} loads, each in a new browser context (empty cache), signed in by a "
                 "session cookie: navigation to the overview drawn with every number and chart "
                 f"(Debian's Chromium, Playwright){'; failed: ' + found.page_load_error if found.page_load_error else ''}",
        ))  # fmt: skip
    live = alerting.summary(found.live_latencies) if found.live_latencies else None
    for stat in ("p50", "max"):
        bench.add(Measurement(
            f"server.live.{stat}", "server", f"live update: alert event commit to its SSE message, {stat}",
            live[stat] * 1000 if live else None, "ms", target=500.0, target_op="<",
            runs=[x * 1000 for x in found.live_latencies],
            note=f"{len(found.live_latencies)} alerts posted (receive_alerts), each timed from before its "
                 "commit to its message on an open GET /api/v1/events stream",
        ))  # fmt: skip


def bench_detection(bench: Bench, cluster: LocalCluster, conninfo: str) -> None:
    """MTTD: a breaching event's commit to its alert, with the worker and with pg_cron alone."""
    trials = 3 if bench.quick else 10
    worker = alerting.mttd_with_worker(conninfo, trials)
    for kind, label in (("metric", "a metric breach (next 5 s cycle)"),
                        ("health", "a health change (NOTIFY wakes the worker)")):  # fmt: skip
        found = alerting.summary(worker[kind])
        for stat in ("p50", "max"):
            bench.add(Measurement(
                f"detection.worker.{kind}.{stat}", "detection", f"MTTD with pgvigil worker, {label}, {stat}",
                found[stat], "s", target=5.0, target_op="<", runs=worker[kind],
                note=f"{found['n']} trials, each at a random point of the worker's cycle",
            ))  # fmt: skip
    if bench.quick:
        bench.notes.append(
            "MTTD with pg_cron alone: measured in full runs only (each trial waits up to a minute)"
        )
        return
    cron = alerting.mttd_with_pg_cron(cluster.conninfo(), conninfo, "bench_ingest", trials=3)
    found = alerting.summary(cron)
    for stat in ("p50", "max"):
        bench.add(Measurement(
            f"detection.pg_cron.{stat}", "detection", f"MTTD with pg_cron alone (minute job), {stat}",
            found[stat], "s", target=70.0, target_op="<", runs=cron,
            note=f"{found['n']} trials at random points of the minute",
        ))  # fmt: skip


def bench_notifications(bench: Bench, conninfo: str) -> None:
    """A breaching event's commit to the webhook received (pgvigil's
    default timers), and 1,000 alerts at once across 50 groups delivered
    while another receiver hangs."""
    components, hosts = (10, 10) if bench.quick else (50, 20)
    found = notification_delivery.delivery(conninfo, trials=2 if bench.quick else 6,
                                   components=components, hosts=hosts)  # fmt: skip
    timers = ", ".join(f"{k} {v}" for k, v in notification_delivery.TIMERS.items())
    latency = alerting.summary(found.latency_seconds)
    for stat in ("p50", "max"):
        bench.add(Measurement(
            f"notifications.latency.{stat}", "notifications",
            f"event commit to webhook received, {stat}", latency[stat], "s", target=30.0, target_op="<",
            runs=found.latency_seconds,
            note=f"{latency['n']} trials; timers: {timers}; pgvigil worker every "
                 f"{notification_delivery.WORKER_INTERVAL:g} s; a metric breach, found at the next cycle",
        ))  # fmt: skip
    alerts = found.fleet_alerts
    bench.add(Measurement(
        "notifications.fleet.delivered", "notifications",
        f"{alerts:,} alerts at once across {found.fleet_groups} groups: alerts delivered",
        found.fleet_delivered_alerts, "alerts", target=float(alerts), target_op=">=",
        note=f"{found.fleet_notifications} notifications to the working receiver; the same groups also "
             f"routed (continue) to a receiver that hangs 30 s on each request (10 s timeout): "
             f"{found.down_attempts} sends to it started meanwhile, {found.down_delivered} answered",
    ))  # fmt: skip
    if found.fleet_lag_seconds:
        lag = alerting.summary(found.fleet_lag_seconds)
        for stat in ("p50", "max"):
            bench.add(Measurement(
                f"notifications.fleet.lag.{stat}", "notifications",
                f"{alerts:,} alerts at once: commit to webhook received, {stat}", lag[stat], "s",
                target=30.0, target_op="<", runs=found.fleet_lag_seconds,
                note="beside a receiver that hangs: it does not slow this one",
            ))  # fmt: skip
    bench.add(Measurement(
        "notifications.worker_cpu", "notifications",
        "pgvigil worker's CPU over the run (evaluating and delivering)",
        100 * found.worker_cpu_seconds / found.worker_wall_seconds, "% of a core",
        note=f"{found.worker_cpu_seconds:.1f} s of CPU in {found.worker_wall_seconds:.0f} s (the bench "
             f"process: the worker thread, the receivers, the checks); the database's is not included",
    ))  # fmt: skip


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("rows/s", "lifecycles/s", "calls"):
        return f"{value:,.0f} {unit}"
    if unit == "ms":
        return f"{value:,.3f} ms" if value < 10 else f"{value:,.1f} ms"
    return f"{value:,.1f} {unit}"


def one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def print_table(bench: Bench) -> None:
    """Every measurement, by section; a section that failed or did not run is a line of its own
    where it ended (after the measurements it added, if any)."""
    rows: list[tuple[str, str, str, str, str]] = []
    groups: list[str] = []  # a separator line between groups
    for index in range(len(bench.measurements) + 1):
        for r in bench.sections:
            if r.status != "ok" and r.position == index:
                ok = "FAILED" if r.status == "FAILED" else ""
                rows.append((f"section {r.title}", r.status, one_line(r.error or ""), "", ok))
                groups.append("")  # consecutive ones together
        if index == len(bench.measurements):
            break
        m = bench.measurements[index]
        groups.append(m.section)
        if m.skipped:
            rows.append((m.label, "skipped", m.skipped, "", ""))
            continue
        against = []
        if m.baseline is not None:
            against.append(f"{m.baseline_label}: {fmt_value(m.baseline, m.unit)}")
        if m.target is not None:
            subject = "ratio" if m.target_on == "ratio" else ""
            unit = "" if m.target_on == "ratio" else f" {m.unit}"
            against.append(f"target {subject} {m.target_op} {m.target:g}{unit}".replace("  ", " "))
        ratio = f"{m.ratio:.3g}" if m.ratio is not None else ""
        ok = "" if m.ok is None else ("ok" if m.ok else "MISSED")
        rows.append((m.label, fmt_value(m.value, m.unit), "; ".join(against), ratio, ok))
    headers = ("measurement", "value", "baseline / target", "ratio", "ok")
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    section = None
    for group, row in zip(groups, rows, strict=True):
        if group != section and section is not None:
            print("-+-".join("-" * w for w in widths))
        section = group
        print(" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def print_expiry_by_size(bench: Bench) -> None:
    lines = [line for line in bench.extra.get("expiry_by_day_size", []) if "rows_per_day" in line]
    if not lines:
        return
    headers = ("expiry, one day", "rows", "DELETE", "DELETE + VACUUM", "retention job",
               "DROP TABLE alone", "DELETE / job", "(DELETE + VACUUM) / job")  # fmt: skip
    rows = [
        (line["size"], f"{line['rows_per_day']:,}",
         fmt_value(line["delete_ms"], "ms"), fmt_value(line["delete_vacuum_ms"], "ms"),
         fmt_value(line["retention_ms"], "ms"), fmt_value(line["drop_only_ms"], "ms"),
         f"{line['delete_over_retention']:.3g}", f"{line['delete_vacuum_over_retention']:.3g}")
        for line in lines
    ]  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    idle = bench.extra["expiry_by_day_size"][-1].get("retention_idle_ms")
    if idle is not None:
        print(f"(the retention job with nothing to expire: {fmt_value(idle, 'ms')}; "
              f"target: job >= 100 x faster than DELETE on the busy day)")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, a smoke run (under a minute)")  # fmt: skip
    parser.add_argument("--out", type=Path, help="write every result as JSON to this file")
    parser.add_argument("--tmpdir", type=Path, help="parent directory of the throwaway cluster")
    parser.add_argument("--fail-section", action="append", default=[], metavar="SECTION",
                        choices=[s.key for s in SECTIONS],
                        help="for testing the bench itself: raise an error at the start of this "
                             "section (repeatable), to see the others still run and report and "
                             f"the exit status be 1; one of: {', '.join(s.key for s in SECTIONS)}")  # fmt: skip
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cluster is deleted

    bench = Bench(sizes, args.quick, args.fail_section)
    started_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    home = Path(tempfile.mkdtemp(prefix="pgvigil-bench-", dir=args.tmpdir))
    cluster = LocalCluster(home)  # durable, as `pgvigil up`: fsync on, synchronous commit
    machine: dict[str, Any] = {}
    ingest_dsn, history_dsn = cluster.conninfo("bench_ingest"), cluster.conninfo("bench_history")

    def start_cluster() -> None:
        cluster.start()
        with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
            machine.update(machine_facts(conn, cluster.data_dir))
        if machine["postgresql_settings"]["fsync"] != "on":
            raise RuntimeError("fsync is off: a benchmark must run on durable settings")
        for name in ("bench_ingest", "bench_history", "bench_notify"):
            cluster.create_database(name)
            migrate(cluster.conninfo(name))

    runners: dict[str, Callable[[], None]] = {
        "memory": lambda: bench_memory(bench),
        "cluster": start_cluster,
        "ingest": lambda: bench_ingest(bench, ingest_dsn),
        "lifecycles": lambda: bench_lifecycles(bench, ingest_dsn),
        "latency": lambda: bench_latency(bench, ingest_dsn),
        "retention": lambda: bench_retention_beside_readers(bench, ingest_dsn),
        "history": lambda: bench_history(bench, history_dsn),
        "queries": lambda: bench_queries(bench, history_dsn),
        "expiry": lambda: bench_expiry(bench, history_dsn),
        "rules": lambda: bench_rules(bench, history_dsn),
        "server": lambda: bench_server(bench, history_dsn),
        "detection": lambda: bench_detection(bench, cluster, ingest_dsn),
        "notifications": lambda: bench_notifications(bench, cluster.conninfo("bench_notify")),
    }
    try:
        for spec in SECTIONS:
            bench.section(spec, runners[spec.key])
    finally:
        cluster.destroy()
        shutil.rmtree(home, ignore_errors=True)
    elapsed = time.perf_counter() - started

    settings = machine.get("postgresql_settings", {})
    print()
    if machine:
        print(f"pgvigil benchmark ({'quick' if args.quick else 'full'}), "
              f"{machine.get('cpu_count')} x {machine.get('cpu_model')}, {machine.get('memory_gib')} GiB, "
              f"{str(machine.get('postgresql', '')).split(' on ')[0]}, pg_cron {machine.get('pg_cron')}, "
              f"fsync {settings.get('fsync')}, commit {machine.get('git_commit', '')[:12]}")  # fmt: skip
        print("server settings: " + ", ".join(
            f"{k} {settings.get(k)}" for k in ("shared_buffers", "work_mem", "jit", "synchronous_commit")))  # fmt: skip
    else:
        print(f"pgvigil benchmark ({'quick' if args.quick else 'full'}): no machine facts, "
              "the cluster did not start")  # fmt: skip
    print()
    print_table(bench)
    print()
    print_expiry_by_size(bench)
    print()
    for note in bench.notes:
        print(f"note: {note}")
    missed = [m.label for m in bench.measurements if m.ok is False]
    failed = bench.failures()
    not_run = [r for r in bench.sections if r.status == "not run"]
    print(f"{len(bench.measurements)} measurements, {len(missed)} targets missed"
          + (f", sections FAILED: {', '.join(r.key for r in failed)}" if failed else "")
          + (f", not run: {', '.join(r.key for r in not_run)}" if not_run else "")
          + f"; run took {elapsed:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in bench.phases.items())})")  # fmt: skip
    for m in bench.measurements:
        if "median_ms_with_jit_off" in m.details:
            print(f"over {QUERY_TARGET_MS:g} ms: {m.label}: {m.value:,.1f} ms; "
                  f"{m.details['median_ms_with_jit_off']:,.1f} ms with jit = off")  # fmt: skip
    if bench.plans:
        print(
            f"plans of the queries over {QUERY_TARGET_MS:g} ms: in the JSON (--out), under 'plans'"
        )
    for r in failed:
        print(f"FAILED: section {r.key} ({r.title}): {one_line(r.error or '', 400)}")
    for r in not_run:
        print(f"not run: section {r.key} ({r.title}): {r.error}")
    if failed:
        print("(the tracebacks: on stderr, and in the JSON (--out) under 'failures')")
    if args.out:
        document = {
            "benchmark": "pgvigil",
            "mode": "quick" if args.quick else "full",
            "started_at": started_at.isoformat(),
            "elapsed_seconds": round(elapsed, 1),
            "phase_seconds": bench.phases,
            "sections": [r.as_json() for r in bench.sections],
            "failures": [
                {"section": r.key, "title": r.title, "error": r.error, "traceback": r.traceback}
                for r in failed
            ],
            "machine": machine,
            "sizes": asdict(sizes),
            "measurements": [asdict(m) for m in bench.measurements],
            "notes": bench.notes,
            "plans": bench.plans,
            **bench.extra,
        }
        args.out.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"results written to {args.out}")
    # Missed targets are reported, not failures; a section that failed or
    # could not run makes the exit status 1, after everything was printed.
    return 1 if failed or not_run else 0


if __name__ == "__main__":
    sys.exit(main())
