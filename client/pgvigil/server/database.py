"""The server's connections: one async psycopg pool, logged in as the
server's database user (a member of pgvigil_admin, or a superuser). Each
request runs in one transaction under the database role its key maps to
(``set_config('role', ..., true)``, which is SET LOCAL ROLE), with
``pgvigil.on_behalf_of`` naming the key for the audit log: the database's
privileges decide what a request may do, not this module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from pgvigil.db.queries import query

_AUTHENTICATE_KEY = query("server_authenticate_api_key")
_ACT_AS = query("server_act_as")
_PING = query("server_ping")

ROLES = ("viewer", "operator", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key (later also a web user), its role (viewer,
    operator or admin) and the database role its requests run as."""

    kind: str
    id: int
    name: str
    role: str
    database_role: str

    @property
    def audit_name(self) -> str:
        return f"{self.kind}:{self.name}"

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


Connection = psycopg.AsyncConnection[dict[str, Any]]


class Database:
    def __init__(
        self, conninfo: str, min_size: int = 2, max_size: int = 20, timeout: float = 10.0
    ) -> None:
        self.pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            kwargs={"row_factory": dict_row, "application_name": "pgvigil-serve"},
            name="pgvigil-serve",
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def authenticate_key(self, key_hash: bytes) -> Principal | None:
        async with self.pool.connection() as conn:
            row = await (await conn.execute(_AUTHENTICATE_KEY, (key_hash,))).fetchone()
        if row is None:
            return None
        return Principal("key", row["key_id"], row["name"], row["role"], row["database_role"])

    async def ping(self) -> None:
        async with self.pool.connection(timeout=5) as conn:
            await conn.execute(_PING)

    @asynccontextmanager
    async def acting_as(self, principal: Principal) -> AsyncIterator[Connection]:
        """A connection in a transaction under the principal's database role;
        committed when the block ends, rolled back if it raises."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(_ACT_AS, (principal.database_role, principal.audit_name))
            yield conn
