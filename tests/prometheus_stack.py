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


class _Binary:
    """One of the Debian binaries, run on a free loopback port with its
    config and data in a temp dir, waited for until /-/ready answers;
    stop() ends it and deletes the dir."""

    name = ""
    config_file = ""

    def __init__(self, config: dict[str, Any], arguments: list[str], ready_seconds: float) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix=f"pgvigil-{self.name}-")
        self.root = Path(self.dir.name)
        (self.root / self.config_file).write_text(yaml.safe_dump(config))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(self.root / f"{self.name}.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(tool(self.name)), f"--config.file={self.root / self.config_file}",
             f"--web.listen-address=127.0.0.1:{self.port}", *arguments],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.root,
        )  # fmt: skip
        self.http = httpx.Client(base_url=self.url, timeout=10)
        deadline = time.monotonic() + ready_seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.output()}")
            try:
                if self.http.get("/-/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not become ready: {self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        self.log.flush()
        return (self.root / f"{self.name}.log").read_text(errors="replace")[-4000:]

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


class Alertmanager(_Binary):
    """A real Alertmanager with the given config, its API on 127.0.0.1, no
    clustering, its data in a temp dir."""

    name = "prometheus-alertmanager"
    config_file = "alertmanager.yml"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(
            config,
            ["--storage.path=data", "--cluster.listen-address=",
             "--log.level=debug"],
            ready_seconds=20,
        )  # fmt: skip

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        response = self.http.post("/api/v2/alerts", json=alerts)
        assert response.status_code == 200, response.text

    def post_silence(self, silence: dict[str, Any]) -> str:
        response = self.http.post("/api/v2/silences", json=silence)
        assert response.status_code == 200, response.text
        return str(response.json()["silenceID"])


class Prometheus(_Binary):
    """A real Prometheus (2.42) with the given config, on 127.0.0.1, its
    data in a temp dir."""

    name = "prometheus"
    config_file = "prometheus.yml"

    def __init__(self, config: dict[str, Any], *flags: str) -> None:
        super().__init__(
            config,
            ["--storage.tsdb.path=data", "--web.console.templates=/nonexistent",
             "--web.console.libraries=/nonexistent", *flags],
            ready_seconds=30,
        )  # fmt: skip

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
