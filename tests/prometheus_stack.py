"""The real Alertmanager (0.25) and Prometheus (2.42) from Debian's packages, started on loopback
for the tests and stopped after them. `scripts/setup --test` unpacks the
binaries into .tools/ with dpkg -x (no system service)."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

TOOLS = Path(__file__).resolve().parents[1] / ".tools" / "debian" / "usr" / "bin"


def tool(name: str) -> Path:
    """A binary from the Debian packages, or a clear failure: these tests do
    not skip, since `scripts/test` installs what they need."""
    path = TOOLS / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run scripts/setup --test, which unpacks it")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Alertmanager:
    """A real Alertmanager with the given config, its API on 127.0.0.1, no
    clustering, its data in a temp dir."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="pgvigil-am-")
        root = Path(self.dir.name)
        (root / "alertmanager.yml").write_text(yaml.safe_dump(config))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "alertmanager.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(tool("prometheus-alertmanager")),
                f"--config.file={root / 'alertmanager.yml'}",
                f"--storage.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.http = httpx.Client(base_url=self.url, timeout=10)
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"alertmanager exited: {self.output()}")
            try:
                if self.http.get("/-/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"alertmanager did not become ready: {self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        self.log.flush()
        return (Path(self.dir.name) / "alertmanager.log").read_text(errors="replace")[-4000:]

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        response = self.http.post("/api/v2/alerts", json=alerts)
        assert response.status_code == 200, response.text

    def post_silence(self, silence: dict[str, Any]) -> str:
        response = self.http.post("/api/v2/silences", json=silence)
        assert response.status_code == 200, response.text
        return str(response.json()["silenceID"])

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.dir.cleanup()


class Prometheus:
    """A real Prometheus (2.42) with the given config, on 127.0.0.1, its
    data in a temp dir."""

    def __init__(self, config: dict[str, Any], *flags: str) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="pgvigil-prom-")
        root = Path(self.dir.name)
        self.root = root
        (root / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "prometheus.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(tool("prometheus")),
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.console.templates=/nonexistent",
                "--web.console.libraries=/nonexistent",
                *flags,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
        self.http = httpx.Client(base_url=self.url, timeout=10)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.output()}")
            try:
                if self.http.get("/-/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not become ready: {self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        self.log.flush()
        return (self.root / "prometheus.log").read_text(errors="replace")[-4000:]

    def targets(self) -> list[dict[str, Any]]:
        return list(self.http.get("/api/v1/targets").json()["data"]["activeTargets"])

    def query(self, expression: str) -> list[dict[str, Any]]:
        response = self.http.get("/api/v1/query", params={"query": expression})
        assert response.status_code == 200, response.text
        return list(response.json()["data"]["result"])

    def wait(self, condition: Any, seconds: float = 30, what: str = "condition") -> Any:
        deadline = time.monotonic() + seconds
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"prometheus: no {what} in {seconds} s: {self.output()}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.dir.cleanup()
