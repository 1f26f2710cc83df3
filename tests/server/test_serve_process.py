"""pgvigil serve as its users start it: a real process, with --with-worker,
answering the API and evaluating rules and delivering notifications in the
same process, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
from psycopg.types.json import Jsonb

from dbhelpers import Conn
from prometheus_stack import free_port
from receivers import Receiver
from serving import make_key


def test_serve_with_worker_is_one_process_that_notifies(conn: Conn, dsn: str) -> None:
    receiver = Receiver()
    section = {
        "route": {"receiver": "hooks", "group_by": ["alertname"], "group_wait": "0s"},
        "receivers": [{"name": "hooks", "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK"}]}],
    }
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )
    key = make_key(conn, "operator")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pgvigil.cli", "serve", "--database", dsn, "--port", str(port),
         "--with-worker", "--worker-interval", "0.5"],
        env={**os.environ, "PGVIGIL_TEST_HOOK": receiver.url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        headers = {"Authorization": f"Bearer {key}"}
        rule = {
            "name": "cpu_high",
            "source": {"kind": "metric", "metric_name": "cpu"},
            "aggregate": "last",
            "window": "5m",
            "group_by": ["component"],
            "thresholds": {"high": 80},
        }
        assert httpx.post(f"{url}/api/v1/rules", json=rule, headers=headers).status_code == 201
        conn.execute(
            "SELECT monitoring.record_performance_metric('cpu', 'gauge', 97, 'percent', 'web', '{}')"
        )
        deadline = time.monotonic() + 30
        while not receiver.requests:
            assert time.monotonic() < deadline, "the worker in serve delivered nothing"
            time.sleep(0.1)
        body = json.loads(receiver.requests[0]["body"])
        assert body["alerts"][0]["labels"]["alertname"] == "cpu_high"
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        receiver.close()
