"""Peak memory of a BufferedClient whose queue is full: run alone in a subprocess.

The client points at a database that cannot be reached (a socket directory
that does not exist), so nothing is ever written and the queue fills up to
its default limit; every call past it is dropped. Prints one JSON object:
RSS before and after, the peak (``ru_maxrss``, KiB on Linux), the client's
counters, and how fast calls returned while the database was away.
"""

from __future__ import annotations

import array
import inspect
import json
import os
import resource
import sys
import time
from dataclasses import asdict, is_dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pgvigil import BufferedClient

UNREACHABLE_DSN = (
    "host=/nonexistent/pgvigil-bench port=5432 dbname=pgvigil user=postgres connect_timeout=1"
)


def current_rss_kib() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        resident_pages = int(handle.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") // 1024


def peak_rss_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> int:
    fill_factor = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5
    max_queue = int(inspect.signature(BufferedClient).parameters["max_queue"].default)
    calls = int(max_queue * fill_factor)
    base = datetime.now(timezone.utc)
    # Realistic calls, built up front so that only the client's memory is measured.
    names = ["cpu_percent", "memory_percent", "http_response_time", "db_query_time",
             "queue_wait_time", "items_processed", "gc_pause", "open_files"]  # fmt: skip
    latencies = array.array("q", bytes(8 * calls))  # allocated before the baseline
    rss_before = current_rss_kib()
    peak_before = peak_rss_kib()
    client = BufferedClient(UNREACHABLE_DSN)
    started = time.perf_counter()
    record = client.record_performance_metric
    clock = time.perf_counter_ns
    for i in range(calls):
        tags = {"host": f"worker-{i % 24:02d}", "region": "eu-west-1", "pid": 4000 + i % 7,
                "job": f"batch-{i // 1000}"}  # fmt: skip
        t = clock()
        record(names[i % len(names)], "gauge", float(i % 1000) / 7.0, "ms",
               f"service-{i % 10:02d}", tags=tags,
               event_time=base + timedelta(microseconds=i))  # fmt: skip
        latencies[i] = clock() - t
    elapsed = time.perf_counter() - started
    stats = client.stats()
    rss_after = current_rss_kib()
    peak_after = peak_rss_kib()
    stats_dict: Any = (
        asdict(stats) if is_dataclass(stats) and not isinstance(stats, type) else vars(stats)
    )
    ordered = sorted(latencies)
    client.close(timeout=1.0)
    print(
        json.dumps(
            {
                "max_queue": max_queue,
                "calls": calls,
                "rss_before_kib": rss_before,
                "rss_after_kib": rss_after,
                "peak_rss_before_kib": peak_before,
                "peak_rss_kib": peak_after,
                "rss_growth_kib": peak_after - peak_before,
                "stats": stats_dict,
                "calls_per_second": calls / elapsed,
                "call_p50_us": ordered[len(ordered) // 2] / 1000,
                "call_p99_us": ordered[int(len(ordered) * 0.99) - 1] / 1000,
                "call_max_us": ordered[-1] / 1000,
            },
            default=str,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
