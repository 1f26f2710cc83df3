"""Nothing acknowledged is lost: BufferedClient across PostgreSQL crashes.

On a private cluster (never the shared session cluster: these tests kill it),
a producer thread records a stream of uniquely numbered samples and task
start/complete pairs through a BufferedClient while the test thread stops the
server with ``pg_ctl stop -m immediate`` (no checkpoint, no goodbye: what a
crash looks like to the client) and starts it again (crash recovery). Then
every event the client counts as written must be in the tables exactly once.

Two kinds of kill:

- mid-stream, while the writer has a backlog and a transaction open: the
  batch being written is lost with the server and written again on retry;
- on a commit that is durable but was never acknowledged: the server is told
  to wait for a synchronous standby that does not exist, so a COMMIT flushes
  its WAL and then waits forever for the standby's confirmation; the server
  is killed during that wait. After recovery the batch is committed, the
  client saw only an error, and its retry (same batch id) must be recognised
  by ``begin_ingest_batch`` and skipped.

The cluster keeps fsync and synchronous_commit on (unlike the session
cluster): with synchronous_commit off a commit is acknowledged before its WAL
is written, and an immediate stop may lose it, which would be the server's
choice, not a client bug.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbhelpers import Conn, scalar
from pgvigil import BufferedClient
from pgvigil.db.cluster import ClusterError, LocalCluster, find_pg_bindir
from pgvigil.db.migrate import migrate
from pgvigil.recording.buffered import _AlreadyWritten

pytestmark = pytest.mark.slow

APP = "pgvigil-crash-test"
METRIC = "crash_seq"
TASK_TYPE = "crash_test"
BATCH_SIZE = 200


def _pg_binaries() -> bool:
    try:
        find_pg_bindir()
    except ClusterError:
        return False
    return True


@pytest.fixture(scope="module")
def private_cluster() -> Iterator[LocalCluster]:
    """A migrated cluster of this module's own, durable settings, killed at will."""
    if not _pg_binaries():
        pytest.skip("no PostgreSQL server binaries to start a private cluster with")
    # Not tmp_path: pytest's base temp dir is private to root, and the server
    # runs as the postgres OS user when the tests run as root.
    home = Path(tempfile.mkdtemp(prefix="pgvigil-crash-"))
    cluster = LocalCluster(home, dbname="pgvigil_crash")  # fsync and synchronous_commit on
    try:
        cluster.start()
        migrate(cluster.conninfo())
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(home, ignore_errors=True)


