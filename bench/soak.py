"""pgvigil soak test: a sustained, rate-limited mixed load; checks that nothing grows or fails.

Run it with ``scripts/soak [--minutes M] [--quick] [--out FILE]``. It starts its
own throwaway PostgreSQL cluster (``LocalCluster`` in a temp dir, durable
settings as the benchmark), migrates it, schedules the pg_cron jobs, and runs
for the given time:

- producers: one thread of performance samples (client A) and two threads of
  task lifecycles, errors, health reports and queue snapshots (client B), two
  ``BufferedClient`` instances, each rate-limited to a steady rate;
- a side thread on its own autocommit connection runs
  ``run_monitoring_checks('soak')``, ``CALL refresh_rollups()`` and
  ``run_partition_maintenance()`` on their own cadences (pg_cron runs the
  scheduled jobs too);
- a sampler records queue depth and counters, drops, write failures, the
  process RSS, the database size and the rows in performance_monitoring.

At the end it flushes, prints the samples and a verdict, and exits 0 when the
verdict holds, 1 otherwise. The cluster is deleted, also on error or interrupt.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil
import psycopg

from pgvigil import BufferedClient
from pgvigil.db.cluster import LocalCluster
from pgvigil.db.migrate import migrate
from run_bench import machine_facts, scalar

BATCH_SIZE = 10_000  # the BufferedClient default
DEPTH_FACTOR = 2  # queue depth rule: max depth of the second half <= DEPTH_FACTOR x BATCH_SIZE
RSS_GROWTH_FRACTION = 0.10  # RSS rule: second-half growth < 10 % ...
RSS_GROWTH_MIB = 20.0  # ... or < 20 MiB
TASK_TYPES = ("ocr", "classify", "extract", "validate", "export")
COMPONENTS = ("api", "worker", "ocr-engine", "storage", "scheduler")


@dataclass(frozen=True)
class Rates:
    """Events per second the producers aim at."""

    samples: float = 2_000.0
    lifecycles: float = 100.0
    errors: float = 2.0
    health: float = 2.0
    queue_stats: float = 2.0


@dataclass(frozen=True)
class Cadence:
    """Seconds between runs of each side job, and between samples."""

    checks: float
    rollups: float
    partitions: float
    sample: float


FULL_CADENCE = Cadence(checks=60.0, rollups=60.0, partitions=300.0, sample=5.0)
QUICK_CADENCE = Cadence(checks=10.0, rollups=10.0, partitions=15.0, sample=2.0)


@dataclass
class Sample:
    t: float
    queue_depth: int
    queued: int
    written: int
    dropped: dict[str, int]
    write_failures: int
    batches: int
    rss_mib: float
    db_mib: float
    performance_rows: int
    job_runs: int
    job_errors: int


@dataclass
class Produced:
    samples: int = 0
    tasks_started: int = 0
    tasks_completed: int = 0
    errors: int = 0
    health: int = 0
    queue_stats: int = 0


@dataclass
class JobLog:
    runs: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def total_runs(self) -> int:
        with self.lock:
            return sum(self.runs.values())

    def error_count(self) -> int:
        with self.lock:
            return len(self.errors)


def progress(message: str) -> None:
    print(f"soak: {message}", file=sys.stderr, flush=True)


def paced(
    stop: threading.Event, rate: float, emit: Callable[[int], None], tick: float = 0.05
) -> None:
    """Call ``emit(n)`` every ``tick`` seconds with the events due at ``rate`` per second."""
    started = time.monotonic()
    done = 0
    while not stop.is_set():
        due = int((time.monotonic() - started) * rate) - done
        if due > 0:
            emit(due)
            done += due
        stop.wait(tick)


def metrics_producer(
    client: BufferedClient, rate: float, stop: threading.Event, produced: Produced
) -> None:
    names = [("cpu_percent", "gauge", "percent"), ("latency_ms", "histogram", "ms"),
             ("pages", "counter", "count"), ("memory_mb", "gauge", "MB")]  # fmt: skip
    tags = [{"host": f"host-{h}"} for h in range(8)]
    i = 0

    def emit(n: int) -> None:
        nonlocal i
        record = client.record_performance_metric
        for _ in range(n):
            name, kind, unit = names[i % len(names)]
            record(name, kind, float(i % 97), unit, COMPONENTS[i % len(COMPONENTS)],
                   tags=tags[i % len(tags)])  # fmt: skip
            i += 1
        produced.samples += n

    paced(stop, rate, emit)


def tasks_producer(
    client: BufferedClient, rate: float, stop: threading.Event, produced: Produced
) -> None:
    in_flight: deque[tuple[float, str]] = deque()
    i = 0

    def complete_due(before: float) -> None:
        while in_flight and in_flight[0][0] <= before:
            _, task_id = in_flight.popleft()
            status = "failed" if produced.tasks_completed % 20 == 0 else "completed"
            client.complete_task(task_id, status, output_size=2048, step_timings={"work": 0.5})
            produced.tasks_completed += 1

    def emit(n: int) -> None:
        nonlocal i
        now = time.monotonic()
        for _ in range(n):
            task_id = client.start_task(TASK_TYPES[i % len(TASK_TYPES)], 4096,
                                        worker_id=f"worker-{i % 4}")  # fmt: skip
            in_flight.append((now, task_id))
            i += 1
        produced.tasks_started += n
        complete_due(now - 0.5)  # a lifecycle lasts half a second

    paced(stop, rate, emit)
    complete_due(float("inf"))


def misc_producer(
    client: BufferedClient, rates: Rates, stop: threading.Event, produced: Produced
) -> None:
    total = rates.errors + rates.health + rates.queue_stats
    i = 0

    def emit(n: int) -> None:
        nonlocal i
        for _ in range(n):
            slot = (i % total) if total else 0.0
            if slot < rates.errors:
                client.record_error(None, "TimeoutError", "low" if i % 3 else "medium",
                                    f"soak error {i}", COMPONENTS[i % len(COMPONENTS)],
                                    context={"n": i})  # fmt: skip
                produced.errors += 1
            elif slot < rates.errors + rates.health:
                client.update_system_health("worker", f"worker-{i % 4}", "healthy",
                                            response_time=12.5 + i % 10)  # fmt: skip
                produced.health += 1
            else:
                client.record_queue_stats("soak-queue", 10 + i % 50, processing_count=4,
                                          completed_count=20, failed_count=1,
                                          oldest_pending_age_seconds=3.0)  # fmt: skip
                produced.queue_stats += 1
            i += 1

    paced(stop, total, emit, tick=0.1)


def side_jobs(conninfo: str, cadence: Cadence, stop: threading.Event, log: JobLog) -> None:
    jobs = [
        ("run_monitoring_checks", "SELECT * FROM monitoring.run_monitoring_checks('soak')", cadence.checks),
        ("refresh_rollups", "CALL monitoring.refresh_rollups()", cadence.rollups),
        ("run_partition_maintenance", "SELECT * FROM monitoring.run_partition_maintenance()", cadence.partitions),
    ]  # fmt: skip
    started = time.monotonic()
    next_run = {name: started + every / 2 for name, _, every in jobs}
    conn: psycopg.Connection[Any] | None = None
    try:
        while not stop.is_set():
            for name, statement, every in jobs:
                if time.monotonic() < next_run[name]:
                    continue
                next_run[name] += every
                began = time.perf_counter()
                try:
                    if conn is None or conn.closed:
                        conn = psycopg.connect(
                            conninfo, autocommit=True, application_name="pgvigil-soak-jobs"
                        )
                    conn.execute(statement.encode())
                except psycopg.Error as exc:
                    with log.lock:
                        log.errors.append(f"{name}: {type(exc).__name__}: {exc}".strip())
                    if conn is not None and conn.broken:
                        conn = None
                finally:
                    with log.lock:
                        log.runs[name] = log.runs.get(name, 0) + 1
                        log.seconds[name] = max(
                            log.seconds.get(name, 0.0), time.perf_counter() - began
                        )
            stop.wait(0.2)
    finally:
        if conn is not None:
            conn.close()


def take_sample(t: float, clients: Sequence[BufferedClient], admin: psycopg.Connection[Any],
                process: psutil.Process, jobs: JobLog) -> Sample:  # fmt: skip
    stats = [c.stats() for c in clients]
    dropped: dict[str, int] = {}
    for s in stats:
        for reason, count in s.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + count
    return Sample(
        t=round(t, 1),
        queue_depth=sum(s.queue_depth for s in stats),
        queued=sum(s.queued for s in stats),
        written=sum(s.written for s in stats),
        dropped=dropped,
        write_failures=sum(s.write_failures for s in stats),
        batches=sum(s.batches for s in stats),
        rss_mib=round(process.memory_info().rss / 2**20, 1),
        db_mib=round(int(scalar(admin, "SELECT pg_database_size(current_database())")) / 2**20, 1),
        performance_rows=int(
            scalar(admin, "SELECT count(*) FROM monitoring.performance_monitoring")
        ),
        job_runs=jobs.total_runs(),
        job_errors=jobs.error_count(),
    )


def cron_runs(admin: psycopg.Connection[Any], since: datetime) -> dict[str, Any]:
    """pg_cron's runs of the pgvigil jobs since ``since``: counts by status and the failures."""
    rows = admin.execute(
        "SELECT j.jobname, d.status, d.return_message FROM cron.job_run_details d"
        " JOIN cron.job j USING (jobid) WHERE d.start_time >= %s AND j.jobname LIKE 'pgvigil-%%'",
        (since,),
    ).fetchall()
    by_status: dict[str, int] = {}
    failures: list[str] = []
    for name, status, message in rows:
        by_status[status] = by_status.get(status, 0) + 1
        if status == "failed":
            failures.append(f"pg_cron {name}: {message}")
    return {"by_status": by_status, "failures": failures}


