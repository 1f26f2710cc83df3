"""pgvigil serve for the tests: the real ASGI app under a real uvicorn on a
loopback port, in a thread of the test process, and API keys made the way
pgvigil keys create makes them."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import psycopg
import uvicorn

from pgvigil.server import ServerSettings, create_app
from pgvigil.server.keys import new_api_key
from prometheus_stack import free_port


class Serving:
    """A running pgvigil serve; stop() ends it."""

    def __init__(self, conninfo: str, **settings: Any) -> None:
        self.app = create_app(ServerSettings(conninfo=conninfo, **settings))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                timeout_graceful_shutdown=2,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("pgvigil serve did not start")
            time.sleep(0.02)

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def make_key(
    conn: psycopg.Connection[Any], role: str, name: str | None = None, **extra: Any
) -> str:
    """A new API key of this role; returns the key itself."""
    made = new_api_key()
    conn.execute(
        "SELECT monitoring.create_api_key(%s, %s, %s, %s, %s)",
        (name or f"{role}-key", role, made.key_hash, made.prefix, extra.get("expires_at")),
    )
    return made.key
