"""The client never hurts the host application (issue 4).

No mocks: a private PostgreSQL cluster that the tests stop and start, a TCP
port with nothing listening, and a socket server that accepts connections and
never answers. Bounds on time are coarse (they catch a call that waits for the
database, not a slow machine).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgvigil import BufferedClient, DatabaseUnavailableError, MonitoringClient, monitoring_disabled
from pgvigil.db.cluster import ClusterError, LocalCluster, find_pg_bindir
from pgvigil.db.migrate import migrate

COUNT_ROWS = """
    SELECT count(*), count(DISTINCT tags->>'i')
    FROM monitoring.performance_monitoring WHERE component = %s
"""


# --- servers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_cluster() -> Iterator[LocalCluster]:
    """A migrated cluster of this module's own, which the tests may stop (about 2 s)."""
    if os.environ.get("PGVIGIL_TEST_DSN"):
        pytest.skip("needs local PostgreSQL binaries to stop and start a private cluster")
    try:
        find_pg_bindir()
    except ClusterError as exc:
        pytest.skip(str(exc))
    home = Path(tempfile.mkdtemp(prefix="pgvigil-isolation-"))
    cluster = LocalCluster(home, port=5499, fast_and_unsafe=True)
    try:
        cluster.start()
        migrate(cluster.conninfo())
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def cluster(private_cluster: LocalCluster) -> Iterator[LocalCluster]:
    """The private cluster, running; left running after the test whatever happened."""
    private_cluster.start()
    yield private_cluster
    private_cluster.start()


def _count(cluster: LocalCluster, component: str) -> tuple[int, int]:
    with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        row = conn.execute(COUNT_ROWS, (component,)).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.fixture
def refused_dsn() -> str:
    """A TCP port on 127.0.0.1 with nothing listening: connection refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"host=127.0.0.1 port={port} dbname=pgvigil user=postgres"


class SilentServer:
    """A Unix socket named like PostgreSQL's that accepts connections and never answers."""

    def __init__(self, directory: Path, port: int = 5433) -> None:
        self.dsn = f"host={directory} port={port} dbname=pgvigil user=postgres"
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(directory / f".s.PGSQL.{port}"))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="silent-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)  # read nothing, answer nothing

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    directory = Path(tempfile.mkdtemp(prefix="pgvigil-silent-"))
    server = SilentServer(directory)
    try:
        yield server
    finally:
        server.close()
        shutil.rmtree(directory, ignore_errors=True)


def _record_metrics(client: BufferedClient, component: str, start: int, stop: int) -> float:
    """Record samples i in [start, stop) tagged with i; returns the seconds the calls took."""
    began = time.perf_counter()
    for i in range(start, stop):
        client.record_performance_metric(
            "latency", "gauge", float(i), "ms", component, tags={"i": i}
        )
    return time.perf_counter() - began


def _wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


# --- the database is down ------------------------------------------------------------


def test_database_stopped_before_the_client_starts(cluster: LocalCluster) -> None:
    n = 2_000
    assert cluster.stop()
    client = BufferedClient(cluster.conninfo(), flush_interval=0.05, max_backoff=0.5)
    try:
        elapsed = _record_metrics(client, "down-at-start", 0, n)
        # ~1 µs each when healthy; 0.25 ms each on average would mean a call waits.
        assert elapsed < n * 0.000_25, elapsed
        stats = client.stats()
        assert (stats.queued, stats.written, stats.dropped) == (n, 0, {})
        assert _wait_for(lambda: client.stats().write_failures >= 1)
        cluster.start()
        assert client.flush(timeout=30) is True, client.stats()
        stats = client.stats()
        assert stats.written == n and stats.dropped == {} and stats.queue_depth == 0
        assert stats.write_failures >= 1
        assert stats.last_error
    finally:
        client.close(timeout=5)
    assert _count(cluster, "down-at-start") == (n, n)


def test_database_stopped_mid_run_loses_and_duplicates_nothing(cluster: LocalCluster) -> None:
    client = BufferedClient(cluster.conninfo(), flush_interval=0.05, max_backoff=0.5)
    try:
        _record_metrics(client, "down-mid-run", 0, 500)
        assert client.flush(timeout=30) is True
        assert client.stats().write_failures == 0
        assert cluster.stop()  # pg_ctl stop -m fast: the client's connection is cut
        elapsed = _record_metrics(client, "down-mid-run", 500, 1_000)
        assert elapsed < 500 * 0.000_25, elapsed
        assert _wait_for(lambda: client.stats().write_failures >= 1)
        assert client.stats().written == 500
        cluster.start()
        assert client.flush(timeout=30) is True, client.stats()
        stats = client.stats()
        assert (stats.queued, stats.written, stats.dropped) == (1_000, 1_000, {})
    finally:
        client.close(timeout=5)
    assert _count(cluster, "down-mid-run") == (1_000, 1_000)  # every event, exactly once


# --- the database is unreachable -------------------------------------------------------


def test_buffered_calls_return_at_once_when_the_connection_is_refused(refused_dsn: str) -> None:
    client = BufferedClient(refused_dsn, flush_interval=0.05, max_backoff=0.5, connect_timeout=1)
    try:
        elapsed = _record_metrics(client, "refused", 0, 1_000)
        assert elapsed < 1_000 * 0.000_25, elapsed
        assert _wait_for(lambda: client.stats().write_failures >= 1)
        assert client.flush(timeout=0.2) is False
        stats = client.stats()
        assert (stats.queued, stats.written, stats.queue_depth, stats.dropped) == (
            1_000, 0, 1_000, {},
        )  # fmt: skip
        assert stats.last_error
    finally:
        client.close(timeout=0.5)
    assert client.stats().dropped == {"unflushed_at_close": 1_000}


