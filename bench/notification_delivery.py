"""The notification benchmarks: from a breaching event's commit to the
webhook received, with pgvigil's default timers, and 1,000 alerts firing at
once across 50 groups delivered while another receiver hangs.

Called by run_bench.py, which owns the cluster, the sections and the report.
Everything is real: ``pgvigil worker`` (run_worker) evaluates and delivers,
and the receivers are HTTP servers on loopback.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pgvigil.jobs.worker import run_worker

Conn = psycopg.Connection[Any]

WORKER_INTERVAL = 5.0
# pgvigil's shipped route timers (config/monitoring_config.json).
TIMERS = {"group_wait": "10s", "group_interval": "5m", "repeat_interval": "4h"}


class _Receiver:
    """A webhook receiver that notes when each body arrived; one that hangs
    holds every request for ``hang`` seconds before answering."""

    def __init__(self, hang: float = 0.0) -> None:
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        arrivals = self.arrivals

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hang:
                    time.sleep(hang)
                else:
                    arrivals.append((time.monotonic(), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_RULES = [
    {"name": "bench_notify_metric", "source": {"kind": "metric", "metric_name": "bench_notify"},
     "aggregate": "max", "window": "1m", "group_by": ["component"], "thresholds": {"high": 50}},
    {"name": "bench_notify_fleet", "source": {"kind": "metric", "metric_name": "bench_fleet"},
     "aggregate": "max", "window": "1m", "group_by": ["component", "tags.host"], "thresholds": {"high": 50}},
]  # fmt: skip


def _configure(conn: Conn) -> None:
    section = {
        "route": {
            "receiver": "bench-hook", "group_by": ["alertname", "component"], **TIMERS,
            "routes": [
                # The fleet's alerts go to a receiver that hangs, and (continue) to a working one.
                {"matchers": ["alertname=bench_notify_fleet"], "receiver": "bench-down", "continue": True,
                 "group_by": ["component"]},
                {"matchers": ["alertname=bench_notify_fleet"], "receiver": "bench-fleet", "group_by": ["component"]},
            ],
        },
        "receivers": [
            {"name": "bench-hook", "webhook_configs": [{"url_env": "PGVIGIL_BENCH_HOOK_URL"}]},
            {"name": "bench-fleet", "webhook_configs": [{"url_env": "PGVIGIL_BENCH_FLEET_URL"}]},
            {"name": "bench-down", "webhook_configs": [{"url_env": "PGVIGIL_BENCH_DOWN_URL", "timeout": "10s"}]},
        ],
    }  # fmt: skip
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"alert_rules": _RULES, "notifications": section}),),
    )


@dataclass
class DeliveryResults:
    latency_seconds: list[float] = field(default_factory=list)
    fleet_alerts: int = 0
    fleet_groups: int = 0
    fleet_delivered_alerts: int = 0
    fleet_notifications: int = 0
    fleet_lag_seconds: list[float] = field(default_factory=list)
    worker_cpu_seconds: float = 0.0
    worker_wall_seconds: float = 0.0
    down_attempts: int = 0
    down_delivered: int = 0


def _alerts_in(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in body.get("alerts", []) if a.get("status") == "firing"]


def _latency_trials(conn: Conn, hook: _Receiver, trials: int) -> list[float]:
    rng = random.Random(11)
    found: list[float] = []
    for i in range(trials):
        time.sleep(rng.uniform(0, WORKER_INTERVAL))
        subject = f"notify-{i}-{time.time_ns()}"
        conn.execute(
            "SELECT monitoring.record_performance_metric('bench_notify', 'gauge', 100, 'x', %s)",
            (subject,),
        )  # autocommit: committed when it returns
        committed = time.monotonic()
        deadline = committed + 60
        arrived = None
        while arrived is None and time.monotonic() < deadline:
            arrived = next((at for at, body in list(hook.arrivals)
                            if any(a["labels"].get("component") == subject for a in _alerts_in(body))),
                           None)  # fmt: skip
            time.sleep(0.02)
        if arrived is None:
            raise RuntimeError(f"no webhook for {subject} within 60 s")
        found.append(arrived - committed)
    return found


def _fleet(
    conn: Conn, fleet: _Receiver, components: int, hosts: int, results: DeliveryResults
) -> None:
    series = [(f"fleet-{c:02d}", f"host-{h:02d}") for c in range(components) for h in range(hosts)]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "SELECT monitoring.record_performance_metric('bench_fleet', 'gauge', 100, 'x', %s,"
            " jsonb_build_object('host', %s::text))",
            series,
        )
    committed = time.monotonic()
    expected = set(series)
    seen: dict[tuple[str, str], float] = {}
    deadline = committed + 180
    while len(seen) < len(expected) and time.monotonic() < deadline:
        for at, body in list(fleet.arrivals):
            for a in _alerts_in(body):
                key = (a["labels"].get("component"), a["labels"].get("host"))
                if key in expected and key not in seen:
                    seen[key] = at
        time.sleep(0.05)
    results.fleet_alerts = len(expected)
    results.fleet_groups = components
    results.fleet_delivered_alerts = len(seen)
    results.fleet_notifications = len(fleet.arrivals)
    results.fleet_lag_seconds = sorted(at - committed for at in seen.values())


def delivery(conninfo: str, trials: int, components: int, hosts: int) -> DeliveryResults:
    """Both measurements, with one ``pgvigil worker`` (run_worker, 5 s
    interval) in this process; its CPU is this process's over the run."""
    hook, fleet, down = _Receiver(), _Receiver(), _Receiver(hang=30.0)
    os.environ.update({"PGVIGIL_BENCH_HOOK_URL": hook.url, "PGVIGIL_BENCH_FLEET_URL": fleet.url,
                       "PGVIGIL_BENCH_DOWN_URL": down.url})  # fmt: skip
    results = DeliveryResults()
    stop = threading.Event()
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            _configure(conn)
            worker = threading.Thread(target=run_worker, args=(conninfo,),
                                      kwargs={"interval": WORKER_INTERVAL, "stop": stop}, daemon=True)  # fmt: skip
            cpu, wall = time.process_time(), time.monotonic()
            worker.start()
            try:
                time.sleep(0.5)
                results.latency_seconds = _latency_trials(conn, hook, trials)
                _fleet(conn, fleet, components, hosts, results)
            finally:
                stop.set()
                worker.join(60)
                results.worker_cpu_seconds = time.process_time() - cpu
                results.worker_wall_seconds = time.monotonic() - wall
            # Claims of the hanging receiver's notifications: sends started, none answered.
            row = conn.execute(
                "SELECT coalesce(sum(attempts), 0), count(*) FILTER (WHERE status = 'delivered')"
                " FROM monitoring.notifications WHERE receiver = 'bench-down'"
            ).fetchone()
            results.down_attempts = int(row[0]) if row else 0
            results.down_delivered = int(row[1]) if row else 0
    finally:
        for r in (hook, fleet, down):
            r.close()
    return results
