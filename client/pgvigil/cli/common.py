"""Shared by the command modules: global options, connection, table printing."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row

from pgvigil import __version__
from pgvigil.db.cluster import LocalCluster, default_home

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

Handler = Callable[[argparse.Namespace], int]

_LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")

GLOBAL_OPTIONS_TITLE = "global options"
GLOBAL_OPTIONS_NOTE = (
    "Accepted before or after the command (also after a nested one, as in"
    " 'pgvigil config apply FILE --database DSN'). Given in both places, the one"
    " after the command wins."
)


def add_global_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """Add --version, --database and --home to the parser.

    The top-level parser gets real defaults. The copies on the commands default to
    SUPPRESS: an option not given after the command leaves the namespace alone, so
    it does not overwrite the value given before the command.
    """
    default = None if top_level else argparse.SUPPRESS
    # The top-level description already says where they go.
    group = parser.add_argument_group(
        GLOBAL_OPTIONS_TITLE, None if top_level else GLOBAL_OPTIONS_NOTE
    )
    group.add_argument("--version", action="version", version=f"pgvigil {__version__}")
    group.add_argument(
        "-d",
        "--database",
        metavar="DSN",
        default=default,
        help="conninfo string or postgresql:// URL",
    )
    group.add_argument(
        "--home",
        default=default,
        help="data home of the embedded cluster (default: $PGVIGIL_HOME)",
    )


def global_options_parent() -> argparse.ArgumentParser:
    """The parent parser every command (and nested command) is built with."""
    parent = argparse.ArgumentParser(add_help=False)
    add_global_options(parent, top_level=False)
    return parent


def add_command(
    subparsers: Subparsers,
    name: str,
    common: argparse.ArgumentParser,
    *,
    help: str,
    handler: Handler | None = None,
) -> argparse.ArgumentParser:
    """A command parser that accepts the global options; running the handler when one is given."""
    parser = subparsers.add_parser(name, help=help, parents=[common])
    if handler is not None:
        parser.set_defaults(func=handler)
    return parser


def configure_logging(format: str = "%(asctime)s %(name)s %(message)s") -> None:
    """INFO logging for the long-running commands (worker, scheduler, serve),
    but for httpx and httpcore: httpx logs every request's URL at INFO, and
    a webhook URL may carry its token (secrets never go to a log)."""
    logging.basicConfig(level=logging.INFO, format=format)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def local_cluster(args: argparse.Namespace) -> LocalCluster:
    return LocalCluster(Path(args.home) if args.home else default_home())


def resolve_database(args: argparse.Namespace) -> str:
    """The conninfo to use.

    As psql: --database, else DATABASE_URL, else "" (libpq reads the PG* variables)
    when any is set, else the embedded cluster when it is initialized, else "".
    """
    if args.database:
        return str(args.database)
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if any(os.environ.get(name) for name in _LIBPQ_VARIABLES):
        return ""
    cluster = local_cluster(args)
    if cluster.is_initialized():
        return cluster.conninfo()
    return ""


def print_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def fetch_rows(conninfo: str, statement: Any, params: Any = None) -> list[dict[str, Any]]:
    """Run one statement in its own connection (autocommit); its rows as dicts."""
    with (
        psycopg.connect(conninfo, autocommit=True) as conn,
        conn.cursor(row_factory=dict_row) as cur,
    ):
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []
