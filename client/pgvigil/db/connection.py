"""Connection settings resolved the way psql does it."""

from __future__ import annotations

import os

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

__all__ = ["describe_conninfo", "resolve_conninfo"]


def resolve_conninfo(dsn: str | None) -> str:
    """Return the connection string to use.

    An explicit ``dsn`` wins, then the ``DATABASE_URL`` environment variable;
    otherwise an empty string, so libpq applies the ``PG*`` variables, service
    files and its own defaults. There is never a default password.
    """
    if dsn:
        return dsn
    return os.environ.get("DATABASE_URL") or ""


def describe_conninfo(conninfo: str) -> str:
    """Return ``conninfo`` without its password, for messages and logs."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "<unparsable conninfo>"
    params.pop("password", None)
    return make_conninfo("", **params)
