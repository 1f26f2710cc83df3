"""The server's connections: one async psycopg pool, logged in as the
server's database user (a member of pgvigil_admin, or a superuser). Each
request runs in one transaction under the database role its key or web
session maps to (``set_config('role', ..., true)``, which is SET LOCAL
ROLE), with ``pgvigil.on_behalf_of`` naming the key or user for the audit
log: the database's privileges decide what a request may do, not this
module. Checking keys, passwords' hashes and sessions is the server's own
login's (admin) work, outside any request's role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from pgvigil.db.queries import query

_AUTHENTICATE_KEY = query("server_authenticate_api_key")
_AUTHENTICATE_SESSION = query("server_authenticate_web_session")
_PASSWORD_HASH = query("server_web_user_password_hash")
_ON_BEHALF_OF = query("server_on_behalf_of")
_CREATE_SESSION = query("server_create_web_session")
_END_SESSION = query("server_end_web_session")
_ACT_AS = query("server_act_as")
_PING = query("server_ping")

ROLES = ("viewer", "operator", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key (kind ``key``) or a web user (``user``),
    its role (viewer, operator or admin) and the database role its requests
    run as. A web session is its key's or its user's."""

    kind: str
    id: int
    name: str
    role: str
    database_role: str

    @property
    def audit_name(self) -> str:
        """What the audit log's on_behalf_of says: key:NAME or user:NAME."""
        return f"{self.kind}:{self.name}"

    @property
    def bucket(self) -> str:
        """The name of its own rate limit (a key's sessions share the key's)."""
        return f"{self.kind}:{self.id}"

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class Session:
    """A live web session: whose it is, and until when."""

    principal: Principal
    expires_at: datetime


@dataclass(frozen=True)
class StoredPassword:
    user_id: int
    password_hash: str


Connection = psycopg.AsyncConnection[dict[str, Any]]


def _session(row: dict[str, Any] | None) -> Session | None:
    if row is None:
        return None
    principal = Principal(row["kind"], row["id"], row["name"], row["role"], row["database_role"])
    return Session(principal, row["expires_at"])


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

    async def authenticate_session(self, token_hash: bytes) -> Session | None:
        async with self.pool.connection() as conn:
            return _session(
                await (await conn.execute(_AUTHENTICATE_SESSION, (token_hash,))).fetchone()
            )

    async def password_hash(self, user: str) -> StoredPassword | None:
        """The live web user's id and argon2id hash, to verify a password with."""
        async with self.pool.connection() as conn:
            row = await (await conn.execute(_PASSWORD_HASH, (user,))).fetchone()
        return StoredPassword(row["user_id"], row["password_hash"]) if row else None

    async def open_session(
        self,
        token_hash: bytes,
        lifetime: timedelta,
        *,
        key_id: int | None = None,
        user_id: int | None = None,
        audit_name: str,
    ) -> Session | None:
        """Opens a session for the key or user, whose credentials were just
        checked; None when it stopped being live in between (PV705)."""
        params = {
            "token_hash": token_hash,
            "key_id": key_id,
            "user_id": user_id,
            "lifetime": lifetime,
        }
        try:
            async with self.pool.connection() as conn, conn.transaction():
                await conn.execute(_ON_BEHALF_OF, (audit_name,))
                await conn.execute(_CREATE_SESSION, params)
                row = await (await conn.execute(_AUTHENTICATE_SESSION, (token_hash,))).fetchone()
        except psycopg.Error as exc:
            if exc.diag.sqlstate == "PV705":
                return None
            raise
        return _session(row)

    async def end_session(self, token_hash: bytes, audit_name: str | None) -> bool:
        async with self.pool.connection() as conn, conn.transaction():
            if audit_name:
                await conn.execute(_ON_BEHALF_OF, (audit_name,))
            row = await (await conn.execute(_END_SESSION, (token_hash,))).fetchone()
        return bool(row and row["ended"])

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