def _pg_ctl(cluster: LocalCluster, *args: str) -> None:
    command = [str(find_pg_bindir() / "pg_ctl"), *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"pg_ctl {args[0]}: {result.stderr or result.stdout}"


def kill_server(cluster: LocalCluster) -> None:
    """Stop without a shutdown checkpoint: the next start runs crash recovery."""
    _pg_ctl(cluster, "stop", "-D", str(cluster.data_dir), "-m", "immediate", "-w", "-t", "30")


def admin(cluster: LocalCluster) -> Conn:
    """A superuser connection that never waits for a (missing) synchronous standby."""
    return psycopg.connect(
        cluster.conninfo(), autocommit=True, options="-c synchronous_commit=local"
    )


def wait_for(condition: Any, what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


class Producer(threading.Thread):
    """Records numbered samples (value = sequence number) and a task pair every 10th."""

    def __init__(self, client: BufferedClient) -> None:
        super().__init__(name="crash-producer", daemon=True)
        self.client = client
        self.stop = threading.Event()
        self.seqs: list[int] = []
        self.tasks: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            seq = 0
            while not self.stop.is_set():
                for _ in range(50):  # ~10k samples/s: the writer keeps a backlog, not a flood
                    self.client.record_performance_metric(
                        METRIC, "counter", float(seq), "n", "crash", tags={"seq": seq}
                    )
                    self.seqs.append(seq)
                    if seq % 10 == 0:
                        task_id = self.client.start_task(TASK_TYPE, seq, task_id=f"crash-{seq}")
                        self.client.complete_task(task_id, "completed", output_size=seq)
                        self.tasks.append(task_id)
                    seq += 1
                time.sleep(0.005)
        except BaseException as exc:  # recording calls must never raise
            self.error = exc


def client_backend(conn: Conn) -> dict[str, Any] | None:
    """The buffered client's server process, if it is connected."""
    row = conn.execute(
        "SELECT pid, wait_event, backend_xid::text"
        " FROM pg_stat_activity WHERE application_name = %s",
        (APP,),
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("pid", "wait_event", "xid"), row, strict=True))


def wait_for_progress(client: BufferedClient, written_at_least: int) -> None:
    wait_for(
        lambda: client.stats().written >= written_at_least,
        f"the client to have written {written_at_least} events",
        timeout=30.0,
    )


def kill_mid_batch(cluster: LocalCluster, client: BufferedClient) -> None:
    """Kill while a batch's transaction has written rows and events are waiting."""
    with admin(cluster) as conn:

        def in_flight() -> bool:
            backend = client_backend(conn)
            # An xid: the batch's transaction has written (begin_ingest_batch at least).
            return (
                backend is not None
                and backend["xid"] is not None
                and (client.stats().queue_depth > 0)
            )

        wait_for(in_flight, "a batch in flight")
    kill_server(cluster)


def kill_on_unacknowledged_commit(cluster: LocalCluster) -> str:
    """Kill while a batch's commit is durable but unacknowledged; returns its xid."""
    with admin(cluster) as conn:
        conn.execute("ALTER SYSTEM SET synchronous_standby_names = 'pgvigil_no_such_standby'")
        conn.execute("SELECT pg_reload_conf()")
        try:
            backend = wait_for(
                lambda: (b := client_backend(conn)) and b["wait_event"] == "SyncRep" and b,
                "the client's COMMIT to wait for the missing standby",
                timeout=60.0,  # a loaded 2-core CI machine took longer than 15 s once
            )
        finally:
            # Into postgresql.auto.conf for the next start; no reload, so the
            # COMMIT keeps waiting until the kill.
            conn.execute("ALTER SYSTEM RESET synchronous_standby_names")
    kill_server(cluster)
    assert backend["xid"] is not None
    return str(backend["xid"])


def test_nothing_acknowledged_is_lost_or_duplicated_across_crashes(
    private_cluster: LocalCluster,
) -> None:
    cluster = private_cluster
    client = BufferedClient(
        cluster.conninfo(),
        batch_size=BATCH_SIZE,
        max_queue=2_000_000,  # far more than the stream: nothing may be dropped
        flush_interval=0.02,
        max_backoff=0.5,
        connect_timeout=2.0,
        application_name=APP,
    )
    producer = Producer(client)
    try:
        producer.start()

        # 1. A kill in the middle of a batch (its transaction lost with the server).
        wait_for_progress(client, 5_000)
        failures = client.stats().write_failures
        kill_mid_batch(cluster, client)
        time.sleep(0.3)  # the producer keeps recording into the queue meanwhile
        cluster.start()
        wait_for(lambda: client.stats().write_failures > failures, "the client to see the crash")

        # 2. A kill after a batch's commit was made durable, before it was acknowledged.
        wait_for_progress(client, client.stats().written + 5_000)
        failures = client.stats().write_failures
        committed_xid = kill_on_unacknowledged_commit(cluster)
        time.sleep(0.3)
        cluster.start()
        with admin(cluster) as conn:
            # Crash recovery kept the commit the client never heard about.
            pinned = conn.execute(
                "SELECT event_count FROM monitoring_internal.ingest_batches WHERE xmin = %s::xid",
                (committed_xid,),
            ).fetchall()
            assert len(pinned) == 1, "the unacknowledged batch should survive the crash"
            assert pinned[0][0] > 0

        # The stream goes on after the second restart, then stops.
        wait_for(lambda: client.stats().write_failures > failures, "the client to see the crash")
        wait_for_progress(client, client.stats().written + 2_000)
        producer.stop.set()
        producer.join(10)
        assert not producer.is_alive()
        assert producer.error is None, repr(producer.error)
        assert client.flush(timeout=60), f"not flushed after the restarts: {client.stats()}"
        stats = client.stats()
    finally:
        producer.stop.set()
        client.close(timeout=5)

    seqs, tasks = producer.seqs, producer.tasks
    events = len(seqs) + 2 * len(tasks)
    # Every event is accounted for, and none was dropped (the queue never filled).
    assert stats.queued == events
    assert stats.dropped == {}, stats
    assert stats.queue_depth == 0
    assert stats.written + stats.dropped_total == stats.queued
    assert stats.write_failures >= 2

    with admin(cluster) as conn:
        values = Counter(
            int(v)
            for (v,) in conn.execute(
                "SELECT metric_value FROM monitoring.performance_monitoring WHERE metric_name = %s",
                (METRIC,),
            )
        )
        duplicated = sorted(v for v, n in values.items() if n > 1)
        assert not duplicated, f"{len(duplicated)} samples written twice, e.g. {duplicated[:10]}"
        missing = sorted(set(seqs) - values.keys())
        assert not missing, f"{len(missing)} acknowledged samples lost, e.g. {missing[:10]}"
        assert values.keys() == set(seqs)

        task_rows = dict(
            conn.execute(
                "SELECT task_id, count(*) FILTER (WHERE status = 'completed')"
                " FROM monitoring.processing_metrics WHERE task_type = %s GROUP BY task_id",
                (TASK_TYPE,),
            ).fetchall()
        )
        assert task_rows.keys() == set(tasks)
        assert set(task_rows.values()) == {1}, "each task has exactly one completed row"
        assert scalar(conn, "SELECT count(*) FROM monitoring.processing_metrics") == len(tasks)
        assert scalar(conn, "SELECT count(*) FROM monitoring_internal.running_tasks") == 0
        assert (
            scalar(conn, "SELECT count(*) FROM monitoring_internal.pending_task_completions") == 0
        )

        batches, distinct, counted = conn.execute(
            "SELECT count(*), count(DISTINCT batch_id), coalesce(sum(event_count), 0)"
            " FROM monitoring_internal.ingest_batches"
        ).fetchone() or (0, 0, 0)
        assert batches == distinct
        assert counted == stats.written == events
        assert batches >= stats.batches


def test_an_unacknowledged_commit_keeps_its_rejections_in_the_stats(
    private_cluster: LocalCluster,
) -> None:
    cluster = private_cluster
    with admin(cluster) as conn:
        conn.execute("DELETE FROM monitoring.performance_monitoring WHERE metric_name = 'pinned'")
    client = BufferedClient(
        cluster.conninfo(),
        batch_size=1_000,
        flush_interval=60.0,  # the batch goes when the test says so
        max_backoff=0.5,
        application_name=APP,
    )
    try:
        for i in range(3):
            client.record_performance_metric("pinned", "counter", float(i), "n", "crash")
        client.record_performance_metric("pinned", "counter", float("nan"), "n", "crash")
        client.flush(timeout=0)  # wakes the writer
        kill_on_unacknowledged_commit(cluster)
        cluster.start()
        assert client.flush(timeout=30)
        stats = client.stats()
    finally:
        client.close(timeout=5)
    with admin(cluster) as conn:
        written = scalar(
            conn,
            "SELECT count(*) FROM monitoring.performance_monitoring WHERE metric_name = 'pinned'",
        )
    assert written == 3  # the commit survived; the retry wrote nothing
    assert stats.write_failures >= 1
    assert (stats.written, stats.dropped) == (3, {"rejected:PV005": 1})


# -- the uncertain commit, step by step (on the shared session cluster) ------


def test_begin_ingest_batch_says_false_for_a_committed_id(conn: Conn) -> None:
    begin = "SELECT monitoring.begin_ingest_batch(%s, now(), 3)"
    committed = uuid.uuid4()
    with conn.transaction():
        assert scalar(conn, begin, (committed,)) is True
    with conn.transaction():  # the retry after a commit whose outcome was lost
        assert scalar(conn, begin, (committed,)) is False

    rolled_back = uuid.uuid4()
    with pytest.raises(ZeroDivisionError), conn.transaction():
        assert scalar(conn, begin, (rolled_back,)) is True
        raise ZeroDivisionError  # the batch's transaction failed: the id stays free
    with conn.transaction():
        assert scalar(conn, begin, (rolled_back,)) is True

    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.ingest_batches") == 2


def test_a_batch_sent_again_after_its_commit_writes_nothing(dsn: str, conn: Conn) -> None:
    # Drives BufferedClient's writer step by hand (_take_batch, _write_batch,
    # _finish_batch): the unit under test is what one batch id does when it
    # is sent twice. flush_interval and batch_size keep the writer thread
    # asleep meanwhile.
    client = BufferedClient(dsn, batch_size=1_000, flush_interval=60.0)
    try:
        for i in range(5):
            client.record_performance_metric(METRIC, "counter", float(i), "n", "crash")
        task_id = client.start_task(TASK_TYPE, 1)
        client.complete_task(task_id, "completed", output_size=2)
        events = client._take_batch()
        assert len(events) == 7

        batch_id, created_at = uuid.uuid4(), datetime.now(timezone.utc)
        assert client._write_batch(batch_id, created_at, events) == (7, {})
        with pytest.raises(_AlreadyWritten):
            client._write_batch(batch_id, created_at, events)
        client._finish_batch(7, {}, 7)
        assert client.flush(timeout=5)
    finally:
        client.close(timeout=5)

    assert client.stats().written == 7
    assert scalar(
        conn, "SELECT count(*) FROM monitoring.performance_monitoring WHERE metric_name = %s",
        (METRIC,),
    ) == 5  # fmt: skip
    assert scalar(conn, "SELECT count(*) FROM monitoring.processing_metrics") == 1
    assert conn.execute(
        "SELECT batch_id, event_count FROM monitoring_internal.ingest_batches"
    ).fetchall() == [(batch_id, 7)]