def verdict(samples: list[Sample], final: dict[str, Any], job_errors: list[str]) -> dict[str, Any]:
    half = samples[len(samples) // 2 :]
    max_depth = max(s.queue_depth for s in half)
    depth_limit = DEPTH_FACTOR * BATCH_SIZE
    rss_start, rss_end = half[0].rss_mib, max(s.rss_mib for s in half)
    growth = rss_end - rss_start
    last = samples[-1]
    checks = {
        "queue_depth_flat": {
            "rule": f"max queue depth over the second half of the samples <= {DEPTH_FACTOR} x batch size ({depth_limit:,})",
            "value": max_depth, "ok": max_depth <= depth_limit,
        },
        "rss_flat": {
            "rule": (f"RSS growth over the second half (max RSS there minus RSS at its first sample) "
                     f"< {RSS_GROWTH_FRACTION:.0%} of that first sample or < {RSS_GROWTH_MIB:g} MiB"),
            "value": {"start_mib": rss_start, "max_mib": rss_end, "growth_mib": round(growth, 1)},
            "ok": growth < RSS_GROWTH_MIB or growth < RSS_GROWTH_FRACTION * rss_start,
        },
        "zero_errors": {
            "rule": "no event dropped, no write failure, no side-job or pg_cron job error",
            "value": {"dropped": last.dropped, "write_failures": last.write_failures,
                      "job_errors": job_errors},  # fmt: skip
            "ok": not last.dropped and last.write_failures == 0 and not job_errors,
        },
        "all_written": {
            "rule": ("after the final flush: queue empty, written == queued for every client, "
                     "rows in performance_monitoring == samples produced, "
                     "rows in processing_metrics == tasks started"),
            "value": final,
            "ok": final["flushed"] and final["queue_depth"] == 0
            and all(c["written"] == c["queued"] for c in final["per_client"])
            and final["performance_rows"] == final["samples_produced"]
            and final["task_rows"] == final["tasks_started"],
        },
    }  # fmt: skip
    return {"ok": all(c["ok"] for c in checks.values()), "checks": checks}


def print_report(samples: list[Sample], result: dict[str, Any]) -> None:
    headers = ("t s", "depth", "queued", "written", "dropped", "w.fail", "batches",
               "RSS MiB", "DB MiB", "perf rows", "job runs", "job err")  # fmt: skip
    rows = [
        (f"{s.t:.0f}", f"{s.queue_depth:,}", f"{s.queued:,}", f"{s.written:,}",
         f"{sum(s.dropped.values()):,}", str(s.write_failures), f"{s.batches:,}",
         f"{s.rss_mib:.1f}", f"{s.db_mib:.1f}", f"{s.performance_rows:,}",
         str(s.job_runs), str(s.job_errors))
        for s in samples
    ]  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print(" | ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    print()
    for name, check in result["checks"].items():
        print(f"{'ok    ' if check['ok'] else 'FAILED'} {name}: {check['rule']}")
        print(f"       value: {json.dumps(check['value'], default=str)}")
    print()
    print(f"verdict: {'HOLDS' if result['ok'] else 'FAILS'}")


def run(args: argparse.Namespace, seconds: float, cadence: Cadence, rates: Rates) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="pgvigil-soak-", dir=args.tmpdir))
    cluster = LocalCluster(home)  # durable, as `pgvigil up`: fsync on, synchronous commit
    try:
        t0 = time.perf_counter()
        cluster.start()
        conninfo = cluster.conninfo()
        migrate(conninfo)
        with psycopg.connect(conninfo, autocommit=True) as admin:
            try:
                scheduled = [r[0] for r in admin.execute(
                    "SELECT job_name FROM monitoring.schedule_jobs()").fetchall()]  # fmt: skip
            except psycopg.Error as exc:
                scheduled = []
                progress(f"pg_cron jobs not scheduled ({exc}); the side thread runs them")
            machine = machine_facts(admin, cluster.data_dir)
            if machine["postgresql_settings"]["fsync"] != "on":
                raise RuntimeError("fsync is off: a soak must run on durable settings")
        setup_seconds = time.perf_counter() - t0
        progress(f"cluster started and migrated in {setup_seconds:.1f} s; "
                 f"running {seconds:.0f} s of load")  # fmt: skip

        started_at = datetime.now(timezone.utc)
        stop = threading.Event()
        produced = Produced()
        jobs = JobLog()
        process = psutil.Process()
        metrics_client = BufferedClient(
            conninfo, batch_size=BATCH_SIZE, application_name="pgvigil-soak-a"
        )
        events_client = BufferedClient(
            conninfo, batch_size=BATCH_SIZE, application_name="pgvigil-soak-b"
        )
        clients = [metrics_client, events_client]
        threads = [
            threading.Thread(target=metrics_producer, args=(metrics_client, rates.samples, stop, produced)),
            threading.Thread(target=tasks_producer, args=(events_client, rates.lifecycles, stop, produced)),
            threading.Thread(target=misc_producer, args=(events_client, rates, stop, produced)),
            threading.Thread(target=side_jobs, args=(conninfo, cadence, stop, jobs)),
        ]  # fmt: skip
        samples: list[Sample] = []
        try:
            with psycopg.connect(conninfo, autocommit=True) as admin:
                load_started = time.monotonic()
                for thread in threads:
                    thread.start()
                next_sample = load_started
                while True:
                    now = time.monotonic()
                    if now >= next_sample:
                        samples.append(
                            take_sample(now - load_started, clients, admin, process, jobs)
                        )
                        next_sample += cadence.sample
                    if now - load_started >= seconds:
                        break
                    time.sleep(
                        max(0.0, min(next_sample, load_started + seconds) - time.monotonic())
                    )
                stop.set()
                for thread in threads:
                    thread.join(timeout=120)
                flushed = all(c.flush(timeout=120) for c in clients)
                samples.append(
                    take_sample(time.monotonic() - load_started, clients, admin, process, jobs)
                )
                stats = [c.stats() for c in clients]
                cron = cron_runs(admin, started_at)
                final = {
                    "flushed": flushed,
                    "queue_depth": sum(s.queue_depth for s in stats),
                    "queued": sum(s.queued for s in stats),
                    "written": sum(s.written for s in stats),
                    "per_client": [asdict(s) for s in stats],
                    "samples_produced": produced.samples,
                    "performance_rows": int(scalar(admin, "SELECT count(*) FROM monitoring.performance_monitoring")),
                    "tasks_started": produced.tasks_started,
                    "tasks_completed": produced.tasks_completed,
                    "task_rows": int(scalar(admin, "SELECT count(*) FROM monitoring.processing_metrics")),
                    "running_tasks_left": int(scalar(admin, "SELECT count(*) FROM monitoring_internal.running_tasks")),
                    "errors_produced": produced.errors,
                    "health_produced": produced.health,
                    "queue_stats_produced": produced.queue_stats,
                }  # fmt: skip
        finally:
            stop.set()
            for c in clients:
                c.close()
        job_errors = list(jobs.errors) + cron["failures"]
        result = verdict(samples, final, job_errors)
        return {
            "soak": "pgvigil",
            "mode": "quick" if args.quick else "full",
            "started_at": started_at.isoformat(),
            "duration_seconds": seconds,
            "setup_seconds": round(setup_seconds, 1),
            "rates_per_second": asdict(rates),
            "cadence_seconds": asdict(cadence),
            "batch_size": BATCH_SIZE,
            "pg_cron_jobs": scheduled,
            "pg_cron_runs": cron["by_status"],
            "side_jobs": {
                "runs": jobs.runs,
                "max_seconds": {k: round(v, 3) for k, v in jobs.seconds.items()},
                "errors": jobs.errors,
            },  # fmt: skip
            "machine": machine,
            "samples": [asdict(s) for s in samples],
            "final": final,
            "verdict": result,
        }
    finally:
        cluster.destroy()
        shutil.rmtree(home, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/soak", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="how long the load runs (default 10)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="20 seconds, faster side jobs and samples (CI)"
    )
    parser.add_argument(
        "--out", type=Path, help="write the samples and the verdict as JSON to this file"
    )
    parser.add_argument("--tmpdir", type=Path, help="parent directory of the throwaway cluster")
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.error("--minutes must be > 0")
    seconds = 20.0 if args.quick else args.minutes * 60
    cadence = QUICK_CADENCE if args.quick else FULL_CADENCE
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cluster is deleted
    try:
        document = run(args, seconds, cadence, Rates())
    except Exception:
        traceback.print_exc()
        progress("failed; the cluster is deleted")
        return 1
    print(f"pgvigil soak ({document['mode']}, {seconds:.0f} s): "
          f"{document['rates_per_second']['samples']:,.0f} samples/s, "
          f"{document['rates_per_second']['lifecycles']:,.0f} lifecycles/s, "
          f"pg_cron {document['machine'].get('pg_cron')} runs {document['pg_cron_runs']}, "
          f"side jobs {document['side_jobs']['runs']}")  # fmt: skip
    print()
    samples = [Sample(**s) for s in document["samples"]]
    print_report(samples, document["verdict"])
    if args.out:
        args.out.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"results written to {args.out}")
    return 0 if document["verdict"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
