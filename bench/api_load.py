"""pgvigil serve under load, for scripts/bench: a real server process
(``pgvigil serve``) on loopback over the benchmark's history database, and
a real load generator, wrk (Debian's ``wrk``, installed by scripts/setup):
N connections, each sending its next request as soon as the last one is
answered, for a bounded time per endpoint (the server's capacity); its Lua
``done`` hook reports the latency percentiles. Before it, the same number
of clients of our own, each asking once a second (a dashboard that
refreshes), whose latencies are the p95 the target is about. Then the live-update latency: the time from an
alert event's commit to its message on an open server-sent event stream."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

import page_load
from pgvigil.server.keys import new_api_key


@dataclass
class EndpointLoad:
    name: str
    path: str
    params: dict[str, str]
    requests: int = 0
    errors: int = 0
    wall_seconds: float = 0.0
    percentiles_ms: dict[str, float] = field(default_factory=dict)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds else 0.0


# wrk's done hook: the numbers as one JSON line (latencies in microseconds).
WRK_SCRIPT = """
wrk.headers["Authorization"] = "Bearer " .. os.getenv("PGVIGIL_KEY")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK {\\"requests\\": %d, \\"errors\\": %d, \\"duration_us\\": %d, "
    .. "\\"p50\\": %d, \\"p95\\": %d, \\"p99\\": %d, \\"max\\": %d}\\n",
    summary.requests, e.connect + e.read + e.write + e.timeout + e.status, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass
class PacedLoad:
    """Clients that each ask once every ``interval`` seconds (a dashboard
    that refreshes), from this process: latencies in seconds."""

    name: str
    path: str
    params: dict[str, str]
    interval: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


@dataclass
class ServerLoad:
    clients: int
    endpoints: list[EndpointLoad]
    paced: list[PacedLoad]
    live_latencies: list[float]
    page_loads: list[float] = field(default_factory=list)
    page_load_error: str | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(conninfo: str, *extra: str) -> Iterator[str]:
    """pgvigil serve in its own process; yields its base URL."""
    port = _free_port()
    # Its log goes to a file, read when something fails (a pipe nobody reads
    # would stall the server once full).
    log = tempfile.NamedTemporaryFile("w+", prefix="pgvigil-serve-", suffix=".log")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "pgvigil.cli", "serve", "--database", conninfo,
         "--port", str(port), "--rate-limit-per-key", "1000000",
         "--rate-limit-per-address", "1000000", *extra],
        stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    SERVER_LOGS[url] = log.name
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pgvigil serve did not start: {server_log_tail(url)}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        SERVER_LOGS.pop(url, None)
        log.close()


SERVER_LOGS: dict[str, str] = {}


def server_log_tail(url: str, size: int = 3000) -> str:
    """The end of the log of the server at ``url`` (running_server)."""
    try:
        with open(SERVER_LOGS[url], encoding="utf-8", errors="replace") as f:
            return f.read()[-size:] or "(its log is empty)"
    except (KeyError, OSError) as exc:
        return f"(no log: {exc})"


def make_key(conninfo: str, role: str) -> str:
    made = new_api_key()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "SELECT monitoring.create_api_key(%s, %s, %s, %s)",
            (f"bench-{role}-{made.prefix}", role, made.key_hash, made.prefix),
        )
    return made.key