def test_buffered_calls_return_at_once_when_the_server_never_answers(
    silent_server: SilentServer,
) -> None:
    client = BufferedClient(
        silent_server.dsn, flush_interval=0.05, max_backoff=0.5, connect_timeout=1
    )
    try:
        _record_metrics(client, "silent", 0, 10)
        # The writer is now stuck in its connection attempt; callers are not.
        assert _wait_for(lambda: silent_server.accepted >= 1)
        elapsed = _record_metrics(client, "silent", 10, 1_000)
        assert elapsed < 1_000 * 0.000_25, elapsed
        stats = client.stats()
        assert (stats.queued, stats.written, stats.queue_depth, stats.dropped) == (
            1_000, 0, 1_000, {},
        )  # fmt: skip
    finally:
        started = time.monotonic()
        client.close(timeout=0.5)
        assert time.monotonic() - started < 3


@pytest.mark.parametrize("target", ["refused", "silent"])
def test_sync_client_raises_database_unavailable_within_its_timeout(
    target: str, refused_dsn: str, silent_server: SilentServer
) -> None:
    dsn = refused_dsn if target == "refused" else silent_server.dsn
    client = MonitoringClient(dsn, timeout=1)
    try:
        for _ in range(2):  # the first call opens the pool; the second finds it empty
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailableError) as caught:
                client.record_queue_stats("q", 1)
            elapsed = time.monotonic() - started
            # psycopg_pool's own default is 30 s: this fails if timeout=1 is ignored.
            assert elapsed < 5, elapsed
            assert "no database connection within 1 s" in str(caught.value)
            assert type(caught.value) is DatabaseUnavailableError  # not a raw PoolTimeout
    finally:
        client.close()
    if target == "silent":
        assert silent_server.accepted >= 1


# --- drops --------------------------------------------------------------------------


def test_drops_beyond_the_queue_are_counted_and_logged_once(
    refused_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = BufferedClient(refused_dsn, max_queue=10, flush_interval=0.05, connect_timeout=1)
    try:
        with caplog.at_level(logging.WARNING, logger="pgvigil.buffered"):
            elapsed = _record_metrics(client, "full", 0, 1_010)
        assert elapsed < 1_010 * 0.000_25, elapsed
        stats = client.stats()
        assert stats.queued == 10 and stats.dropped == {"queue_full": 1_000}
        drops = [r for r in caplog.records if "dropping events" in r.getMessage()]
        assert len(drops) == 1
        assert drops[0].levelno == logging.WARNING and "queue_full" in drops[0].getMessage()
    finally:
        client.close(timeout=0.5)


# --- PGVIGIL_DISABLED ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "disabled"),
    [("1", True), ("true", True), ("YES", True), (" on ", True),
     ("0", False), ("false", False), ("", False), ("no", False)],
)  # fmt: skip
def test_which_values_disable(monkeypatch: pytest.MonkeyPatch, value: str, disabled: bool) -> None:
    monkeypatch.setenv("PGVIGIL_DISABLED", value)
    assert monitoring_disabled() is disabled


def test_disabled_clients_do_nothing_and_never_connect(
    monkeypatch: pytest.MonkeyPatch,
    silent_server: SilentServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PGVIGIL_DISABLED", "1")
    monkeypatch.setattr("pgvigil.recording.task._disabled_logged", False)  # log once per process
    threads = threading.active_count()
    with caplog.at_level(logging.INFO, logger="pgvigil"):
        buffered = BufferedClient(silent_server.dsn)
        sync = MonitoringClient(silent_server.dsn, timeout=1)
    assert buffered.disabled and sync.disabled
    assert threading.active_count() == threads  # no writer thread
    infos = [r for r in caplog.records if "monitoring is disabled" in r.getMessage()]
    assert len(infos) == 1 and infos[0].levelno == logging.INFO

    started = time.monotonic()
    _record_metrics(buffered, "disabled", 0, 1_000)
    assert buffered.start_task("t", task_id="given") == "given"
    assert buffered.start_task("t")
    buffered.complete_task("given")
    buffered.record_error(None, "E", "high", "m", "c")
    buffered.update_system_health("svc", "api", "healthy")
    buffered.record_queue_stats("q", 1)
    buffered.record_performance_metric("m", "gauge", 1.0, "ms", "c", tags={"bad": object()})
    with buffered.task("t"):
        pass
    assert sync.start_task("t", task_id="given") == "given"
    assert sync.start_task("t")
    assert sync.complete_task("given") == 0.0
    assert sync.record_error(None, "E", "high", "m", "c") == 0
    sync.record_performance_metric("m", "gauge", 1.0, "ms", "c")  # returns None
    assert sync.update_system_health("svc", "api", "healthy") is False
    sync.record_queue_stats("q", 1)  # returns None
    assert sync.get_dashboard_summary() == {}
    assert sync.run_checks() == []
    assert sync.acknowledge_alert(1) is False and sync.resolve_alert(1) is False
    with sync.task("t") as handle:
        assert handle.task_id
    assert time.monotonic() - started < 1  # the sync calls would each wait 1 s otherwise

    stats = buffered.stats()
    assert (stats.queued, stats.written, stats.queue_depth, stats.dropped) == (0, 0, 0, {})
    assert buffered.flush(timeout=0) is True
    buffered.close()
    sync.close()
    assert threading.active_count() == threads
    time.sleep(0.2)
    assert silent_server.accepted == 0  # no connection was ever attempted
