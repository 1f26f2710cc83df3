"""pgvigil serve for the tests: the real ASGI app under a real uvicorn on a
loopback port, in a thread of the test process, and API keys and web users
made the way pgvigil keys create and pgvigil users create make them."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import psycopg
import uvicorn
from psycopg.rows import tuple_row

from pgvigil.server import ServerSettings, create_app
from pgvigil.server.keys import new_api_key
from pgvigil.server.passwords import hash_password
from prometheus_stack import free_port


class Serving:
    """A running pgvigil serve; stop() ends it."""

    def __init__(
        self, conninfo: str, *, uvicorn_options: dict[str, Any] | None = None, **settings: Any
    ) -> None:
        """``settings`` are ServerSettings'; ``uvicorn_options`` go to
        uvicorn.Config (ssl_certfile and ssl_keyfile: HTTPS; proxy_headers)."""
        options = uvicorn_options or {}
        self.app = create_app(ServerSettings(conninfo=conninfo, **settings))
        self.port = free_port()
        scheme = "https" if options.get("ssl_certfile") else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                timeout_graceful_shutdown=2,
                **options,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("pgvigil serve did not start")
            time.sleep(0.02)

    def client(self, key: str | None = None, **options: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **options)

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


def make_user(conninfo: str | psycopg.Connection[Any], name: str, role: str, password: str) -> int:
    """A new web user with this password (hashed with argon2id, as pgvigil
    users create does); returns its id. Takes a conninfo or a connection."""
    statement = "SELECT monitoring.create_web_user(%s, %s, %s)"
    params = (name, role, hash_password(password))
    if isinstance(conninfo, psycopg.Connection):
        row = conninfo.cursor(row_factory=tuple_row).execute(statement, params).fetchone()
    else:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute(statement, params).fetchone()
    assert row is not None
    return int(row[0])