def wrk_load(url: str, key: str, endpoint: EndpointLoad, connections: int, seconds: int) -> None:
    """wrk against one endpoint: ``connections`` connections for ``seconds``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        target = str(httpx.URL(url + endpoint.path, params=endpoint.params))
        done = subprocess.run(
            ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
             "--timeout", "10s", "-s", script.name, target],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
            env={**os.environ, "PGVIGIL_KEY": key},
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    [line] = [line for line in done.stdout.splitlines() if line.startswith("WRK ")]
    found = json.loads(line[4:])
    endpoint.requests = int(found["requests"])
    endpoint.errors = int(found["errors"])
    endpoint.wall_seconds = found["duration_us"] / 1e6
    endpoint.percentiles_ms = {k: found[k] / 1000 for k in ("p50", "p95", "p99", "max")}
    if endpoint.requests == 0 or found["p95"] <= 0:
        # wrk counts only the answers that came back within the run.
        raise RuntimeError(
            f"wrk got no answer from {target} in {seconds} s ({found}); wrk said: "
            f"{done.stdout[-1500:]} {done.stderr[-500:]}; the server's log: {server_log_tail(url)}"
        )


async def _paced(url: str, key: str, load: PacedLoad, clients: int, seconds: float) -> None:
    """``clients`` clients, one connection each, each sending a request
    every ``load.interval`` seconds (at a random phase) for ``seconds``."""
    import asyncio
    import random

    headers = {"Authorization": f"Bearer {key}"}
    deadline = 0.0  # set once every client is connected

    async def client_loop(client: httpx.AsyncClient) -> None:
        await asyncio.sleep(random.uniform(0, load.interval))
        while time.monotonic() < deadline:
            tick = time.monotonic()
            started = time.perf_counter()
            response = await client.get(load.path, params=load.params)
            elapsed = time.perf_counter() - started
            if response.status_code == 200:
                load.latencies.append(elapsed)
            else:
                load.errors += 1
            await asyncio.sleep(max(0.0, load.interval - (time.monotonic() - tick)))

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    pool = [httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits)
            for _ in range(clients)]  # fmt: skip
    try:
        await asyncio.gather(*(c.get("/health") for c in pool))
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(client_loop(c) for c in pool))
    finally:
        await asyncio.gather(*(c.aclose() for c in pool))


def live_latency(url: str, conninfo: str, key: str, trials: int) -> list[float]:
    """Commit an alert event, time its arrival on an open event stream."""
    arrived: dict[int, float] = {}
    opened = threading.Event()
    stop = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=None
            ) as c,
            c.stream("GET", "/api/v1/events") as response,
        ):
            opened.set()
            event: dict[str, Any] = {}
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    event["event"] = line[7:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif line == "" and event.get("event") == "alert":
                    arrived[int(event["data"]["alert_id"])] = time.perf_counter()
                    event = {}
                elif line == "":
                    event = {}

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    if not opened.wait(15):
        raise RuntimeError("the event stream did not open")
    latencies: list[float] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for i in range(trials):
            time.sleep(0.3)
            started = time.perf_counter()
            # An alert posted as Prometheus posts one: one transaction, one event.
            row = conn.execute(
                "SELECT fired FROM monitoring.receive_alerts(%s)",
                (Jsonb([{"labels": {"alertname": "BenchLive", "trial": str(i)},
                         "endsAt": (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()}]),),
            ).fetchone()  # fmt: skip
            assert row and row[0] == 1
            alert_id = conn.execute(
                "SELECT alert_id FROM monitoring.alerts WHERE labels ->> 'trial' = %s"
                " AND labels ->> 'alertname' = 'BenchLive' AND resolved_at IS NULL",
                (str(i),),
            ).fetchone()
            assert alert_id
            deadline = time.monotonic() + 10
            while alert_id[0] not in arrived and time.monotonic() < deadline:
                time.sleep(0.001)
            if alert_id[0] in arrived:
                latencies.append(arrived[alert_id[0]] - started)
        conn.execute(
            "SELECT monitoring.resolve_alert(alert_id, 'bench', NULL) FROM monitoring.alerts"
            " WHERE labels ->> 'alertname' = 'BenchLive' AND resolved_at IS NULL"
        )
    stop.set()
    return latencies


def server_load(conninfo: str, clients: int, seconds: int, live_trials: int) -> ServerLoad:
    now = datetime.now(timezone.utc)
    day, month = (now - timedelta(hours=24)).isoformat(), (now - timedelta(days=30)).isoformat()
    endpoints = [
        EndpointLoad("overview", "/api/v1/overview", {}),
        EndpointLoad("active alerts", "/api/v1/alerts", {}),
        EndpointLoad("metric history, 24 h", "/api/v1/metrics/http_response_time/history",
                     {"since": day}),
        EndpointLoad("metric history, 30 d", "/api/v1/metrics/http_response_time/history",
                     {"since": month}),
    ]  # fmt: skip
    paced = [PacedLoad(e.name, e.path, e.params, interval=1.0) for e in endpoints]
    key = make_key(conninfo, "viewer")
    with running_server(conninfo) as url:
        import asyncio

        for load in paced:
            asyncio.run(_paced(url, key, load, clients, seconds))
        for endpoint in endpoints:
            wrk_load(url, key, endpoint, clients, seconds)
        live = live_latency(url, conninfo, make_key(conninfo, "viewer"), live_trials)
        loads: list[float] = []
        load_error = None
        try:
            loads = page_load.first_loads(url, key, runs=live_trials)
        except Exception as exc:  # reported as a missing measurement, the rest still counts
            load_error = f"{type(exc).__name__}: {exc}"
    return ServerLoad(clients, endpoints, paced, live, loads, load_error)
